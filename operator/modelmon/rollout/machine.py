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

from modelmon.api.rollout import ABORT, PROMOTE, PROMOTE_FULL, RETRY, RolloutSpec
from modelmon.conditions import RolloutReason
from modelmon.rollout import analysis, bluegreen, canary
from modelmon.rollout.observations import DeleteTrack, EnsureTrack, Observed, Outcome, Plan, SetHandover, SetSelector
from modelmon.rollout.strategies import Strategy
from modelmon.rollout.ticks import ACTIVE, FINAL, MAX_RUNS, Tick, start_promotion, summarize

#: The strategies by status.rollout.strategy; each implements the Strategy protocol.
STRATEGIES: dict[str, Strategy] = {"canary": canary, "blueGreen": bluegreen}

_FAILING = {RolloutReason.TARGET_NOT_FOUND.value, RolloutReason.TARGET_UNUSABLE.value}


def plan(*, spec: RolloutSpec, state: Mapping[str, Any] | None, observed: Observed, now: datetime.datetime,
         name: str) -> Plan:
    """The next state of the rollout ``name`` and the actions and Events that go with it."""
    strategy = STRATEGIES[_strategy_name(spec)]
    tick = Tick(spec=spec, state=state, observed=observed, now=now, name=name)
    phase = tick.state.get("phase")
    if phase in FINAL:
        if RETRY in observed.annotations and phase != "Succeeded":
            tick.consume.append(RETRY)
            tick.restarted = True
            _start(tick, strategy, retried=True)
        return _result(tick)
    if not tick.state:
        _start(tick, strategy, retried=False)
        return _result(tick)
    if phase == "RollingBack":
        _ignore_manual(tick, "rolling back")
        _rolling_back(tick)
        return _result(tick)
    if tick.state.get("strategy") != _strategy_name(spec):
        tick.rollback(RolloutReason.SPEC_CHANGED, f"spec.rollout.strategy changed from {tick.state.get('strategy')} "
                                           "during the rollout; start a new RetrainingJob to use the new strategy")
        return _result(tick)
    if not _target_usable(tick) or _manual(tick, strategy):
        return _result(tick)
    phase = tick.state["phase"]
    if phase in ACTIVE:
        strategy.progress(tick)
    elif phase == "Promoting":
        _promoting(tick, strategy)
    elif phase == "Finalizing":
        strategy.finalize(tick)
    elif phase == "RollingBack":
        _rolling_back(tick)
    return _result(tick)


def _start(tick: Tick, strategy: Strategy, *, retried: bool) -> None:
    name = _strategy_name(tick.spec)
    tick.state = {"strategy": name, "phase": "Progressing", "step": 0, "stage": "", "weight": 0,
                  "effectiveWeight": 0.0, "startedAt": tick.stamp, "stepStartedAt": tick.stamp,
                  "progressAt": tick.stamp, "analysisRuns": list(tick.state.get("analysisRuns") or [])[-MAX_RUNS:]}
    how = f"retried: rolling out model {tick.version()} again" if retried else f"rolling out model {tick.version()}"
    tick.tell("Normal", RolloutReason.RETRIED if retried else RolloutReason.STARTED,
              f"{how} to Deployment {tick.spec.target_ref.name} ({name})")
    if _target_usable(tick):
        strategy.begin(tick)


def _result(tick: Tick) -> Plan:
    actions = _converge(tick) if tick.state.get("phase") not in FINAL else []
    return Plan(state=_clean(tick.state), actions=actions, events=tick.events, consume=tick.consume,
                outcome=_outcome(tick), measurements=tick.measured, restarted=tick.restarted)


def _strategy_name(spec: RolloutSpec) -> str:
    return "canary" if spec.strategy.canary is not None else "blueGreen"


def _target_usable(tick: Tick) -> bool:
    observed = tick.observed
    if observed.target is None:
        _fail_early(tick, RolloutReason.TARGET_NOT_FOUND, f"Deployment {tick.spec.target_ref.name} (spec.rollout.targetRef) "
                                                   "does not exist: create it or fix targetRef")
        return False
    if observed.container_error:
        _fail_early(tick, RolloutReason.TARGET_UNUSABLE, observed.container_error)
        return False
    return True


