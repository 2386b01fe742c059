"""Blue-green: a preview Deployment of the new model, then a switch of the active Service.

Stages (``status.rollout.stage``; ``step`` is the index in BLUE_GREEN_STAGES):

    preview                the preview Deployment (as many replicas as the target) becomes ready;
                           the preview Service, if any, selects it
    prePromotionAnalysis   optional analysis of the preview
    awaitPromotion         autoPromotion (after autoPromotionAfter) or a person's modelmon.io/promote
    switch                 the active Service's selector is switched to the preview's pods
    postPromotionAnalysis  optional; Failed/Error switches back
    promote                the target gets the new model's hand-over and rolls it out
    restore                the Services get their own selectors back (now the target serves the new model)
    scaleDown              after scaleDownDelay the preview Deployment goes

The preview's pods carry the target's pod labels except the keys the active Service selects on
(so the active Service does not send them traffic before the switch), plus the track labels the
switched selector names.
"""

from __future__ import annotations

from modelmon import timestamps
from modelmon.api.durations import parse_duration
from modelmon.api.rollout import BlueGreenStrategy, RolloutPhase, RunPhase
from modelmon.conditions import RolloutReason
from modelmon.rollout import ticks
from modelmon.rollout.ticks import BLUE_GREEN_STAGES, Tick

_SWITCHED = ("switch", "postPromotionAnalysis", "promote")


def _strategy(tick: Tick) -> BlueGreenStrategy:
    strategy = tick.spec.strategy.blue_green
    assert strategy is not None
    return strategy


def _enter(tick: Tick, stage: str, phase: RolloutPhase = RolloutPhase.PROGRESSING) -> None:
    tick.enter(stage=stage, step=BLUE_GREEN_STAGES.index(stage), phase=phase)


def begin(tick: Tick) -> None:
    _enter(tick, "preview")
    tick.state.weight = 0
    tick.tell("Normal", RolloutReason.PREVIEW_STARTED, f"preview of model {tick.version()} starting")


def promote_step(tick: Tick) -> int:
    return BLUE_GREEN_STAGES.index("promote")


def progress(tick: Tick) -> None:
    ticks.summarize(tick)
    stage = tick.state.stage
    bg = _strategy(tick)
    if stage == "preview":
        _preview(tick, bg)
    elif stage == "prePromotionAnalysis":
        _analysis(tick, bg.pre_promotion_analysis or "", "prePromotion", then="awaitPromotion")
    elif stage == "awaitPromotion":
        _await(tick, bg)
    elif stage == "switch":
        _switch(tick, bg)
    elif stage == "postPromotionAnalysis":
        _analysis(tick, bg.post_promotion_analysis or "", "postPromotion", then="promote")


def _next_after_preview(tick: Tick, bg: BlueGreenStrategy) -> None:
    if bg.pre_promotion_analysis:
        _enter(tick, "prePromotionAnalysis")
        tick.start_run(bg.pre_promotion_analysis, stage="prePromotion", step=None, label="pre-promotion")
    else:
        _enter_await(tick, bg)


def _preview(tick: Tick, bg: BlueGreenStrategy) -> None:
    track, target = tick.observed.track, tick.observed.target
    assert target is not None
    want = track_replicas(tick) or 0
    preview_ok = bg.preview_service is None or tick.observed.selectors.get(bg.preview_service) == tick.track_selector()
    if track is not None and not track.owned:
        tick.rollback(RolloutReason.TARGET_UNUSABLE, f"Deployment {track.name} exists and is not this rollout's preview; "
                                              "rename or delete it")
    elif track is not None and track.rolled_out(want) and preview_ok:
        tick.tell("Normal", RolloutReason.PREVIEW_READY, f"preview ready: {track.ready} replica(s) of model {tick.version()}")
        _next_after_preview(tick, bg)
    elif tick.past_deadline():
        seen = f"{track.ready} of {want} ready" if track else "not created"
        tick.rollback(RolloutReason.PROGRESS_DEADLINE_EXCEEDED, f"the preview did not become ready within "
                                                         f"{tick.spec.progress_deadline} ({seen})")


def _enter_await(tick: Tick, bg: BlueGreenStrategy) -> None:
    if not bg.auto_promotion:
        _enter(tick, "awaitPromotion", phase=RolloutPhase.PAUSED)
        tick.pause(RolloutReason.AWAITING_PROMOTION, "preview ready; switch the active Service with "
                                              "modelmon.io/promote=true")
        return
    _enter(tick, "awaitPromotion")
    if bg.auto_promotion_after:
        tick.tell("Normal", RolloutReason.AWAITING_PROMOTION, f"switching automatically in {bg.auto_promotion_after}")
    else:
        _await(tick, bg)


def _await(tick: Tick, bg: BlueGreenStrategy) -> None:
    if not bg.auto_promotion:
        return
    delay = parse_duration(bg.auto_promotion_after) if bg.auto_promotion_after else 0.0
    if timestamps.elapsed(tick.state.step_started_at, tick.now) >= delay:
        _enter_switch(tick, bg)


def _enter_switch(tick: Tick, bg: BlueGreenStrategy) -> None:
    _enter(tick, "switch")
    tick.tell("Normal", RolloutReason.SERVICE_SWITCHED, f"switching Service {bg.active_service} to model {tick.version()}")


