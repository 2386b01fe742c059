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

from modelmon.api.rollout import (
    ABORT,
    PROMOTE,
    PROMOTE_FULL,
    RETRY,
    AnalysisRun,
    DeploymentSummary,
    RolloutPhase,
    RolloutSpec,
    RolloutStatus,
    RolloutStrategy,
    RunPhase,
)
from modelmon.conditions import RolloutReason
from modelmon.rollout import analysis, bluegreen, canary
from modelmon.rollout.observations import (
    Action,
    DeleteTrack,
    EnsureTrack,
    Observed,
    Outcome,
    Plan,
    SetHandover,
    SetSelector,
)
from modelmon.rollout.strategies import Strategy
from modelmon.rollout.ticks import ACTIVE, FINAL, MAX_RUNS, Tick, start_promotion, summarize

#: The strategies by status.rollout.strategy; each implements the Strategy protocol.
STRATEGIES: dict[str, Strategy] = {"canary": canary, "blueGreen": bluegreen}

_FAILING = {RolloutReason.TARGET_NOT_FOUND.value, RolloutReason.TARGET_UNUSABLE.value}


def plan(*, spec: RolloutSpec, state: RolloutStatus | None, observed: Observed, now: datetime.datetime,
         name: str) -> Plan:
    """The next state of the rollout ``name`` (``state`` is left as it was) and the actions and Events that
    go with it."""
    strategy = STRATEGIES[_strategy_name(spec)]
    tick = Tick(spec=spec, state=state, observed=observed, now=now, name=name)
    if state is not None and state.phase in FINAL:
        if RETRY in observed.annotations and state.phase != RolloutPhase.SUCCEEDED:
            tick.consume.append(RETRY)
            tick.restarted = True
            _start(tick, strategy, retried=True, runs=tick.state.analysis_runs)
        return _result(tick)
    if state is None:
        _start(tick, strategy, retried=False, runs=[])
        return _result(tick)
    if state.phase == RolloutPhase.ROLLING_BACK:
        _ignore_manual(tick, "rolling back")
        _rolling_back(tick)
        return _result(tick)
    if state.strategy != _strategy_name(spec):
        tick.rollback(RolloutReason.SPEC_CHANGED, f"spec.rollout.strategy changed from {state.strategy} "
                                                  "during the rollout; start a new RetrainingJob to use the new strategy")
        return _result(tick)
    if not _target_usable(tick) or _manual(tick, strategy):
        return _result(tick)
    phase = tick.state.phase
    if phase in ACTIVE:
        strategy.progress(tick)
    elif phase == RolloutPhase.PROMOTING:
        _promoting(tick, strategy)
    elif phase == RolloutPhase.FINALIZING:
        strategy.finalize(tick)
    elif phase == RolloutPhase.ROLLING_BACK:
        _rolling_back(tick)
    return _result(tick)


def _start(tick: Tick, strategy: Strategy, *, retried: bool, runs: list[AnalysisRun]) -> None:
    name = _strategy_name(tick.spec)
    tick.state = RolloutStatus(strategy=name, phase=RolloutPhase.PROGRESSING, step=0, stage="", weight=0,
                               effective_weight=0.0, started_at=tick.stamp, step_started_at=tick.stamp,
                               progress_at=tick.stamp, analysis_runs=list(runs)[-MAX_RUNS:])
    how = f"retried: rolling out model {tick.version()} again" if retried else f"rolling out model {tick.version()}"
    tick.tell("Normal", RolloutReason.RETRIED if retried else RolloutReason.STARTED,
              f"{how} to Deployment {tick.spec.target_ref.name} ({name})")
    if _target_usable(tick):
        strategy.begin(tick)


def _result(tick: Tick) -> Plan:
    actions = _converge(tick) if tick.state.phase not in FINAL else []
    return Plan(state=tick.state, actions=actions, events=tick.events, consume=tick.consume,
                outcome=_outcome(tick), measurements=tick.measured, restarted=tick.restarted)


def _strategy_name(spec: RolloutSpec) -> RolloutStrategy:
    return "canary" if spec.strategy.canary is not None else "blueGreen"


def _target_usable(tick: Tick) -> bool:
    observed = tick.observed
    if observed.target is None:
        _fail_early(tick, RolloutReason.TARGET_NOT_FOUND, f"Deployment {tick.spec.target_ref.name} "
                                                          "(spec.rollout.targetRef) does not exist: create it or "
                                                          "fix targetRef")
        return False
    if observed.container_error:
        _fail_early(tick, RolloutReason.TARGET_UNUSABLE, observed.container_error)
        return False
    return True


def _fail_early(tick: Tick, reason: RolloutReason, message: str) -> None:
    if tick.state.phase == RolloutPhase.ROLLING_BACK:
        return  # already on the way out; what can be cleaned up is
    tick.rollback(reason, message)


