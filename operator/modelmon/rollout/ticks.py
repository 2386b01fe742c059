"""One planning pass of the rollout state machine (:class:`Tick`) and what the strategies share.

The strategies (:mod:`~modelmon.rollout.canary`, :mod:`~modelmon.rollout.bluegreen`) work on a
Tick and implement :class:`~modelmon.rollout.strategies.Strategy`; the machine
(:mod:`~modelmon.rollout.machine`) picks one and drives it. Neither strategy imports the
machine, so there is no import cycle.
"""

from __future__ import annotations

import datetime

from modelmon import timestamps
from modelmon.api.durations import parse_duration
from modelmon.api.rollout import (
    FINISHED_ROLLOUT_PHASES,
    ROLLOUT_LABEL,
    TRACK_LABEL,
    AnalysisRun,
    DeploymentSummary,
    Measurement,
    RolloutPhase,
    RolloutSpec,
    RolloutStatus,
    RunPhase,
)
from modelmon.conditions import EventType, RolloutReason
from modelmon.rollout import analysis, handover, weights
from modelmon.rollout.observations import Event, Observed

FINAL = FINISHED_ROLLOUT_PHASES
ACTIVE = frozenset({RolloutPhase.PROGRESSING, RolloutPhase.PAUSED})
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
    """One planning pass: the state being changed (a copy of the status it started from), and what it
    asks for."""

    def __init__(
        self,
        *,
        spec: RolloutSpec,
        state: RolloutStatus | None,
        observed: Observed,
        now: datetime.datetime,
        name: str,
    ) -> None:
        self.spec, self.observed, self.now, self.name = spec, observed, now, name
        self.stamp = timestamps.format_time(now)
        self._state = state.model_copy(deep=True) if state is not None else None
        self.events: list[Event] = []
        self.consume: list[str] = []
        self.measured: list[Measurement] = []
        self.restarted = False

    @property
    def state(self) -> RolloutStatus:
        """The state being planned (the rollout has started: every path of the machine starts it first)."""
        assert self._state is not None, "the rollout has not started"
        return self._state

    @state.setter
    def state(self, value: RolloutStatus) -> None:
        self._state = value

    # --- helpers shared by the strategies ---------------------------------------------------

    def tell(self, type: EventType, reason: RolloutReason, message: str) -> None:
        self.events.append(Event(type=type, reason=reason.value, message=message))
        self.state.message = message

    def enter(self, *, stage: str, step: int, phase: RolloutPhase = RolloutPhase.PROGRESSING) -> None:
        state = self.state
        state.stage, state.step, state.phase = stage, step, phase
        state.step_started_at = state.progress_at = self.stamp
        state.paused_reason = None

    def pause(self, reason: RolloutReason, message: str) -> None:
        self.state.phase, self.state.paused_reason = RolloutPhase.PAUSED, reason.value
        self.tell("Normal", reason, message)

    def past_deadline(self) -> bool:
        return timestamps.elapsed(self.state.progress_at, self.now) > parse_duration(self.spec.progress_deadline)

    def new_values(self) -> dict[str, str]:
        return handover.calculate_values(self.spec.handover, model=self.observed.model)

    def version(self) -> str:
        return str(self.observed.model.get("version", "?"))

    def track_selector(self) -> dict[str, str]:
        return {TRACK_LABEL: "preview", ROLLOUT_LABEL: self.name}

    def rollback(self, reason: RolloutReason, message: str) -> None:
        state = self.state
        state.phase, state.stage, state.abort_reason, state.paused_reason = (
            RolloutPhase.ROLLING_BACK,
            "rollback",
            reason.value,
            None,
        )
        state.step_started_at = state.progress_at = self.stamp
        self.tell("Warning", reason, f"{message}; rolling back (the previous model keeps serving)")

    def current_run(self, *, stage: str, step: int | None) -> AnalysisRun | None:
        runs = self.state.analysis_runs
        if runs:
            run = runs[-1]
            if run.stage == stage and run.step == step and run.started_at >= self.state.step_started_at:
                return run
        return None

    def save_run(self, run: AnalysisRun) -> None:
        runs = list(self.state.analysis_runs)
        if (
            runs
            and runs[-1].started_at == run.started_at
            and runs[-1].template == run.template
            and (runs[-1].stage == run.stage)
        ):
            runs[-1] = run
        else:
            runs = [r.model_copy(update={"measurements": r.measurements[-KEPT_OF_EARLIER_RUNS:]}) for r in runs]
            runs.append(run)
        self.state.analysis_runs = runs[-MAX_RUNS:]

    def start_run(self, template: str, *, stage: str, step: int | None, label: str) -> None:
        self.save_run(analysis.start_run(template=template, stage=stage, step=step, now=self.stamp))
        self.tell("Normal", RolloutReason.ANALYSIS_STARTED, f"{label}: analysis {template} started")

    def advance_run(self, template_name: str, *, stage: str, step: int | None) -> RunPhase:
        """Record this tick's measurements into the current run; its phase after them."""
        run = self.current_run(stage=stage, step=step)
        if run is None:
            self.start_run(template_name, stage=stage, step=step, label=stage)
            return RunPhase.RUNNING
        template = self.spec.template(template_name)
        if run.phase == RunPhase.RUNNING and self.observed.measurements:
            by_name = {raw.metric: raw for raw in self.observed.measurements}
            entries = [
                analysis.assess_measurement(metric, by_name[metric.name], at=self.stamp)
                for metric in template.metrics
                if metric.name in by_name
            ]
            self.measured += entries
            run = analysis.record_round(run, template, entries, now=self.stamp)
            self.save_run(run)
            self.state.progress_at = self.stamp
        return run.phase

    def finish(self, outcome_phase: RolloutPhase) -> None:
        self.state.phase, self.state.finished_at, self.state.paused_reason = outcome_phase, self.stamp, None