def _switch(tick: Tick, bg: BlueGreenStrategy) -> None:
    if tick.observed.selectors.get(bg.active_service) == tick.track_selector():
        tick.state.weight = 100
        tick.tell("Normal", RolloutReason.SERVICE_SWITCHED, f"Service {bg.active_service} serves model {tick.version()}")
        if bg.post_promotion_analysis:
            _enter(tick, "postPromotionAnalysis")
            tick.start_run(bg.post_promotion_analysis, stage="postPromotion", step=None, label="post-promotion")
        else:
            ticks.start_promotion(tick, step=promote_step(tick))
    elif tick.observed.selectors.get(bg.active_service) is None and bg.active_service in tick.observed.selectors:
        tick.rollback(RolloutReason.TARGET_UNUSABLE, f"Service {bg.active_service} (activeService) does not exist")
    elif tick.past_deadline():
        tick.rollback(RolloutReason.PROGRESS_DEADLINE_EXCEEDED, f"Service {bg.active_service} was not switched within "
                                                         f"{tick.spec.progress_deadline}")


def _analysis(tick: Tick, template: str, stage: str, *, then: str) -> None:
    if tick.state.phase == RolloutPhase.PAUSED:
        return
    phase = tick.advance_run(template, stage=stage, step=None)
    run = tick.current_run(stage=stage, step=None)
    message = run.message if run is not None else None
    label = "pre-promotion" if stage == "prePromotion" else "post-promotion"
    if phase == RunPhase.SUCCESSFUL:
        tick.tell("Normal", RolloutReason.ANALYSIS_SUCCESSFUL, f"{label} analysis {template} successful: {message}")
        _after_analysis(tick, then)
    elif phase in (RunPhase.FAILED, RunPhase.ERROR):
        reason = RolloutReason.ANALYSIS_FAILED if phase == RunPhase.FAILED else RolloutReason.ANALYSIS_ERROR
        tick.rollback(reason, f"{label} analysis {template} {phase.lower()}: {message}")
    elif phase == RunPhase.INCONCLUSIVE:
        tick.pause(RolloutReason.ANALYSIS_INCONCLUSIVE, f"{label} analysis {template} inconclusive: {message}")


def _after_analysis(tick: Tick, then: str) -> None:
    if then == "promote":
        ticks.start_promotion(tick, step=promote_step(tick))
    else:
        _enter_await(tick, _strategy(tick))


def promote(tick: Tick) -> bool:
    """modelmon.io/promote: switch now when waiting for it; skip a running or inconclusive analysis."""
    stage = tick.state.stage
    bg = _strategy(tick)
    if stage in ("awaitPromotion", "prePromotionAnalysis"):
        tick.tell("Normal", RolloutReason.PROMOTED, f"modelmon.io/promote: {stage} skipped; switching")
        _enter_switch(tick, bg)
        return True
    if stage == "postPromotionAnalysis":
        tick.tell("Normal", RolloutReason.PROMOTED, "modelmon.io/promote: post-promotion analysis skipped")
        ticks.start_promotion(tick, step=promote_step(tick))
        return True
    tick.tell("Normal", RolloutReason.IGNORED, f"modelmon.io/promote ignored during {stage}: the preview is not ready yet")
    return False


def promoted(tick: Tick) -> None:
    _enter(tick, "restore", phase=RolloutPhase.FINALIZING)
    tick.tell("Normal", RolloutReason.PROMOTING, f"Deployment {tick.spec.target_ref.name} rolled out model "
                                          f"{tick.version()}; giving the Services their selectors back")


def finalize(tick: Tick) -> None:
    ticks.summarize(tick)
    stage = tick.state.stage
    if stage == "restore":
        originals = tick.state.original_selectors or {}
        if all(tick.observed.selectors.get(svc) in (None, sel) for svc, sel in originals.items()):
            _enter(tick, "scaleDown", phase=RolloutPhase.FINALIZING)
            tick.tell("Normal", RolloutReason.SELECTORS_RESTORED, f"Services restored; the preview goes in "
                                                           f"{_strategy(tick).scale_down_delay}")
    elif stage == "scaleDown" and tick.observed.track is None and _delay_over(tick):
        tick.finish(RolloutPhase.SUCCEEDED)
        tick.tell("Normal", RolloutReason.ROLLED_OUT, f"model {tick.version()} promoted: Deployment "
                                               f"{tick.spec.target_ref.name} serves it; the preview is gone")


def _delay_over(tick: Tick) -> bool:
    return timestamps.elapsed(tick.state.step_started_at, tick.now) >= parse_duration(_strategy(tick).scale_down_delay)


def track_replicas(tick: Tick) -> int | None:
    phase, stage = tick.state.phase, tick.state.stage
    if phase == RolloutPhase.ROLLING_BACK or (stage == "scaleDown" and _delay_over(tick)):
        return None
    target = tick.observed.target
    return max(1, target.replicas if target else 1)


def selectors(tick: Tick) -> dict[str, dict[str, str]]:
    """The Services' selectors the state asks for; originals are recorded before the first change."""
    bg = _strategy(tick)
    phase, stage = tick.state.phase, tick.state.stage
    originals = dict(tick.state.original_selectors or {})
    restoring = phase in (RolloutPhase.FINALIZING, RolloutPhase.ROLLING_BACK)
    wanted: dict[str, dict[str, str]] = {}
    if restoring:
        return {svc: sel for svc, sel in originals.items() if tick.observed.selectors.get(svc) is not None}
    switched = [bg.active_service] if stage in _SWITCHED else []
    for service in [*([bg.preview_service] if bg.preview_service else []), *switched]:
        current = tick.observed.selectors.get(service)
        if current is None:
            continue
        if service not in originals and current != tick.track_selector():
            originals[service] = dict(current)
        wanted[service] = tick.track_selector()
    if originals:
        tick.state.original_selectors = originals
    return wanted