def _ignore_manual(tick: Tick, why: str) -> None:
    for key in sorted(tick.observed.annotations - {RETRY}):
        tick.consume.append(key)
        tick.tell("Normal", RolloutReason.IGNORED, f"{key} ignored: the rollout is {why}")


def _manual(tick: Tick, strategy: Strategy) -> bool:
    """Act on the manual annotations; True when the tick is over."""
    present = tick.observed.annotations
    phase = tick.state.phase
    if ABORT in present:
        tick.consume.append(ABORT)
        if phase in ACTIVE or phase == RolloutPhase.PROMOTING:
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
        if phase == RolloutPhase.PAUSED and tick.state.paused_reason == RolloutReason.ANALYSIS_INCONCLUSIVE.value:
            tick.enter(stage=tick.state.stage, step=tick.state.step)
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
    stable = tick.state.stable
    if carries and target.rolled_out():
        strategy.promoted(tick)
    elif tick.past_deadline():
        tick.rollback(RolloutReason.PROGRESS_DEADLINE_EXCEEDED,
                      f"Deployment {target.name} did not roll out the new model within "
                      f"{tick.spec.progress_deadline} ({target.updated} updated, {target.available} available of "
                      f"{target.replicas})")
    elif stable is None or target.ready != stable.ready:
        tick.state.progress_at = tick.stamp
    summarize(tick)


def _rolling_back(tick: Tick) -> None:
    observed, state = tick.observed, tick.state
    previous = state.previous_handover or {}
    target = observed.target
    restored = target is None or all(target.handover.get(k) == v for k, v in previous.items())
    originals = state.original_selectors or {}
    selectors = all(observed.selectors.get(svc) in (None, sel) for svc, sel in originals.items())
    ours = observed.track is not None and observed.track.owned  # someone else's Deployment is left alone
    if not ours and restored and selectors:
        reason = state.abort_reason or RolloutReason.ROLLED_BACK.value
        why = (state.message or reason).removesuffix("; rolling back (the previous model keeps serving)")
        tick.finish(RolloutPhase.FAILED if reason in _FAILING else RolloutPhase.ROLLED_BACK)
        state.effective_weight, state.canary = 0.0, DeploymentSummary(desired=0, ready=0)
        tick.tell("Warning", RolloutReason.ROLLED_BACK, f"rolled back ({reason}: {why}): model {tick.version()} "
                                                        f"removed; Deployment {tick.spec.target_ref.name} serves "
                                                        "the previous model")


def _converge(tick: Tick) -> list[Action]:
    """The actions that make the cluster match the state (the same ones every tick)."""
    state = tick.state
    actions: list[Action] = []
    strategy = STRATEGIES[state.strategy]
    replicas = strategy.track_replicas(tick)
    if replicas is None:
        actions.append(DeleteTrack())
    else:
        actions.append(EnsureTrack(track="canary" if state.strategy == "canary" else "preview", replicas=replicas))
        state.canary = DeploymentSummary(desired=replicas, ready=state.canary.ready if state.canary else 0)
    if state.phase in (RolloutPhase.PROMOTING, RolloutPhase.FINALIZING):
        actions.append(SetHandover(values=tick.new_values()))
    elif state.phase == RolloutPhase.ROLLING_BACK and state.previous_handover:
        actions.append(SetHandover(values=dict(state.previous_handover)))
    for service, selector in strategy.selectors(tick).items():
        actions.append(SetSelector(service=service, selector=selector))
    return actions


def _outcome(tick: Tick) -> Outcome | None:
    phase = tick.state.phase
    if phase not in FINAL or not tick.events:
        return None
    if phase == RolloutPhase.SUCCEEDED:
        return Outcome(phase=phase, reason=RolloutReason.ROLLED_OUT.value, message=tick.state.message)
    reason = tick.state.abort_reason or RolloutReason.ROLLED_BACK.value
    return Outcome(phase=phase, reason=reason, message=tick.state.message)


def due_analysis(*, spec: RolloutSpec, state: RolloutStatus | None, now: datetime.datetime) -> \
        tuple[str, str] | None:
    """(template, run start) when the running analysis wants a round of measurements now."""
    if state is None or state.phase != RolloutPhase.PROGRESSING:
        return None
    runs = state.analysis_runs
    if not runs or runs[-1].phase != RunPhase.RUNNING:
        return None
    run = runs[-1]
    if run.started_at < state.step_started_at:
        return None  # a run left behind by a skipped step
    template = next((t for t in spec.analysis_templates if t.name == run.template), None)
    if template is None or not analysis.is_due(run, template, now):
        return None
    return template.name, run.started_at
