"""One planning pass of the rollout state machine (:class:`Tick`) and what the strategies share.

The strategies (:mod:`~modelmon.rollout.canary`, :mod:`~modelmon.rollout.bluegreen`) work on a
Tick and implement :class:`~modelmon.rollout.strategies.Strategy`; the machine
(:mod:`~modelmon.rollout.machine`) picks one and drives it. Neither strategy imports the
machine, so there is no import cycle.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal

from modelmon import timestamps
from modelmon.api.durations import parse_duration
from modelmon.api.rollout import ROLLOUT_LABEL, TRACK_LABEL, RolloutSpec
from modelmon.conditions import RolloutReason
from modelmon.rollout import analysis, handover, weights
from modelmon.rollout.observations import Event, Observed

FINAL = frozenset({"Succeeded", "RolledBack", "Failed"})
ACTIVE = frozenset({"Progressing", "Paused"})
MAX_RUNS = 10
#: Measurements an earlier run keeps once a newer one starts (its counts stay whole).
KEPT_OF_EARLIER_RUNS = 10
#: Blue-green stages in order; status.rollout.step is the index.
BLUE_GREEN_STAGES = (
    "preview",
    "prePromotionAnalysis",
    "awaitPromotion",
    "switch",
    "postPromotionAnalysis",
    "promote",
    "restore",
    "scaleDown",
)


class Tick:
    """One planning pass: the state being changed, and what it asks for."""

    def __init__(
        self,
        *,
        spec: RolloutSpec,
        state: Mapping[str, Any] | None,
        observed: Observed,
        now: datetime.datetime,
        name: str,
    ) -> None:
        self.spec, self.observed, self.now, self.name = spec, observed, now, name
        self.stamp = timestamps.format_time(now)
        self.state: dict[str, Any] = dict(state or {})
        self.events: list[Event] = []
        self.consume: list[str] = []
        self.measured: list[dict[str, Any]] = []
        self.restarted = False

    # --- helpers shared by the strategies ---------------------------------------------------

    def tell(self, type: Literal["Normal", "Warning"], reason: RolloutReason, message: str) -> None:
        self.events.append(Event(type=type, reason=reason.value, message=message))
        self.state["message"] = message

    def enter(self, *, stage: str, step: int, phase: str = "Progressing") -> None:
        self.state.update(
            stage=stage, step=step, phase=phase, stepStartedAt=self.stamp, progressAt=self.stamp, pausedReason=None
        )

    def pause(self, reason: RolloutReason, message: str) -> None:
        self.state.update(phase="Paused", pausedReason=reason.value)
        self.tell("Normal", reason, message)

    def past_deadline(self) -> bool:
        return timestamps.elapsed(self.state.get("progressAt"), self.now) > parse_duration(self.spec.progress_deadline)

    def new_values(self) -> dict[str, str]:
        return handover.calculate_values(self.spec.handover, model=self.observed.model)

    def version(self) -> str:
        return str(self.observed.model.get("version", "?"))

    def track_selector(self) -> dict[str, str]:
        return {TRACK_LABEL: "preview", ROLLOUT_LABEL: self.name}

    def rollback(self, reason: RolloutReason, message: str) -> None:
        self.state.update(
            phase="RollingBack",
            stage="rollback",
            abortReason=reason.value,
            pausedReason=None,
            stepStartedAt=self.stamp,
            progressAt=self.stamp,
        )
        self.tell("Warning", reason, f"{message}; rolling back (the previous model keeps serving)")

    def current_run(self, *, stage: str, step: int | None) -> dict[str, Any] | None:
        runs = self.state.get("analysisRuns") or []
        if runs:
            run = runs[-1]
            if (
                run.get("stage") == stage
                and run.get("step") == step
                and run["startedAt"] >= self.state["stepStartedAt"]
            ):
                return dict(run)
        return None

    def save_run(self, run: dict[str, Any]) -> None:
        runs = list(self.state.get("analysisRuns") or [])
        if (
            runs
            and runs[-1]["startedAt"] == run["startedAt"]
            and runs[-1]["template"] == run["template"]
            and runs[-1].get("stage") == run.get("stage")
        ):
            runs[-1] = run
        else:
            runs = [{**r, "measurements": (r.get("measurements") or [])[-KEPT_OF_EARLIER_RUNS:]} for r in runs]
            runs.append(run)
        self.state["analysisRuns"] = runs[-MAX_RUNS:]

    def start_run(self, template: str, *, stage: str, step: int | None, label: str) -> None:
        self.save_run(analysis.start_run(template=template, stage=stage, step=step, now=self.stamp))
        self.tell("Normal", RolloutReason.ANALYSIS_STARTED, f"{label}: analysis {template} started")

    def advance_run(self, template_name: str, *, stage: str, step: int | None) -> str:
        """Record this tick's measurements into the current run; its phase after them."""
        run = self.current_run(stage=stage, step=step)
        if run is None:
            self.start_run(template_name, stage=stage, step=step, label=stage)
            return "Running"
        template = self.spec.template(template_name)
        if run["phase"] == "Running" and self.observed.measurements:
            by_name = {raw.metric: raw for raw in self.observed.measurements}
            entries = [
                analysis.assess_measurement(metric, by_name[metric.name], at=self.stamp)
                for metric in template.metrics
                if metric.name in by_name
            ]
            self.measured += entries
            run = analysis.record_round(run, template, entries, now=self.stamp)
            self.save_run(run)
            self.state["progressAt"] = self.stamp
        return str(run["phase"])

    def finish(self, outcome_phase: str) -> None:
        self.state.update(phase=outcome_phase, finishedAt=self.stamp, pausedReason=None)


def start_promotion(tick: Tick, *, step: int) -> None:
    """Promoting: the target's hand-over values are recorded first (to restore on rollback), then patched."""
    target = tick.observed.target
    assert target is not None
    new = tick.new_values()
    if tick.state.get("previousHandover") is None:
        tick.state["previousHandover"] = {key: target.handover.get(key, "") for key in new}
    tick.enter(stage="promote", step=step, phase="Promoting")
    tick.tell("Normal", RolloutReason.PROMOTING, f"promoting: Deployment {target.name} gets {handover.describe(new)}")


def summarize(tick: Tick) -> None:
    """Replica counts and the effective weight, from what was observed."""
    target, track = tick.observed.target, tick.observed.track
    if target is None:
        return
    canary_ready = track.ready if track is not None and track.owned else 0
    previous = tick.state.get("canary") or {}
    desired = (tick.state.get("canary") or {}).get("desired", 0)
    tick.state["canary"] = {"desired": desired, "ready": canary_ready}
    tick.state["stable"] = {"desired": target.replicas, "ready": target.ready}
    tick.state["effectiveWeight"] = _effective(tick, canary_ready=canary_ready, stable_ready=target.ready)
    if canary_ready > int(previous.get("ready") or 0):
        tick.state["progressAt"] = tick.stamp


def _effective(tick: Tick, *, canary_ready: int, stable_ready: int) -> float:
    """The new model's share of traffic: its share of ready pods for a canary; for blue-green all
    or nothing, by where the active Service points; all once the target serves it."""
    if tick.state.get("phase") in ("Finalizing", "Succeeded"):
        return 100.0
    blue_green = tick.spec.strategy.blue_green
    if blue_green is not None:
        return 100.0 if tick.observed.selectors.get(blue_green.active_service) == tick.track_selector() else 0.0
    return weights.effective_weight(canary_ready=canary_ready, stable_ready=stable_ready)
