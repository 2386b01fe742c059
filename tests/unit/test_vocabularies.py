"""Each vocabulary is written once (#16), on the API models (or, for Kubernetes' Event types, beside
the reasons in modelmon.conditions): the pure core's typed results, the alert policy, the rollout
machine and the readers name those words instead of repeating them, so a word added to a model cannot
be missing from the code that produces it. Checked on the product's sources, since a repeated
``Literal[...]`` is equal to the original and no runtime comparison can tell them apart."""

from __future__ import annotations

import ast
import pathlib
import typing

import pytest

import modelmon
from modelmon import conditions
from modelmon.api import alerts, drift, performance, rollout, sources

PRODUCT = pathlib.Path(modelmon.__file__).parent

VOCABULARIES = [
    pytest.param(drift, "QualitySeverity", id="quality-severity"),
    pytest.param(drift, "FeatureKind", id="feature-kind"),
    pytest.param(drift, "FeatureStatus", id="feature-status"),
    pytest.param(performance, "PerformanceSeverity", id="performance-severity"),
    pytest.param(alerts, "AlertType", id="alert-type"),
    pytest.param(alerts, "AlertSeverity", id="alert-severity"),
    pytest.param(rollout, "RolloutStrategy", id="rollout-strategy"),
    pytest.param(sources, "DataFormat", id="data-format"),
    pytest.param(conditions, "EventType", id="event-type"),
]


def literal_sites(words: frozenset[str]) -> list[str]:
    """Where in the product ``Literal[...]`` of exactly these words is written (path:line)."""
    sites = []
    for path in sorted(PRODUCT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Literal":
                elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                written = {e.value for e in elements if isinstance(e, ast.Constant)}
                if written == words:
                    sites.append(f"{path.relative_to(PRODUCT)}:{node.lineno}")
    return sites


@pytest.mark.parametrize(("module", "name"), VOCABULARIES)
def test_a_vocabulary_is_written_only_where_it_is_defined(module, name):
    words = frozenset(typing.get_args(getattr(module, name)))
    sites = literal_sites(words)
    assert len(sites) == 1, f"{name}'s words are written {len(sites)} times: {sites}"
    assert sites[0].startswith(f"{pathlib.Path(module.__file__).relative_to(PRODUCT)}:"), sites


def test_no_vocabulary_is_called_just_reason():
    """The word Reason names the condition reasons' vocabularies (MonitorReason, RetrainingReason, ...); a
    class or alias called only ``Reason`` says nothing about which reasons it holds."""
    named = [
        f"{path.relative_to(PRODUCT)}:{node.lineno}"
        for path in sorted(PRODUCT.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if (isinstance(node, ast.ClassDef) and node.name == "Reason")
        or (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "Reason" for t in node.targets))
    ]
    assert named == []
