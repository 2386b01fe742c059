"""``kubectl modelmon get``'s tables: what ``kubectl get`` would show for a monitor or a RetrainingJob,
plus the columns a person steering them wants (``-o wide``). Pure: objects and a clock in, text out."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from modelmon import timestamps
from modelmon.api.retraining_phases import RetrainingPhase
from modelmon.cli.cluster import MONITORS, Kind


def monitor_row(body: Mapping[str, Any], *, now: datetime.datetime, wide: bool) -> list[str]:
    meta, spec, status = body.get("metadata") or {}, body.get("spec") or {}, body.get("status") or {}
    check = status.get("lastCheck") or {}
    drifted = status.get("driftedFeatures")
    row = [
        meta.get("name", ""),
        status.get("health") or "Unknown",
        "-" if drifted is None else str(drifted),
        age(check.get("time"), now=now),
        (spec.get("model") or {}).get("name") or "-",
        age(meta.get("creationTimestamp"), now=now),
    ]
    if wide:
        alerts = [a for a in status.get("alerts") or [] if a.get("state") == "firing"]
        active = ((status.get("retraining") or {}).get("active") or {}).get("name")
        row += [
            (spec.get("model") or {}).get("version") or "-",
            (status.get("activeModel") or {}).get("version") or "-",  # the version checks judge (#17)
            (spec.get("schedule") or "-"),
            str(len(alerts)),
            active or "-",
        ]
    return row


def retraining_row(body: Mapping[str, Any], *, now: datetime.datetime, wide: bool) -> list[str]:
    meta, spec, status = body.get("metadata") or {}, body.get("spec") or {}, body.get("status") or {}
    row = [
        meta.get("name", ""),
        status.get("phase") or RetrainingPhase.PENDING.value,
        (status.get("model") or {}).get("version") or "-",
        spec.get("reason") or "-",
        (spec.get("monitorRef") or {}).get("name") or "-",
        age(meta.get("creationTimestamp"), now=now),
    ]
    if wide:
        rollout = status.get("rollout") or {}
        weight = rollout.get("effectiveWeight")
        row += [
            rollout.get("strategy") or "-",
            rollout.get("phase") or "-",
            rollout.get("stage") or "-",
            "-" if weight is None else f"{weight:g}%",
            status.get("message") or "-",
        ]
    return row


HEADERS = {
    "ModelMonitor": (
        ["NAME", "HEALTH", "DRIFTED", "LAST CHECK", "MODEL", "AGE"],
        ["VERSION", "ACTIVE", "SCHEDULE", "ALERTS", "RETRAINING"],
    ),
    "RetrainingJob": (
        ["NAME", "PHASE", "MODEL", "REASON", "MONITOR", "AGE"],
        ["STRATEGY", "ROLLOUT", "STAGE", "WEIGHT", "MESSAGE"],
    ),
}


def render(
    kind: Kind,
    items: Sequence[Mapping[str, Any]],
    *,
    now: datetime.datetime,
    wide: bool,
    namespaces: bool,
    header: bool = True,
) -> str:
    """A table as ``kubectl get`` prints it: upper-case headers, columns padded by two spaces."""
    plain, extra = HEADERS[kind.kind]
    rows = [(["NAMESPACE"] if namespaces else []) + plain + (extra if wide else [])] if header else []
    make = monitor_row if kind is MONITORS else retraining_row
    for body in items:
        prefix = [(body.get("metadata") or {}).get("namespace", "")] if namespaces else []
        rows.append(prefix + make(body, now=now, wide=wide))
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def age(stamp: str | None, *, now: datetime.datetime) -> str:
    """kubectl's short age: 45s, 12m, 5h, 3d (or '-' when absent)."""
    if not stamp:
        return "-"
    moment = timestamps.parse_time(stamp)
    if moment is None:
        return "-"
    seconds = max(int((now - moment).total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size or (unit == "m" and seconds >= size):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