def start_promotion(tick: Tick, *, step: int) -> None:
    """Promoting: the target's hand-over values are recorded first (to restore on rollback), then patched."""
    target = tick.observed.target
    assert target is not None
    new = tick.new_values()
    if tick.state.previous_handover is None:
        tick.state.previous_handover = {key: target.handover.get(key, "") for key in new}
    tick.enter(stage="promote", step=step, phase=RolloutPhase.PROMOTING)
    tick.tell("Normal", RolloutReason.PROMOTING, f"promoting: Deployment {target.name} gets {handover.describe(new)}")


def summarize(tick: Tick) -> None:
    """Replica counts and the effective weight, from what was observed."""
    target, track = tick.observed.target, tick.observed.track
    if target is None:
        return
    state = tick.state
    canary_ready = track.ready if track is not None and track.owned else 0
    previous_ready = state.canary.ready if state.canary is not None else 0
    desired = state.canary.desired if state.canary is not None else 0
    state.canary = DeploymentSummary(desired=desired, ready=canary_ready)
    state.stable = DeploymentSummary(desired=target.replicas, ready=target.ready)
    state.effective_weight = _effective(tick, canary_ready=canary_ready, stable_ready=target.ready)
    if canary_ready > previous_ready:
        state.progress_at = tick.stamp


def _effective(tick: Tick, *, canary_ready: int, stable_ready: int) -> float:
    """The new model's share of traffic: its share of ready pods for a canary; for blue-green all
    or nothing, by where the active Service points; all once the target serves it."""
    if tick.state.phase in (RolloutPhase.FINALIZING, RolloutPhase.SUCCEEDED):
        return 100.0
    blue_green = tick.spec.strategy.blue_green
    if blue_green is not None:
        return 100.0 if tick.observed.selectors.get(blue_green.active_service) == tick.track_selector() else 0.0
    return weights.effective_weight(canary_ready=canary_ready, stable_ready=stable_ready)
