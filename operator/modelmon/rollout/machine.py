"""The rollout state machine: ``plan(spec, state, observed, now) -> Plan``.

Phases (``status.rollout.phase``):

    Progressing / Paused   the strategy's steps (canary) or stages (blue-green)
    Promoting              the target's model hand-over is patched; waits until it rolled out
    Finalizing             the new model's extra Deployment goes (blue-green: Services restored first)
    RollingBack            the extra Deployment goes, Services and the hand-over are restored
    Succeeded | RolledBack | Failed   final (the RetrainingJob's phase follows)

The cluster's desired state is derived from the state alone (:func:`_converge`), every tick:
the actions are level-triggered and idempotent, so a crash between persisting the state and
applying the actions loses nothing. Transitions look at what was observed; each one is an Event.
The state is persisted before the actions are applied, so whatever must be restored later
(the target's hand-over values, the Services' selectors) is recorded before it is changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from modelmon.api.durations import parse_duration
from modelmon.api.rollout import ABORT, PROMOTE, PROMOTE_FULL, RETRY, ROLLOUT_LABEL, TRACK_LABEL, RolloutSpec
from modelmon.conditions import RolloutReason as Reason
from modelmon.rollout import analysis, handover, times, weights
from modelmon.rollout.observations import (DeleteTrack, EnsureTrack, Event, Observed, Outcome, Plan, SetHandover,
                                           SetSelector)

FINAL = frozenset({"Succeeded", "RolledBack", "Failed"})
ACTIVE = frozenset({"Progressing", "Paused"})
MAX_RUNS = 10
#: Measurements an earlier run keeps once a newer one starts (its counts stay whole).
KEPT_OF_EARLIER_RUNS = 10
#: Blue-green stages in order; status.rollout.step is the index.
BLUE_GREEN_STAGES = ("preview", "prePromotionAnalysis", "awaitPromotion", "switch", "postPromotionAnalysis",
                     "promote", "restore", "scaleDown")
_FAILING = {Reason.TARGET_NOT_FOUND.value, Reason.TARGET_UNUSABLE.value}


class Tick:
    """One planning pass: the state being changed, and what it asks for."""

    def __init__(self, *, spec: RolloutSpec, state: Mapping[str, Any] | None, observed: Observed,
                 now: datetime.datetime, name: str) -> None:
        self.spec, self.observed, self.now, self.name = spec, observed, now, name
        self.stamp = times.iso(now)
        self.state: dict[str, Any] = dict(state or {})
        self.events: list[Event] = []
        self.consume: list[str] = []
        self.measured: list[dict[str, Any]] = []
        self.restarted = False

    # --- helpers shared by the strategies ---------------------------------------------------

    def tell(self, type: str, reason: Reason, message: str) -> None:
        self.events.append(Event(type=type, reason=reason.value, message=message))  # type: ignore[arg-type]
        self.state["message"] = message

    def enter(self, *, stage: str, step: int, phase: str = "Progressing") -> None:
        self.state.update(stage=stage, step=step, phase=phase, stepStartedAt=self.stamp, progressAt=self.stamp,
                          pausedReason=None)

    def pause(self, reason: Reason, message: str) -> None:
        self.state.update(phase="Paused", pausedReason=reason.value)
        self.tell("Normal", reason, message)

    def past_deadline(self) -> bool:
        return times.elapsed(self.state.get("progressAt"), self.now) > parse_duration(self.spec.progress_deadline)

    def new_values(self) -> dict[str, str]:
        return handover.calculate_values(self.spec.handover, model=self.observed.model)

    def version(self) -> str:
        return str(self.observed.model.get("version", "?"))

    def track_selector(self) -> dict[str, str]:
        return {TRACK_LABEL: "preview", ROLLOUT_LABEL: self.name}

    def rollback(self, reason: Reason, message: str) -> None:
        self.state.update(phase="RollingBack", stage="rollback", abortReason=reason.value, pausedReason=None,
                          stepStartedAt=self.stamp, progressAt=self.stamp)
        self.tell("Warning", reason, f"{message}; rolling back (the previous model keeps serving)")

    def current_run(self, *, stage: str, step: int | None) -> dict[str, Any] | None:
        runs = self.state.get("analysisRuns") or []
        if runs:
            run = runs[-1]
            if (run.get("stage") == stage and run.get("step") == step
                    and run["startedAt"] >= self.state["stepStartedAt"]):
                return dict(run)
        return None

    def save_run(self, run: dict[str, Any]) -> None:
        runs = list(self.state.get("analysisRuns") or [])
        if runs and runs[-1]["startedAt"] == run["startedAt"] and runs[-1]["template"] == run["template"] \
                and runs[-1].get("stage") == run.get("stage"):
            runs[-1] = run
        else:
            runs = [{**r, "measurements": (r.get("measurements") or [])[-KEPT_OF_EARLIER_RUNS:]} for r in runs]
            runs.append(run)
        self.state["analysisRuns"] = runs[-MAX_RUNS:]

    def start_run(self, template: str, *, stage: str, step: int | None, label: str) -> None:
        self.save_run(analysis.start_run(template=template, stage=stage, step=step, now=self.stamp))
        self.tell("Normal", Reason.ANALYSIS_STARTED, f"{label}: analysis {template} started")

    def advance_run(self, template_name: str, *, stage: str, step: int | None) -> str:
        """Record this tick's measurements into the current run; its phase after them."""
        run = self.current_run(stage=stage, step=step)
        if run is None:
            self.start_run(template_name, stage=stage, step=step, label=stage)
            return "Running"
        template = self.spec.template(template_name)
        if run["phase"] == "Running" and self.observed.measurements:
            by_name = {raw.metric: raw for raw in self.observed.measurements}
            entries = [analysis.assess_measurement(metric, by_name[metric.name], at=self.stamp)
                       for metric in template.metrics if metric.name in by_name]
            self.measured += entries
            run = analysis.record_round(run, template, entries, now=self.stamp)
            self.save_run(run)
            self.state["progressAt"] = self.stamp
        return str(run["phase"])

    def finish(self, outcome_phase: str) -> None:
        self.state.update(phase=outcome_phase, finishedAt=self.stamp, pausedReason=None)

    # --- the result --------------------------------------------------------------------------

    def plan(self) -> Plan:
        actions = _converge(self) if self.state.get("phase") not in FINAL else []
        return Plan(state=_clean(self.state), actions=actions, events=self.events, consume=self.consume,
                    outcome=_outcome(self), measurements=self.measured, restarted=self.restarted)


