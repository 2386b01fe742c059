"""Judging analysis measurements and runs.

A measurement is Successful inside its bounds, Failed outside, Inconclusive when there was
nothing to judge (no data, NaN, a monitor with no check since the run started) and Error when
it could not be taken. Inconclusive is never a pass: a run is Successful only when it took all
its rounds without exceeding a limit and every metric was Successful at least once.

Per metric, after each round (limits are "tolerated", one more trips them), first match wins:
    failed > failureLimit            -> Failed        (rollback)
    errors > errorLimit              -> Error         (rollback)
    inconclusive > inconclusiveLimit -> Inconclusive  (pause for a person)
    rounds == count and every metric had a success -> Successful, else Inconclusive
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Mapping, Sequence
from typing import Any

from modelmon import timestamps
from modelmon.api.rollout import AnalysisMetric, AnalysisTemplate
from modelmon.api.durations import parse_duration

#: Measurements kept per run in status (the counts that decide the run cover all of them).
MAX_MEASUREMENTS = 100
RESULTS = ("Successful", "Failed", "Inconclusive", "Error")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RawMeasurement:
    """What a provider returned for one metric."""

    metric: str
    value: float | None = None
    passed: bool | None = None
    """A webhook without bounds: its answer passed (2xx) or not."""
    error: str | None = None
    """Why it could not be measured."""
    note: str = ""
    """Why there is no value (e.g. the query returned no series)."""


def assess_measurement(metric: AnalysisMetric, raw: RawMeasurement, *, at: str) -> dict[str, Any]:
    """The status entry for one measurement."""
    entry: dict[str, Any] = {"metric": metric.name, "at": at}
    if raw.error is not None:
        return {**entry, "result": "Error", "message": raw.error[:512]}
    if raw.passed is not None and raw.value is None:
        return {**entry, "result": "Successful" if raw.passed else "Failed", "message": raw.note or
                ("answered 2xx" if raw.passed else "did not answer 2xx")}
    if raw.value is None or math.isnan(raw.value):
        return {**entry, "result": "Inconclusive", "message": raw.note or "no data (NaN): not a pass"}
    value = raw.value
    entry["value"] = value
    if metric.min is not None and value < metric.min:
        return {**entry, "result": "Failed", "message": f"{value:g} is below min {metric.min:g}"}
    if metric.max is not None and value > metric.max:
        return {**entry, "result": "Failed", "message": f"{value:g} is above max {metric.max:g}"}
    return {**entry, "result": "Successful", "message": _within(metric, value)}


def _within(metric: AnalysisMetric, value: float) -> str:
    bounds = [f">= {metric.min:g}" if metric.min is not None else "", f"<= {metric.max:g}" if metric.max is not None else ""]
    return f"{value:g} within bounds ({' and '.join(b for b in bounds if b) or '2xx'})"


def start_run(*, template: str, stage: str, step: int | None, now: str) -> dict[str, Any]:
    run: dict[str, Any] = {"template": template, "stage": stage, "phase": "Running", "rounds": 0, "startedAt": now,
                           "message": "waiting for the first measurement", "measurements": []}
    if step is not None:
        run["step"] = step
    return run


def is_due(run: Mapping[str, Any], template: AnalysisTemplate, now: datetime.datetime) -> bool:
    """A run's next round is due: the first at once, then one per interval, ``count`` in all."""
    if run.get("phase") != "Running" or int(run.get("rounds") or 0) >= template.count:
        return False
    measurements = run.get("measurements") or []
    if not measurements:
        return True
    return timestamps.elapsed(measurements[-1]["at"], now) >= parse_duration(template.interval)


def record_round(run: Mapping[str, Any], template: AnalysisTemplate, entries: Sequence[dict[str, Any]],
                 *, now: str) -> dict[str, Any]:
    """The run with one more round of measurements, and its phase re-assessed."""
    measurements = [*(run.get("measurements") or []), *entries][-MAX_MEASUREMENTS:]
    counts = count_results(entries, into=run.get("counts"))
    updated = {**run, "measurements": measurements, "counts": counts, "rounds": int(run.get("rounds") or 0) + 1}
    phase, message = assess_run(template, counts, rounds=updated["rounds"])
    updated.update(phase=phase, message=message)
    if phase != "Running":
        updated["finishedAt"] = now
    return updated


def count_results(entries: Sequence[Mapping[str, Any]], *,
                  into: Mapping[str, Mapping[str, int]] | None = None) -> dict[str, dict[str, int]]:
    """Measurements per metric and result (kept in status, so trimming the measurements loses no count)."""
    counts = {metric: dict(seen) for metric, seen in (into or {}).items()}
    for entry in entries:
        seen = counts.setdefault(entry["metric"], {r.lower(): 0 for r in RESULTS})
        seen[entry["result"].lower()] = seen.get(entry["result"].lower(), 0) + 1
    return counts


def assess_run(template: AnalysisTemplate, counts: Mapping[str, Mapping[str, int]], *,
               rounds: int) -> tuple[str, str]:
    zero = {r.lower(): 0 for r in RESULTS}
    seen_by = {m.name: {**zero, **counts.get(m.name, {})} for m in template.metrics}
    for name, seen in seen_by.items():
        if seen["failed"] > template.failure_limit:
            return "Failed", f"{name}: {seen['failed']} failed measurement(s), limit {template.failure_limit}"
    for name, seen in seen_by.items():
        if seen["error"] > template.error_limit:
            return "Error", f"{name}: {seen['error']} measurement error(s), limit {template.error_limit}"
    for name, seen in seen_by.items():
        if seen["inconclusive"] > template.inconclusive_limit:
            return "Inconclusive", (f"{name}: {seen['inconclusive']} inconclusive measurement(s) (no data or NaN), "
                                    f"limit {template.inconclusive_limit}: a person decides (promote, retry, abort)")
    if rounds < template.count:
        return "Running", f"{rounds} of {template.count} round(s) taken"
    unproven = [name for name, seen in seen_by.items() if seen["successful"] == 0]
    if unproven:
        return "Inconclusive", (f"{', '.join(unproven)}: no successful measurement in {rounds} round(s); "
                                "a person decides (promote, retry, abort)")
    return "Successful", f"{rounds} round(s), every metric within bounds"
