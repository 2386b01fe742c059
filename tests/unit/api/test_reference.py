"""The configuration reference generated from the spec models: current on disk, complete, and
saying what the models say.

Completeness is checked against an independent walk of the pydantic models (their fields,
defaults and attribute docstrings), not against the CRD schema the generator reads, so a field
the generator skipped or a default it misread fails here.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pydantic
import pytest

from modelmon.api import crds, reference
from modelmon.api.base import SpecModel
from modelmon.api.durations import Duration
from modelmon.cli import main

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "reference.md"
SPECS = {resource.kind: resource.spec for resource in crds.RESOURCES}
STATUSES = {resource.kind: resource.status for resource in crds.RESOURCES if resource.status is not None}


@pytest.fixture(scope="module")
def markdown() -> str:
    return reference.render_markdown()


@pytest.fixture(scope="module")
def rows(markdown: str) -> dict[str, list[str]]:
    """Table rows by resource kind and field path: ``"ModelMonitor spec.drift.bins" -> cells``."""
    found: dict[str, list[str]] = {}
    kind = ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            kind = line[3:].strip()
        elif line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            found[f"{kind} {cells[0].strip('`')}"] = cells  # 5 cells for a spec field, 3 for status
    return found


def test_committed_reference_is_current(markdown: str) -> None:
    assert COMMITTED.exists(), "docs/reference.md is missing: run `modelmon docs reference --output docs/reference.md`"
    assert COMMITTED.read_text(encoding="utf-8") == markdown, (
        "docs/reference.md is stale: run `modelmon docs reference --output docs/reference.md` and commit it")


def test_both_resources_are_documented(markdown: str) -> None:
    assert set(SPECS) == {"ModelMonitor", "RetrainingJob"}
    for kind in SPECS:
        assert f"\n## {kind}\n" in markdown


# --- an independent walk of the models ----------------------------------------------------------


def model_fields(model: type[pydantic.BaseModel], path: str) -> Iterator[tuple[str, pydantic.fields.FieldInfo]]:
    for name, info in model.model_fields.items():
        field_path = f"{path}.{info.alias or name}"
        yield field_path, info
        yield from nested(info.annotation, field_path)


def nested(annotation: Any, path: str) -> Iterator[tuple[str, pydantic.fields.FieldInfo]]:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        yield from model_fields(annotation, path)
        return
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list:
        yield from nested(arguments[0], f"{path}[]")
    elif origin is dict:
        yield from nested(arguments[1], f"{path}.<key>")
    else:  # X | None, Annotated[X, ...]
        for argument in arguments:
            yield from nested(argument, path)


ALL_FIELDS = [(kind, path, info) for kind, spec in SPECS.items() for path, info in model_fields(spec, "spec")]
STATUS_FIELDS = [(kind, path, info) for kind, model in STATUSES.items() for path, info in model_fields(model, "status")]


def clean(text: str) -> str:
    return " ".join(text.replace("``", "`").split())


def expected_default(info: pydantic.fields.FieldInfo) -> list[str]:
    """Spellings the Default cell may take for this field (one, except for quoted strings)."""
    if info.is_required():
        return ["**required**"]
    value = info.get_default(call_default_factory=True)
    if value is None:
        return ["—"]
    if isinstance(value, bool):
        return [f"`{str(value).lower()}`"]
    if isinstance(value, (int, float)):
        return [f"`{value}`"]
    if isinstance(value, str):
        return [f"`{value}`", f"`'{value}'`"]
    if isinstance(value, pydantic.BaseModel):
        return ["each field's default"]
    if value in ([], {}):
        return [f"`{value}`"]
    # a non-empty list of models: the windows [{rows: 50}, ...]
    dumped = [v.model_dump(by_alias=True, exclude_none=True) for v in value]
    return ["`[" + ", ".join("{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}" for d in dumped) + "]`"]


@pytest.mark.parametrize(("kind", "path", "info"), ALL_FIELDS, ids=[f"{k}:{p}" for k, p, _ in ALL_FIELDS])
def test_every_field_has_a_row_with_its_default_and_description(
        rows: dict[str, list[str]], kind: str, path: str, info: pydantic.fields.FieldInfo) -> None:
    cells = rows.get(f"{kind} {path}")
    assert cells is not None, f"{kind} {path} has no row in the reference"
    _, type_cell, default_cell, _, description_cell = cells
    assert default_cell in expected_default(info)
    assert info.description, f"{kind} {path} has no docstring: document it in the model"
    shown = description_cell.replace("<br>", " ").replace("\\|", "|").replace("&lt;", "<")
    assert clean(info.description) in clean(shown)
    assert type_cell


@pytest.mark.parametrize(("kind", "path", "info"), STATUS_FIELDS, ids=[f"{k}:{p}" for k, p, _ in STATUS_FIELDS])
def test_every_status_field_has_a_row_with_its_description(
        rows: dict[str, list[str]], kind: str, path: str, info: pydantic.fields.FieldInfo) -> None:
    cells = rows.get(f"{kind} {path}")
    assert cells is not None, f"{kind} {path} has no row in the reference"
    assert len(cells) == 3  # status rows have no default or constraints to set
    shown = cells[2].replace("<br>", " ").replace("\\|", "|").replace("&lt;", "<")
    assert info.description and clean(info.description) in clean(shown)


def test_no_row_without_a_model_field(rows: dict[str, list[str]]) -> None:
    documented = {f"{kind} {path}" for kind, path, _ in [*ALL_FIELDS, *STATUS_FIELDS]}
    assert set(rows) == documented


# --- what the cells say -------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "type_text", "constraints"), [
    ("spec.schedule", "string", ""),
    ("spec.drift.numericMethod", "one of `auto`, `psi`, `ks`, `js`, `kl`, `wasserstein`, `hellinger`", ""),
    ("spec.drift.bins", "integer", "2 ≤ x ≤ 1000"),
    ("spec.drift.driftShare", "number", "0 < x ≤ 1"),
    ("spec.performance.significanceLevel", "number", "0 < x < 1"),
    ("spec.retraining.cooldown", "duration", ""),
    ("spec.features[].name", "string", "length ≥ 1"),
    ("spec.model.name", "string", "length 1–253"),
    ("spec.checkJob.resources", "map of string to map of string to integer or string", "at most 2 entries"),
    ("spec.performance.windows", "list of objects ([fields](#modelmonitor-spec-performance-windows))", "1–10 items"),
    ("spec.performance.classes", "list of strings", "≥ 2 items"),
])
def test_types_and_constraints_in_yaml_terms(rows: dict[str, list[str]], path: str, type_text: str,
                                             constraints: str) -> None:
    cells = rows[f"ModelMonitor {path}"]
    assert cells[1] == type_text
    assert cells[3] == constraints


def test_map_keys_and_cel_rules_are_stated(rows: dict[str, list[str]], markdown: str) -> None:
    thresholds = rows["ModelMonitor spec.drift.thresholds"][3]
    assert "keys must be one of: psi, ks, js, kl, wasserstein, hellinger, chi2" in thresholds
    assert "moderate < significant < critical" in thresholds
    # a rule on an object with its own section is listed under that section's heading
    section = markdown.split("### `spec.reference`", 1)[1].split("### ", 1)[0]
    assert "Rules:\n- set exactly one of uri or configMapKeyRef" in section
    assert rows["ModelMonitor spec.features"][3] == "≤ 10000 items; unique `name`"


def test_pipes_inside_cells_are_escaped(rows: dict[str, list[str]]) -> None:
    assert rows["ModelMonitor spec.reference.uri"][3] == "matches `^(file\\|https?\\|s3\\|gs\\|az)://.+`"
    for key, cells in rows.items():
        assert len(cells) == (5 if key.split()[1].startswith("spec") else 3)


def test_status_has_its_own_part(markdown: str) -> None:
    spec_part, status_part = markdown.split("### Status of a ModelMonitor", 1)
    assert "### Spec of a ModelMonitor" in spec_part
    assert "| `status.health` | one of `Healthy`, `Warning`, `Critical`, `Unknown` |" in status_part


def test_every_link_points_at_an_anchor(markdown: str) -> None:
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', markdown))
    links = set(re.findall(r"\]\(#([^)]+)\)", markdown))
    assert links and links <= anchors
    assert len(anchors) == markdown.count("<a id=")  # no anchor defined twice


def test_small_reference_objects_are_rows_not_sections(rows: dict[str, list[str]], markdown: str) -> None:
    assert "ModelMonitor spec.reference.configMapKeyRef.key" in rows
    assert "### `spec.reference.configMapKeyRef`" not in markdown
    assert rows["ModelMonitor spec.reference.configMapKeyRef"][1] == "object"


# --- the command --------------------------------------------------------------------------------


def test_command_prints_the_reference(capsys: pytest.CaptureFixture[str], markdown: str) -> None:
    assert main(["docs", "reference"]) == 0
    assert capsys.readouterr().out == markdown


def test_command_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], markdown: str) -> None:
    target = tmp_path / "out" / "reference.md"
    assert main(["docs", "reference", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == markdown
    assert capsys.readouterr().out.strip() == str(target)


# --- the generator on a model made for the test (independent of how the real specs evolve) -----


class Leaf(SpecModel):
    name: str = pydantic.Field(min_length=1)
    """The leaf's name."""
    key: str
    """The leaf's key."""