def plan(*, spec: RolloutSpec, state: Mapping[str, Any] | None, observed: Observed, now: datetime.datetime,
         name: str) -> Plan:
    """The next state of the rollout ``name`` and the actions and Events that go with it."""
    from modelmon.rollout import bluegreen, canary  # the strategies use Tick; imported here to avoid a cycle

    strategy = canary if spec.strategy.canary is not None else bluegreen
    tick = Tick(spec=spec, state=state, observed=observed, now=now, name=name)
    phase = tick.state.get("phase")
    if phase in FINAL:
        if RETRY in observed.annotations and phase != "Succeeded":
            tick.consume.append(RETRY)
            tick.restarted = True
            _start(tick, strategy, retried=True)
        return tick.plan()
    if not tick.state:
        _start(tick, strategy, retried=False)
        return tick.plan()
    if phase == "RollingBack":
        _ignore_manual(tick, "rolling back")
        _rolling_back(tick)
        return tick.plan()
    if tick.state.get("strategy") != ("canary" if spec.strategy.canary is not None else "blueGreen"):
        tick.rollback(Reason.SPEC_CHANGED, f"spec.rollout.strategy changed from {tick.state.get('strategy')} "
                                           "during the rollout; start a new RetrainingJob to use the new strategy")
        return tick.plan()
    if not _target_usable(tick) or _manual(tick, strategy):
        return tick.plan()
    phase = tick.state["phase"]
    if phase in ACTIVE:
        strategy.progress(tick)
    elif phase == "Promoting":
        _promoting(tick, strategy)
    elif phase == "Finalizing":
        strategy.finalize(tick)
    elif phase == "RollingBack":
        _rolling_back(tick)
    return tick.plan()


