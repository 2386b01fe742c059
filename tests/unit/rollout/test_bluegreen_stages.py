"""The blue-green state machine stepped directly."""

from __future__ import annotations

import json
from typing import Any

from modelmon.api.rollout import PROMOTE, RolloutSpec, RolloutStatus
from modelmon.rollout.observations import DeleteTrack, SetSelector

from rollout_world import MODEL, OLD, World

ACTIVE = {"app": "credit"}
PREVIEW_SEL = {"modelmon.io/track": "preview", "modelmon.io/rollout": "credit-retrain"}
NEW = {"env:MODEL_URI": MODEL["uri"], "env:MODEL_VERSION": "2"}


def spec(**blue_green: Any) -> RolloutSpec:
    return RolloutSpec.model_validate({
        "targetRef": {"name": "credit"}, "handover": {"env": {}}, "progressDeadline": "5m",
        "strategy": {"blueGreen": {"activeService": "credit", "scaleDownDelay": "30s", **blue_green}},
        "analysisTemplates": [{"name": "smoke", "interval": "10s", "count": 2, "metrics": [
            {"name": "errors", "max": 0.05, "prometheus": {"address": "http://p:9090", "query": "q"}}]}]})


def world(**blue_green: Any) -> World:
    return World(spec(**blue_green), selectors={"credit": dict(ACTIVE), "credit-preview": {"app": "credit-preview"}})


def test_switch_then_promote_then_restore_and_scale_down():
    w = world(previewService="credit-preview", postPromotionAnalysis="smoke")
    w.step()
    assert w.track is not None and w.track.replicas == 4
    assert w.selectors["credit-preview"] == PREVIEW_SEL and w.selectors["credit"] == ACTIVE
    assert w.state["originalSelectors"] == {"credit-preview": {"app": "credit-preview"}}
    w.step()  # preview ready -> awaitPromotion (auto) -> switch
    assert w.state["stage"] == "switch" and w.selectors["credit"] == PREVIEW_SEL
    w.step()  # switch observed -> post-promotion analysis
    assert w.state["stage"] == "postPromotionAnalysis" and w.state["weight"] == 100
    w.step(seconds=1, measure={"errors": 0.01})
    w.step(seconds=10, measure={"errors": 0.0})
    assert w.state["phase"] == "Promoting" and dict(w.target.handover) == NEW
    w.step()  # target rolled out -> restore
    assert w.state["stage"] == "restore" and w.selectors == {"credit": ACTIVE, "credit-preview": {"app": "credit-preview"}}
    w.step()
    assert w.state["stage"] == "scaleDown" and w.track is not None, "the preview waits for scaleDownDelay"
    w.step(seconds=31)
    assert w.track is None and DeleteTrack() in w.plans[-1].actions
    w.step()
    assert w.state["phase"] == "Succeeded"
    RolloutStatus.model_validate(w.state)


def test_post_promotion_failure_switches_back_and_leaves_the_target_alone():
    w = world(postPromotionAnalysis="smoke")
    w.step()
    w.step()
    w.step()
    assert w.selectors["credit"] == PREVIEW_SEL
    w.step(seconds=1, measure={"errors": 0.5})
    assert w.state["phase"] == "RollingBack" and w.state["abortReason"] == "AnalysisFailed"
    assert SetSelector(service="credit", selector=ACTIVE) in w.plans[-1].actions
    assert w.selectors["credit"] == ACTIVE and w.track is None
    w.step()
    assert w.state["phase"] == "RolledBack" and w.target_changes == 0 and dict(w.target.handover) == OLD


def test_manual_promotion_waits_for_a_person():
    w = world(autoPromotion=False, prePromotionAnalysis="smoke")
    w.step()
    w.step()
    assert w.state["stage"] == "prePromotionAnalysis"
    w.step(seconds=1, measure={"errors": 0.0})
    w.step(seconds=10, measure={"errors": 0.0})
    assert w.state["phase"] == "Paused" and w.state["pausedReason"] == "AwaitingPromotion"
    w.step(seconds=3600)
    assert w.selectors["credit"] == ACTIVE, "no switch without a person"
    w.annotations.add(PROMOTE)
    w.step()
    assert w.state["stage"] == "switch" and w.selectors["credit"] == PREVIEW_SEL


def test_auto_promotion_after_a_delay():
    w = world(autoPromotionAfter="2m")
    w.step()
    w.step()
    assert w.state["stage"] == "awaitPromotion"
    w.step(seconds=60)
    assert w.state["stage"] == "awaitPromotion"
    w.step(seconds=61)
    assert w.state["stage"] == "switch"


def test_restart_after_the_switch_keeps_the_recorded_original_selector():
    w = world()
    w.step()
    w.step()
    persisted = json.loads(json.dumps(w.state))
    # The restarted operator sees the switched selector; the original must come from status.
    fresh = World(spec(), state=persisted, now=w.now, track=w.track, selectors=dict(w.selectors))
    fresh.step()
    assert fresh.state["originalSelectors"]["credit"] == ACTIVE
    fresh.run_until_final()
    assert fresh.state["phase"] == "Succeeded" and fresh.selectors["credit"] == ACTIVE


def test_preview_that_never_gets_ready_is_rolled_back_at_the_deadline():
    w = world()
    w.ready_limit = 1
    w.step()
    w.step(seconds=200)  # one pod became ready: progress
    assert w.state["phase"] == "Progressing"
    w.step(seconds=301)
    assert w.state["abortReason"] == "ProgressDeadlineExceeded" and "1 of 4 ready" in w.state["message"]
    w.step()
    assert w.state["phase"] == "RolledBack" and w.selectors["credit"] == ACTIVE


def test_effective_weight_is_all_or_nothing_by_where_the_active_service_points():
    w = world(postPromotionAnalysis="smoke")
    w.step()
    w.step()
    assert w.state["effectiveWeight"] == 0.0, "a ready preview gets no traffic before the switch"
    w.step()
    assert w.state["effectiveWeight"] == 100.0
    w.step(seconds=1, measure={"errors": 0.5})
    w.step()
    assert w.state["phase"] == "RolledBack" and w.state["effectiveWeight"] == 0.0
