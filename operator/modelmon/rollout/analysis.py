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

from modelmon import timestamps
from modelmon.api.durations import parse_duration
from modelmon.api.rollout import (
    AnalysisMetric,
    AnalysisRun,
    AnalysisTemplate,
    Measurement,
    MeasurementCounts,
    MeasurementResult,
    RunPhase,
)

#: Measurements kept per run in status (the counts that decide the run cover all of them).
MAX_MEASUREMENTS = 100


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


def assess_measurement(metric: AnalysisMetric, raw: RawMeasurement, *, at: str) -> Measurement:
    """The status entry for one measurement."""
    if raw.error is not None:
        return Measurement(metric=metric.name, at=at, result=MeasurementResult.ERROR, message=raw.error[:512])
    if raw.passed is not None and raw.value is None:
        result = MeasurementResult.SUCCESSFUL if raw.passed else MeasurementResult.FAILED
        message = raw.note or ("answered 2xx" if raw.passed else "did not answer 2xx")
        return Measurement(metric=metric.name, at=at, result=result, message=message)
    if raw.value is None or math.isnan(raw.value):
        return Measurement(metric=metric.name, at=at, result=MeasurementResult.INCONCLUSIVE,
                           message=raw.note or "no data (NaN): not a pass")
    value = raw.value
    if metric.min is not None and value < metric.min:
        return Measurement(metric=metric.name, at=at, value=value, result=MeasurementResult.FAILED,
                           message=f"{value:g} is below min {metric.min:g}")
    if metric.max is not None and value > metric.max:
        return Measurement(metric=metric.name, at=at, value=value, result=MeasurementResult.FAILED,
                           message=f"{value:g} is above max {metric.max:g}")
    return Measurement(metric=metric.name, at=at, value=value, result=MeasurementResult.SUCCESSFUL,
                       message=_within(metric, value))


def _within(metric: AnalysisMetric, value: float) -> str:
    bounds = [f">= {metric.min:g}" if metric.min is not None else "", f"<= {metric.max:g}" if metric.max is not None else ""]
    return f"{value:g} within bounds ({' and '.join(b for b in bounds if b) or '2xx'})"


def start_run(*, template: str, stage: str, step: int | None, now: str) -> AnalysisRun:
    return AnalysisRun.model_validate({"template": template, "stage": stage, "step": step, "phase": RunPhase.RUNNING,
                                       "rounds": 0, "startedAt": now, "message": "waiting for the first measurement",
                                       "measurements": []})


def is_due(run: AnalysisRun, template: AnalysisTemplate, now: datetime.datetime) -> bool:
    """A run's next round is due: the first at once, then one per interval, ``count`` in all."""
    if run.phase != RunPhase.RUNNING or run.rounds >= template.count:
        return False
    if not run.measurements:
        return True
    return timestamps.elapsed(run.measurements[-1].at, now) >= parse_duration(template.interval)


def record_round(run: AnalysisRun, template: AnalysisTemplate, entries: Sequence[Measurement],
                 *, now: str) -> AnalysisRun:
    """The run with one more round of measurements, and its phase re-assessed (``run`` is left as it was)."""
    measurements = [*run.measurements, *entries][-MAX_MEASUREMENTS:]
    counts = count_results(entries, into=run.counts)
    rounds = run.rounds + 1
    phase, message = assess_run(template, counts, rounds=rounds)
    updated = run.model_copy(update={"measurements": measurements, "counts": counts, "rounds": rounds,
                                     "phase": phase, "message": message})
    if phase != RunPhase.RUNNING:
        updated.finished_at = now
    return updated


def count_results(entries: Sequence[Measurement], *,
                  into: Mapping[str, MeasurementCounts] | None = None) -> dict[str, MeasurementCounts]:
    """Measurements per metric and result (kept in status, so trimming the measurements loses no count)."""
    counts = {metric: seen.model_copy() for metric, seen in (into or {}).items()}
    for entry in entries:
        seen = counts.setdefault(entry.metric, MeasurementCounts())
        field = entry.result.lower()  # the counts' fields are the results' words, lower case
        setattr(seen, field, getattr(seen, field) + 1)
    return counts


def assess_run(template: AnalysisTemplate, counts: Mapping[str, MeasurementCounts], *,
               rounds: int) -> tuple[RunPhase, str]:
    seen_by = {m.name: counts.get(m.name) or MeasurementCounts() for m in template.metrics}
    for name, seen in seen_by.items():
        if seen.failed > template.failure_limit:
            return RunPhase.FAILED, f"{name}: {seen.failed} failed measurement(s), limit {template.failure_limit}"
    for name, seen in seen_by.items():
        if seen.error > template.error_limit:
            return RunPhase.ERROR, f"{name}: {seen.error} measurement error(s), limit {template.error_limit}"
    for name, seen in seen_by.items():
        if seen.inconclusive > template.inconclusive_limit:
            return RunPhase.INCONCLUSIVE, (f"{name}: {seen.inconclusive} inconclusive measurement(s) (no data or "
                                           f"NaN), limit {template.inconclusive_limit}: a person decides "
                                           "(promote, retry, abort)")
    if rounds < template.count:
        return RunPhase.RUNNING, f"{rounds} of {template.count} round(s) taken"
    unproven = [name for name, seen in seen_by.items() if seen.successful == 0]
    if unproven:
        return RunPhase.INCONCLUSIVE, (f"{', '.join(unproven)}: no successful measurement in {rounds} round(s); "
                                       "a person decides (promote, retry, abort)")
    return RunPhase.SUCCESSFUL, f"{rounds} round(s), every metric within bounds"