def _start(tick: Tick, strategy: Any, *, retried: bool) -> None:
    name = "canary" if tick.spec.strategy.canary is not None else "blueGreen"
    tick.state = {"strategy": name, "phase": "Progressing", "step": 0, "stage": "", "weight": 0,
                  "effectiveWeight": 0.0, "startedAt": tick.stamp, "stepStartedAt": tick.stamp,
                  "progressAt": tick.stamp, "analysisRuns": list(tick.state.get("analysisRuns") or [])[-MAX_RUNS:]}
    how = f"retried: rolling out model {tick.version()} again" if retried else f"rolling out model {tick.version()}"
    tick.tell("Normal", Reason.RETRIED if retried else Reason.STARTED,
              f"{how} to Deployment {tick.spec.target_ref.name} ({name})")
    if _target_usable(tick):
        strategy.begin(tick)


def _target_usable(tick: Tick) -> bool:
    observed = tick.observed
    if observed.target is None:
        _fail_early(tick, Reason.TARGET_NOT_FOUND, f"Deployment {tick.spec.target_ref.name} (spec.rollout.targetRef) "
                                                   "does not exist: create it or fix targetRef")
        return False
    if observed.container_error:
        _fail_early(tick, Reason.TARGET_UNUSABLE, observed.container_error)
        return False
    return True


def _fail_early(tick: Tick, reason: Reason, message: str) -> None:
    if tick.state.get("phase") == "RollingBack":
        return  # already on the way out; what can be cleaned up is
    tick.rollback(reason, message)


def _ignore_manual(tick: Tick, why: str) -> None:
    for key in sorted(tick.observed.annotations - {RETRY}):
        tick.consume.append(key)
        tick.tell("Normal", Reason.IGNORED, f"{key} ignored: the rollout is {why}")


def _manual(tick: Tick, strategy: Any) -> bool:
    """Act on the manual annotations; True when the tick is over."""
    present = tick.observed.annotations
    phase = tick.state["phase"]
    if ABORT in present:
        tick.consume.append(ABORT)
        if phase in ACTIVE or phase == "Promoting":
            tick.rollback(Reason.ABORTED, "aborted by modelmon.io/abort")
            return True
        tick.tell("Normal", Reason.IGNORED, f"modelmon.io/abort ignored: the rollout is {phase}")
    if PROMOTE_FULL in present:
        tick.consume.append(PROMOTE_FULL)
        if phase in ACTIVE:
            tick.tell("Normal", Reason.PROMOTED_FULL, "modelmon.io/promote-full: remaining steps and analyses "
                                                      "skipped; promoting")
            start_promotion(tick, strategy)
            return True
        tick.tell("Normal", Reason.IGNORED, f"modelmon.io/promote-full ignored: the rollout is {phase}")
    if PROMOTE in present:
        tick.consume.append(PROMOTE)
        if phase in ACTIVE and strategy.promote(tick):
            return True
        if phase not in ACTIVE:
            tick.tell("Normal", Reason.IGNORED, f"modelmon.io/promote ignored: the rollout is {phase}")
    if RETRY in present:
        tick.consume.append(RETRY)
        if phase == "Paused" and tick.state.get("pausedReason") == Reason.ANALYSIS_INCONCLUSIVE.value:
            tick.enter(stage=tick.state["stage"], step=tick.state["step"])
            tick.tell("Normal", Reason.RETRIED, "modelmon.io/retry: the analysis runs again")
            strategy.progress(tick)
            return True
        tick.tell("Normal", Reason.IGNORED, "modelmon.io/retry ignored: it reruns an inconclusive analysis "
                                            "or restarts a rolled-back rollout")
    return False


def start_promotion(tick: Tick, strategy: Any) -> None:
    target = tick.observed.target
    assert target is not None
    new = tick.new_values()
    if tick.state.get("previousHandover") is None:
        tick.state["previousHandover"] = {key: target.handover.get(key, "") for key in new}
    tick.enter(stage="promote", step=strategy.promote_step(tick), phase="Promoting")
    tick.tell("Normal", Reason.PROMOTING, f"promoting: Deployment {target.name} gets {handover.describe(new)}")


