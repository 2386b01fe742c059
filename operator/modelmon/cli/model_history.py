"""``kubectl modelmon history MONITOR``: what a monitor's model went through, from the cluster, as
``kubectl rollout history`` shows a Deployment's revisions -- the models it judged (status.activeModel,
then status.previousModels, newest first) and the RetrainingJobs that tried to replace them. Pure:
objects in, text out; cli/history_command.py reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelmon.api.retraining_phases import RetrainingPhase


def render(monitor: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]]) -> str:
    name = (monitor.get("metadata") or {}).get("name", "")
    status = monitor.get("status") or {}
    spec_model = (monitor.get("spec") or {}).get("model") or {}
    lines = [f"ModelMonitor {name}: model {spec_model.get('name', '?')}"]
    models = [("active", status.get("activeModel"))] + [("previous", m) for m in status.get("previousModels") or []]
    rows = [["", "VERSION", "PROMOTED", "BY", "URI"]]
    for role, model in models:
        if model:
            rows.append(
                [
                    role,
                    model.get("version") or "-",
                    model.get("promotedAt") or "-",
                    model.get("retrainingJob") or "(spec)",
                    model.get("uri") or "-",
                ]
            )
    if len(rows) == 1:
        lines.append(f"  no model promoted yet: checks judge spec.model (version {spec_model.get('version', '?')})")
    else:
        lines += ["", "MODELS (newest first)", table(rows)]
    mine = sorted(
        (j for j in jobs if ((j.get("spec") or {}).get("monitorRef") or {}).get("name") == name),
        key=lambda j: (j.get("metadata") or {}).get("creationTimestamp") or "",
        reverse=True,
    )
    rows = [["RETRAININGJOB", "REASON", "PHASE", "MODEL", "CREATED", "COMPLETED", "MESSAGE"]]
    for job in mine:
        meta, spec, job_status = job.get("metadata") or {}, job.get("spec") or {}, job.get("status") or {}
        rows.append(
            [
                meta.get("name", ""),
                spec.get("reason") or "-",
                job_status.get("phase") or RetrainingPhase.PENDING.value,
                (job_status.get("model") or {}).get("version") or "-",
                meta.get("creationTimestamp") or "-",
                job_status.get("completionTime") or "-",
                _short(job_status.get("message") or ""),
            ]
        )
    lines += ["", "RETRAININGS (newest first)", table(rows) if len(rows) > 1 else "  none"]
    return "\n".join(lines)


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
