"""Canary: steps of setWeight, pause and analysis on a canary Deployment beside the target.

``status.rollout.step`` is the index of the step running; once every step ran the model is
promoted. A setWeight step completes when the canary Deployment has rolled out at its replica
count (see :mod:`modelmon.rollout.weights`); the weight holds through the later pause and
analysis steps. Waiting for the canary counts against the progress deadline; pauses and
analyses do not.
"""

from __future__ import annotations

from modelmon import timestamps
from modelmon.api.durations import parse_duration
from modelmon.api.rollout import CanaryStrategy, RolloutPhase, RunPhase
from modelmon.conditions import RolloutReason
from modelmon.rollout import ticks, weights
from modelmon.rollout.ticks import Tick


def _strategy(tick: Tick) -> CanaryStrategy:
    strategy = tick.spec.strategy.canary
    assert strategy is not None
    return strategy


def begin(tick: Tick) -> None:
    enter_step(tick, 0)


def promote_step(tick: Tick) -> int:
    return len(_strategy(tick).steps)


def enter_step(tick: Tick, index: int) -> None:
    steps = _strategy(tick).steps
    if index >= len(steps):
        ticks.start_promotion(tick, step=promote_step(tick))
        return
    step = steps[index]
    label = f"step {index + 1}/{len(steps)}"
    if step.set_weight is not None:
        tick.enter(stage="setWeight", step=index)
        tick.state.weight = step.set_weight
        target = tick.observed.target
        stable = target.replicas if target else 0
        replicas = weights.calculate_canary_replicas(weight=step.set_weight, stable_replicas=stable,
                                                     max_replicas=_strategy(tick).max_canary_replicas)
        tick.tell("Normal", RolloutReason.WEIGHT_SET, f"{label}: setWeight {step.set_weight}%: {replicas} canary replica(s) "
                                               f"beside {stable} stable")
    elif step.pause is not None:
        tick.enter(stage="pause", step=index)
        if step.pause.duration is None:
            tick.pause(RolloutReason.PAUSED, f"{label}: paused until promoted (annotate modelmon.io/promote=true)")
        else:
            tick.tell("Normal", RolloutReason.PAUSED, f"{label}: pausing for {step.pause.duration}")
    else:
        assert step.analysis is not None
        tick.enter(stage="analysis", step=index)
        tick.start_run(step.analysis.template, stage="step", step=index, label=label)


def progress(tick: Tick) -> None:
    ticks.summarize(tick)
    steps = _strategy(tick).steps
    index = tick.state.step
    if index >= len(steps):  # steps were removed from the spec during the rollout: nothing is left to run
        enter_step(tick, index)
        return
    step = steps[index]
    label = f"step {index + 1}/{len(steps)}"
    if step.set_weight is not None:
        track, desired = tick.observed.track, track_replicas(tick) or 0
        if track is not None and track.owned and track.rolled_out(desired):
            tick.tell("Normal", RolloutReason.WEIGHT_REACHED, f"{label}: canary ready, effective weight "
                                                       f"{tick.state.effective_weight}% (asked {step.set_weight}%)")
            enter_step(tick, index + 1)
        elif tick.past_deadline():
            tick.rollback(RolloutReason.PROGRESS_DEADLINE_EXCEEDED, f"{label}: the canary did not become ready within "
                                                             f"{tick.spec.progress_deadline} ({_ready(tick)})")
        elif track is not None and not track.owned:
            tick.rollback(RolloutReason.TARGET_UNUSABLE, f"Deployment {track.name} exists and is not this rollout's canary; "
                                                  "rename or delete it")
    elif step.pause is not None:
        if step.pause.duration is not None and \
                timestamps.elapsed(tick.state.step_started_at, tick.now) >= parse_duration(step.pause.duration):
            tick.tell("Normal", RolloutReason.PAUSE_ENDED, f"{label}: pause of {step.pause.duration} over")
            enter_step(tick, index + 1)
    else:
        assert step.analysis is not None
        _analysis(tick, step.analysis.template, index=index, label=label)


def _analysis(tick: Tick, template: str, *, index: int, label: str) -> None:
    if tick.state.phase == RolloutPhase.PAUSED:
        return  # inconclusive: a person decides
    phase = tick.advance_run(template, stage="step", step=index)
    run = tick.current_run(stage="step", step=index)
    message = run.message if run is not None else None
    if phase == RunPhase.SUCCESSFUL:
        tick.tell("Normal", RolloutReason.ANALYSIS_SUCCESSFUL, f"{label}: analysis {template} successful: {message}")
        enter_step(tick, index + 1)
    elif phase in (RunPhase.FAILED, RunPhase.ERROR):
        reason = RolloutReason.ANALYSIS_FAILED if phase == RunPhase.FAILED else RolloutReason.ANALYSIS_ERROR
        tick.rollback(reason, f"{label}: analysis {template} {phase.lower()}: {message}")
    elif phase == RunPhase.INCONCLUSIVE:
        tick.pause(RolloutReason.ANALYSIS_INCONCLUSIVE, f"{label}: analysis {template} inconclusive: {message}")


def promote(tick: Tick) -> bool:
    """modelmon.io/promote: the current step is skipped (a pause ends, an analysis counts as passed)."""
    index = tick.state.step
    tick.tell("Normal", RolloutReason.PROMOTED, f"modelmon.io/promote: step {index + 1} skipped")
    enter_step(tick, index + 1)
    return True


def promoted(tick: Tick) -> None:
    tick.enter(stage="cleanup", step=promote_step(tick), phase=RolloutPhase.FINALIZING)
    tick.tell("Normal", RolloutReason.PROMOTING, f"Deployment {tick.spec.target_ref.name} rolled out model "
                                          f"{tick.version()}; removing the canary")


def finalize(tick: Tick) -> None:
    ticks.summarize(tick)
    if tick.observed.track is None:
        tick.finish(RolloutPhase.SUCCEEDED)
        tick.tell("Normal", RolloutReason.ROLLED_OUT, f"model {tick.version()} promoted: Deployment "
                                               f"{tick.spec.target_ref.name} serves it; the canary is gone")


def track_replicas(tick: Tick) -> int | None:
    """The canary's replicas for the state; None: it must not exist."""
    if tick.state.phase in (RolloutPhase.FINALIZING, RolloutPhase.ROLLING_BACK):
        return None
    target = tick.observed.target
    return weights.calculate_canary_replicas(weight=tick.state.weight,
                                             stable_replicas=target.replicas if target else 0,
                                             max_replicas=_strategy(tick).max_canary_replicas)


def selectors(tick: Tick) -> dict[str, dict[str, str]]:
    return {}


def _ready(tick: Tick) -> str:
    track = tick.observed.track
    if track is None:
        return "the canary Deployment does not exist yet"
    return f"{track.ready} of {track_replicas(tick)} canary replica(s) ready"