def _promoting(tick: Tick, strategy: Any) -> None:
    target = tick.observed.target
    assert target is not None
    new = tick.new_values()
    carries = all(target.handover.get(k) == v for k, v in new.items())
    if carries and target.rolled_out():
        strategy.promoted(tick)
    elif tick.past_deadline():
        tick.rollback(Reason.PROGRESS_DEADLINE_EXCEEDED,
                      f"Deployment {target.name} did not roll out the new model within "
                      f"{tick.spec.progress_deadline} ({target.updated} updated, {target.available} available of "
                      f"{target.replicas})")
    elif target.ready != (tick.state.get("stable") or {}).get("ready"):
        tick.state["progressAt"] = tick.stamp
    summarize(tick)


def _rolling_back(tick: Tick) -> None:
    observed = tick.observed
    previous = tick.state.get("previousHandover") or {}
    target = observed.target
    restored = target is None or all(target.handover.get(k) == v for k, v in previous.items())
    originals = tick.state.get("originalSelectors") or {}
    selectors = all(observed.selectors.get(svc) in (None, sel) for svc, sel in originals.items())
    ours = observed.track is not None and observed.track.owned  # someone else's Deployment is left alone
    if not ours and restored and selectors:
        reason = tick.state.get("abortReason") or Reason.ROLLED_BACK.value
        why = str(tick.state.get("message") or reason).removesuffix("; rolling back (the previous model keeps serving)")
        tick.finish("Failed" if reason in _FAILING else "RolledBack")
        tick.state.update(effectiveWeight=0.0, canary={"desired": 0, "ready": 0})
        tick.tell("Warning", Reason.ROLLED_BACK, f"rolled back ({reason}: {why}): model {tick.version()} removed; "
                                                 f"Deployment {tick.spec.target_ref.name} serves the previous model")


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


def _converge(tick: Tick) -> list[Any]:
    """The actions that make the cluster match the state (the same ones every tick)."""
    from modelmon.rollout import bluegreen, canary

    state = tick.state
    phase = state.get("phase")
    actions: list[Any] = []
    strategy = canary if state.get("strategy") == "canary" else bluegreen
    replicas = strategy.track_replicas(tick)
    if replicas is None:
        actions.append(DeleteTrack())
    else:
        actions.append(EnsureTrack(track="canary" if state.get("strategy") == "canary" else "preview",
                                   replicas=replicas))
        state["canary"] = {**(state.get("canary") or {"ready": 0}), "desired": replicas}
    if phase in ("Promoting", "Finalizing"):
        actions.append(SetHandover(values=tick.new_values()))
    elif phase == "RollingBack" and state.get("previousHandover"):
        actions.append(SetHandover(values=dict(state["previousHandover"])))
    for service, selector in strategy.selectors(tick).items():
        actions.append(SetSelector(service=service, selector=selector))
    return actions


def _outcome(tick: Tick) -> Outcome | None:
    phase = tick.state.get("phase")
    if phase not in FINAL or not tick.events:
        return None
    if phase == "Succeeded":
        return Outcome(phase="Succeeded", reason=Reason.ROLLED_OUT.value, message=tick.state.get("message", ""))
    reason = tick.state.get("abortReason") or Reason.ROLLED_BACK.value
    return Outcome(phase=phase, reason=reason, message=tick.state.get("message", ""))


def _clean(state: dict[str, Any]) -> dict[str, Any]:
    """Status keeps no nulls (a merge patch would read them as deletions anyway)."""
    return {key: value for key, value in state.items() if value is not None}


def due_analysis(*, spec: RolloutSpec, state: Mapping[str, Any] | None, now: datetime.datetime) -> \
        tuple[str, str] | None:
    """(template, run start) when the running analysis wants a round of measurements now."""
    if not state or state.get("phase") != "Progressing":
        return None
    runs = state.get("analysisRuns") or []
    if not runs or runs[-1].get("phase") != "Running":
        return None
    run = runs[-1]
    if run["startedAt"] < state.get("stepStartedAt", ""):
        return None  # a run left behind by a skipped step
    template = next((t for t in spec.analysis_templates if t.name == run["template"]), None)
    if template is None or not analysis.is_due(run, template, now):
        return None
    return template.name, run["startedAt"]
