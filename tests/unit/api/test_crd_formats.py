"""Times in the generated CRDs carry ``format: date-time``, and what the operator writes there is one.

The API server validates the format, so a field marked wrongly would make the operator's status
patches fail: the values the real operator wrote during the demo (tests/unit/gitops/fixtures) are
checked against the same grammar (RFC 3339, as kube-openapi's date-time reads it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modelmon.api import crds

FIXTURES = Path(__file__).resolve().parents[1] / "gitops" / "fixtures"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DESCRIBED_AS_TIME = re.compile(
    r"^(When |Last time|Time of |The last cron time)|RFC 3339|\(the monitor's lastCheck\.time\)"
)


def strings(node, path=""):
    """(path, schema) of every string in a schema; arrays as ``[]``."""
    if node.get("type") == "string":
        yield path, node
    for name, child in (node.get("properties") or {}).items():
        yield from strings(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from strings(node["items"], f"{path}[]")


def schemas():
    return {
        crd["spec"]["names"]["kind"]: crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] for crd in crds.all_crds()
    }


@pytest.mark.parametrize("kind", ["ModelMonitor", "RetrainingJob"])
def test_every_field_described_as_a_time_has_the_format_and_no_other(kind):
    marked = {p for p, s in strings(schemas()[kind]) if s.get("format") == "date-time"}
    described = {p for p, s in strings(schemas()[kind]) if DESCRIBED_AS_TIME.search(s.get("description", ""))}
    described |= {p for p in marked if p.endswith("alertNotifications[]")}  # the list's items have no description
    assert marked == described
    assert len(marked) >= 12


def values(body, path):
    """The values at ``path`` (``.a.b[].c``) in an object."""
    nodes = [body]
    for part in re.findall(r"\.[A-Za-z]+|\[\]", path):
        if part == "[]":
            nodes = [item for node in nodes if isinstance(node, list) for item in node]
        else:
            nodes = [node.get(part[1:]) for node in nodes if isinstance(node, dict)]
        nodes = [n for n in nodes if n is not None]
    return nodes


def test_the_operators_times_are_rfc3339():
    checked = 0
    for fixture in sorted(FIXTURES.glob("*.json")):
        body = json.loads(fixture.read_text())
        for path, schema in strings(schemas()[body["kind"]]):
            if schema.get("format") == "date-time":
                for value in values(body, path):
                    assert RFC3339.match(value), f"{fixture.name}: {path} = {value!r}"
                    checked += 1
    assert checked > 100
