"""Keep the chart's values schema in step with the spec models where the two share a shape.

``alerts.defaults`` (the operator-wide alert policy and sinks, MODELMON_DEFAULT_ALERTS) takes
the same fields as a ModelMonitor's ``spec.alerts``: its schema is the CRD's, made strict
(unknown keys refused) so that `helm install` names a misspelt field instead of the operator
failing at start. `make crds` runs this; tests/unit/chart fails when the schema is stale.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from modelmon.api import crds

SCHEMA = Path(__file__).resolve().parent / "modelmon" / "values.schema.json"


def _strict(node: Any) -> Any:
    """Every object that lists its properties refuses others (CRD schemas prune instead)."""
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def alerts_defaults_schema() -> dict[str, Any]:
    monitor = next(c for c in crds.all_crds() if c["spec"]["names"]["kind"] == "ModelMonitor")
    alerts = monitor["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["alerts"]
    schema = _strict(copy.deepcopy(alerts))
    schema["description"] = ("Operator-wide alert policy and sinks: the fields of a ModelMonitor's spec.alerts. "
                             "A monitor's own fields win; a monitor listing sinks replaces these sinks.")
    return schema


def synced(values_schema: dict[str, Any]) -> dict[str, Any]:
    updated = copy.deepcopy(values_schema)
    updated["properties"]["alerts"] = {"type": "object", "additionalProperties": False,
                                       "properties": {"defaults": alerts_defaults_schema()}}
    return updated


def main() -> None:
    current = json.loads(SCHEMA.read_text())
    SCHEMA.write_text(json.dumps(synced(current), indent=2) + "\n")


if __name__ == "__main__":
    main()