class Item(SpecModel):
    """One item."""

    size: int = pydantic.Field(default=3, gt=0, le=9)
    """Size, small | large."""


class Toy(SpecModel):
    """A toy spec."""

    every: Duration = "15m"
    """How often."""
    mode: Literal["a", "b"] = "a"
    """The mode."""
    port: int | str = 80
    """A port, by number or name."""
    leaf: Leaf | None = None
    """A small reference."""
    items: list[Item] = pydantic.Field(default_factory=lambda: [Item(size=1)], max_length=4)
    """The items."""
    by_name: dict[str, Item] = pydantic.Field(default_factory=dict)
    """Items by name."""
    free: dict[str, Any] | None = None
    """Anything at all."""


TOY = crds.CustomResource(group="example.io", version="v1", kind="Toy", plural="toys", singular="toy",
                          description="A toy resource.", spec=Toy,
                          extensions={"spec.items[]": {"x-kubernetes-validations": [
                              {"rule": "self.size != 4", "message": "size 4 is unlucky"}]}})


def test_generator_sections_rows_and_cells() -> None:
    sections = {s.path: s for s in reference.describe(TOY)}
    assert list(sections) == ["spec", "spec.items[]", "spec.byName.<key>"]
    assert sections["spec"].description == "A toy spec."
    assert sections["spec.items[]"].rules == ("size 4 is unlucky",)
    rows = {row.path: row for s in sections.values() for row in s.fields}
    assert list(rows) == ["spec.every", "spec.mode", "spec.port", "spec.leaf", "spec.leaf.name", "spec.leaf.key",
                          "spec.items", "spec.byName", "spec.free", "spec.items[].size", "spec.byName.<key>.size"]
    cells = {path: (row.type, row.default, row.constraints) for path, row in rows.items()}
    assert cells["spec.every"] == ("duration", "`15m`", ())
    assert cells["spec.mode"] == ("one of `a`, `b`", "`a`", ())
    assert cells["spec.port"] == ("integer or string", "`80`", ())
    assert cells["spec.leaf"] == ("object", "—", ())
    assert cells["spec.leaf.name"] == ("string", "**required**", ("length ≥ 1",))
    assert cells["spec.items"] == ("list of objects ([fields](#toy-spec-items))", "`[{size: 1}]`", ("≤ 4 items",))
    assert cells["spec.byName"] == ("map of string to object ([fields](#toy-spec-byname-key))", "`{}`", ())
    assert cells["spec.free"] == ("object (any fields)", "—", ())
    assert cells["spec.items[].size"] == ("integer", "`3`", ("0 < x ≤ 9",))


def test_generator_markdown_escapes_and_links() -> None:
    text = reference.render_markdown([TOY])
    assert text.startswith(reference.HEADER)
    assert "- [Toy](#toy) (`example.io/v1`)" in text
    assert "| `spec.items[].size` | integer | `3` | 0 < x ≤ 9 | Size, small \\| large. |" in text
    assert "Rules:\n- size 4 is unlucky" in text
    assert reference._prose("use <id> or `a<b`") == "use &lt;id> or `a<b`"
    assert "kubectl get" not in text  # no printer columns, no sentence about them
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    assert set(re.findall(r"\]\(#([^)]+)\)", text)) <= anchors
