"""What a person would see with kubectl, rendered from objects: the demo's screen.

``get`` follows a CRD's additionalPrinterColumns (the same columns ``kubectl get mm``
prints), so the demo shows exactly what a user of a real cluster sees. Pure: objects in,
text out.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any

_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]")


def jsonpath(obj: Any, path: str) -> Any:
    """The value at a simple JSONPath (``.a.b``, ``.a[0].b``), as printer columns use them."""
    value = obj
    for name, index in _STEP.findall(path):
        if value is None:
            return None
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
    return value


def age(stamp: str | None, *, now: datetime.datetime | None = None) -> str:
    """kubectl's short age: 42s, 5m, 3h, 2d."""
    if not stamp:
        return "<unknown>"
    then = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    seconds = max(0, int(((now or datetime.datetime.now(tz=datetime.UTC)) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    cells = [[str(h).upper() for h in header]] + [
        ["<none>" if c is None or c == "" else str(c) for c in row] for row in rows
    ]
    if len(cells) == 1:
        return "No resources found."
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("   ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def get(crd: dict[str, Any], objects: Iterable[dict[str, Any]], *, now: datetime.datetime | None = None) -> str:
    """``kubectl get <kind>`` for custom resources, with the CRD's printer columns."""
    version = next(v for v in crd["spec"]["versions"] if v.get("served", True))
    columns = version.get("additionalPrinterColumns") or []
    header = ["NAME"] + [c["name"] for c in columns]
    rows = []
    for obj in objects:
        row: list[Any] = [obj["metadata"]["name"]]
        for column in columns:
            value = jsonpath(obj, column["jsonPath"])
            value = age(value, now=now) if column.get("type") == "date" else value
            text = "" if value is None else str(value)
            row.append(text if len(text) <= 90 else text[:87] + "...")  # a terminal line, not a report
        rows.append(row)
    return table(header, rows)


def alerts(status: dict[str, Any]) -> str:
    """The monitor's alerts as a table (what ``kubectl get mm -o yaml`` holds in status.alerts)."""
    rows = [
        (
            a["id"],
            a["state"],
            a["severity"],
            a["type"],
            a["subject"],
            a["count"],
            "yes" if a.get("acknowledged") else "no",
            a.get("message", "")[:70],
        )
        for a in status.get("alerts") or []
    ]
    return table(["id", "state", "severity", "type", "subject", "count", "ack", "message"], rows)


def events(items: Iterable[Any], *, since: int = 0) -> str:
    """``kubectl get events`` for the objects concerned (items from the kubernetes client)."""
    rows = [
        (e.type, e.reason, f"{e.involved_object.kind.lower()}/{e.involved_object.name}", (e.message or "")[:90])
        for e in list(items)[since:]
    ]
    return table(["type", "reason", "object", "message"], rows)


def conditions(status: dict[str, Any]) -> str:
    rows = [
        (c["type"], c["status"], c["reason"], (c.get("message") or "")[:80]) for c in status.get("conditions") or []
    ]
    return table(["condition", "status", "reason", "message"], rows)
