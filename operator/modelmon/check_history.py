"""The check job's history: append the check's record and publish its HTML report to the store.

The store is the monitor's ``spec.history`` folder on a volume claim. A store that cannot be
written never costs the check its verdict: the verdict is still written to status, and
``lastCheck.history.error`` says what went wrong with the store (one line, with the fix).

Layout of a store (``modelmon history --store`` and ``modelmon report --history`` read it)::

    <folder>/date=YYYY-MM-DD/<HHMMSS.ffffff>Z-<id>.json        one record a check
    <folder>/reports/date=YYYY-MM-DD/<HHMMSS>Z-<id>.html        one report a check (with reports: true)
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmon.api.drift import CheckConfig
from modelmon.api.durations import parse_duration
from modelmon.api.history import HistorySpec
from modelmon.drift.distributions import Sketch
from modelmon.drift.results import DriftReport
from modelmon.history import records, store
from modelmon.performance.report import PerformanceReport
from modelmon.policies import health

REPORTS = "reports"
#: How many earlier checks a published report plots each feature's score over.
REPORT_HISTORY = 30


@dataclasses.dataclass(frozen=True, kw_only=True)
class Checked:
    """What a check produced, for its report (absent when the data could not be read)."""

    report: DriftReport
    performance: PerformanceReport | None
    sketches: Mapping[str, Sketch]
    config: CheckConfig


def publish(
    history: HistorySpec,
    *,
    folder: str,
    monitor: str,
    last_check: Mapping[str, Any],
    checked: Checked | None,
    model_version: str | None,
    now: datetime.datetime,
) -> dict[str, Any]:
    """Append the record to the store at ``folder``, publish the report; the ``lastCheck.history``
    status of it."""
    keep = datetime.timedelta(seconds=parse_duration(history.retention))
    assessed = health.assess_health(dict(last_check), previous_health=None, generation=None)
    record = records.plan_record(last_check, health=assessed.health.value, model_version=model_version)
    try:
        earlier = store.read(folder, last=REPORT_HISTORY) if history.reports and checked is not None else []
        written = store.append(folder, record, now=now, retention=keep)
        result: dict[str, Any] = {"record": _relative(written, folder)}
        if history.reports and checked is not None:
            page = _render(checked, monitor=monitor, earlier=earlier, generated_at=str(last_check.get("time") or ""))
            path = _write_report(Path(folder), page, now=now)
            result["report"] = _relative(path, folder)
            if history.report_url:
                result["reportURL"] = f"{history.report_url.rstrip('/')}/{result['report']}"
        _drop_old_reports(Path(folder), now=now, keep=keep)
    except store.HistoryError as error:
        return {
            "error": f"{error}; check that PersistentVolumeClaim {history.volume_claim} is bound and "
            f"writable by uid 65532"
        }
    return result


def _relative(path: Path, folder: str) -> str:
    return str(path.relative_to(folder))


def _render(checked: Checked, *, monitor: str, earlier: list[records.CheckRecord], generated_at: str) -> str:
    # matplotlib is imported here only: a monitor without reports never loads it
    from modelmon.reporting import model, pages, plots

    view = model.plan_report(
        report=checked.report,
        performance=checked.performance,
        sketches=checked.sketches,
        spec=checked.config.drift,
        generated_at=generated_at,
        title=f"Drift report: ModelMonitor {monitor}",
        history=earlier,
    )
    return pages.render_page(view, plotter=plots.Plotter(), processes=1)


def _write_report(folder: Path, page: str, *, now: datetime.datetime) -> Path:
    root = folder / REPORTS
    partition = root / records.partition_of(now)
    name = f"{now.astimezone(datetime.UTC).strftime('%H%M%S')}Z-{uuid.uuid4().hex[:8]}.html"
    try:
        partition.mkdir(parents=True, exist_ok=True)
        temporary = partition / f".{name}.tmp"
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, partition / name)  # a reader never sees half a report
    except OSError as error:
        raise store.HistoryError(f"{root}: cannot write the report ({error.strerror or error})") from error
    return partition / name


def _drop_old_reports(folder: Path, *, now: datetime.datetime, keep: datetime.timedelta) -> None:
    """Reports go with their day, like records, whether or not this check wrote one."""
    root = folder / REPORTS
    try:
        if root.is_dir():
            for old in records.plan_retention((p.name for p in root.iterdir() if p.is_dir()), now=now, keep=keep):
                shutil.rmtree(root / old)
    except OSError as error:
        raise store.HistoryError(f"{root}: cannot remove old reports ({error.strerror or error})") from error