def _fail_early(tick: Tick, reason: RolloutReason, message: str) -> None:
    if tick.state.get("phase") == "RollingBack":
        return  # already on the way out; what can be cleaned up is
    tick.rollback(reason, message)


def _ignore_manual(tick: Tick, why: str) -> None:
    for key in sorted(tick.observed.annotations - {RETRY}):
        tick.consume.append(key)
        tick.tell("Normal", RolloutReason.IGNORED, f"{key} ignored: the rollout is {why}")


def _manual(tick: Tick, strategy: Strategy) -> bool:
    """Act on the manual annotations; True when the tick is over."""
    present = tick.observed.annotations
    phase = tick.state["phase"]
    if ABORT in present:
        tick.consume.append(ABORT)
        if phase in ACTIVE or phase == "Promoting":
            tick.rollback(RolloutReason.ABORTED, "aborted by modelmon.io/abort")
            return True
        tick.tell("Normal", RolloutReason.IGNORED, f"modelmon.io/abort ignored: the rollout is {phase}")
    if PROMOTE_FULL in present:
        tick.consume.append(PROMOTE_FULL)
        if phase in ACTIVE:
            tick.tell("Normal", RolloutReason.PROMOTED_FULL, "modelmon.io/promote-full: remaining steps and analyses "
                                                      "skipped; promoting")
            start_promotion(tick, step=strategy.promote_step(tick))
            return True
        tick.tell("Normal", RolloutReason.IGNORED, f"modelmon.io/promote-full ignored: the rollout is {phase}")
    if PROMOTE in present:
        tick.consume.append(PROMOTE)
        if phase in ACTIVE and strategy.promote(tick):
            return True
        if phase not in ACTIVE:
            tick.tell("Normal", RolloutReason.IGNORED, f"modelmon.io/promote ignored: the rollout is {phase}")
    if RETRY in present:
        tick.consume.append(RETRY)
        if phase == "Paused" and tick.state.get("pausedReason") == RolloutReason.ANALYSIS_INCONCLUSIVE.value:
            tick.enter(stage=tick.state["stage"], step=tick.state["step"])
            tick.tell("Normal", RolloutReason.RETRIED, "modelmon.io/retry: the analysis runs again")
            strategy.progress(tick)
            return True
        tick.tell("Normal", RolloutReason.IGNORED, "modelmon.io/retry ignored: it reruns an inconclusive analysis "
                                            "or restarts a rolled-back rollout")
    return False


def _promoting(tick: Tick, strategy: Strategy) -> None:
    target = tick.observed.target
    assert target is not None
    new = tick.new_values()
    carries = all(target.handover.get(k) == v for k, v in new.items())
    if carries and target.rolled_out():
        strategy.promoted(tick)
    elif tick.past_deadline():
        tick.rollback(RolloutReason.PROGRESS_DEADLINE_EXCEEDED,
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
        reason = tick.state.get("abortReason") or RolloutReason.ROLLED_BACK.value
        why = str(tick.state.get("message") or reason).removesuffix("; rolling back (the previous model keeps serving)")
        tick.finish("Failed" if reason in _FAILING else "RolledBack")
        tick.state.update(effectiveWeight=0.0, canary={"desired": 0, "ready": 0})
        tick.tell("Warning", RolloutReason.ROLLED_BACK, f"rolled back ({reason}: {why}): model {tick.version()} removed; "
                                                 f"Deployment {tick.spec.target_ref.name} serves the previous model")


def _converge(tick: Tick) -> list[Any]:
    """The actions that make the cluster match the state (the same ones every tick)."""
    state = tick.state
    phase = state.get("phase")
    actions: list[Any] = []
    strategy = STRATEGIES["canary" if state.get("strategy") == "canary" else "blueGreen"]
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
        return Outcome(phase="Succeeded", reason=RolloutReason.ROLLED_OUT.value, message=tick.state.get("message", ""))
    reason = tick.state.get("abortReason") or RolloutReason.ROLLED_BACK.value
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
