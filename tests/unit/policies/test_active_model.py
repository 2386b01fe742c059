"""The active model (#17): what a promotion records, which model checks judge, the spec-vs-active rule,
the lineage of a retraining after promotions, the cooldown from a promotion, and undo."""

from __future__ import annotations

import datetime

from modelmon.api.monitor import ModelMonitorSpec
from modelmon.api.retraining import RestoreSpec, RetrainingJobSpec, RetrainingJobStatus, RetrainingSpec, TrainedModel
from modelmon import timestamps
from modelmon.api.status import ModelMonitorStatus
from modelmon.policies import active_model, alert_updates, retraining_job, retraining_triggers, undo
from modelmon.policies.alerts import Policy
from modelmon.controller.retraining import read_models
from modelmon.policies.monitor_state import read_monitor

NOW = "2026-03-10T12:00:00Z"
SHA2, SHA3 = "2" * 64, "3" * 64
SPEC = {
    "model": {"name": "credit", "version": "1.4"},
    "reference": {"uri": "file:///data/reference.csv"},
    "current": {"uri": "file:///data/current.csv"},
    "performance": {
        "task": "classification",
        "predictionColumn": "p",
        "targetColumn": "y",
        "baseline": {"accuracy": 0.8, "f1": 0.7},
    },
}


def rtj_status(
    version: str,
    sha: str,
    *,
    reference: str | None = None,
    accuracy: float = 0.9,
    phase: str = "Succeeded",
    rollout: bool = True,
) -> dict:
    model = {
        "uri": f"s3://models/{version}",
        "version": version,
        "sha256": sha,
        "metrics": {"accuracy": accuracy, "auc": 0.95},
    }
    if reference:
        model["reference"] = {"uri": reference}
    return {"phase": phase, "model": model, **({"rollout": ROLLED_OUT} if rollout else {})}


#: A finished rollout as the rollout controller stores it.
ROLLED_OUT = {"strategy": "canary", "phase": "Succeeded", "startedAt": NOW, "stepStartedAt": NOW, "progressAt": NOW}


def plan_promotion(
    monitor: dict, name: str, status: dict, *, now: str = NOW, restore: RestoreSpec | None = None
) -> active_model.Promotion | None:
    """plan_promotion as the controller calls it: both statuses read once into their models."""
    models, _ = read_models(monitor)
    assert models is not None
    return active_model.plan_promotion(
        retraining_job=name,
        rtj_status=RetrainingJobStatus.model_validate(status),
        restore=restore,
        spec=monitor["spec"],
        active=models.active_model,
        previous=models.previous_models,
        conditions=monitor["status"].get("conditions"),
        generation=monitor["metadata"].get("generation"),
        now=now,
    )


def promote(monitor: dict, name: str, status: dict, *, now: str = NOW, restore: RestoreSpec | None = None) -> dict:
    """The monitor after the promotion's merge patch (top-level fields replaced, as the tests need)."""
    plan = plan_promotion(monitor, name, status, now=now, restore=restore)
    assert plan is not None
    merged = dict(monitor.get("status") or {})
    for key, value in plan.status.items():
        merged[key] = {**(merged.get(key) or {}), **value} if key == "retraining" else value
    merged["activeModel"] = {k: v for k, v in plan.status["activeModel"].items() if v is not None}
    return {**monitor, "status": merged}


def monitor(spec: dict = SPEC, status: dict | None = None) -> dict:
    return {"metadata": {"name": "credit", "generation": 3}, "spec": spec, "status": status or {}}


def test_a_promotion_records_the_new_model_its_reference_and_its_metrics_as_baseline():
    after = promote(monitor(), "credit-retrain-a", rtj_status("2.0", SHA2, reference="s3://data/2.0/ref.parquet"))
    active = after["status"]["activeModel"]
    assert active["version"] == "2.0" and active["uri"] == "s3://models/2.0" and active["sha256"] == SHA2
    assert active["reference"]["uri"] == "s3://data/2.0/ref.parquet"
    assert active["baseline"] == {"accuracy": 0.9}  # auc has no baseline in the spec: not taken
    assert active["promotedAt"] == NOW and active["retrainingJob"] == "credit-retrain-a"
    assert after["status"]["previousModels"] == [{"version": "1.4", "baseline": {}}]
    assert after["status"]["retraining"] == {"samplesSinceLast": 0}
    (condition,) = after["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == ("ActiveModel", "True", "Promoted")
    assert condition["message"].startswith("checks judge model 2.0, promoted by RetrainingJob credit-retrain-a")


def test_no_promotion_without_a_rollout_that_succeeded_nor_twice():
    for status in (
        rtj_status("2.0", SHA2, phase="RollingOut"),
        rtj_status("2.0", SHA2, rollout=False),
        rtj_status("2.0", SHA2, phase="RolledBack"),
    ):
        assert plan_promotion(monitor(), "r", status) is None
    once = promote(monitor(), "r", rtj_status("2.0", SHA2))
    assert plan_promotion(once, "r", rtj_status("2.0", SHA2)) is None


def test_checks_judge_the_active_models_reference_and_baseline_and_the_spec_otherwise():
    parsed = ModelMonitorSpec.model_validate(SPEC)
    assert active_model.judged_spec(parsed, raw_spec=SPEC, status={}) is parsed
    after = promote(monitor(), "r", rtj_status("2.0", SHA2, reference="s3://data/2.0/ref.parquet"))
    judged = active_model.judged_spec(parsed, raw_spec=SPEC, status=after["status"])
    assert judged.reference.uri == "s3://data/2.0/ref.parquet"
    assert judged.performance.baseline == {"accuracy": 0.9, "f1": 0.7}
    assert judged.model.version == "2.0"
    without = promote(monitor(), "r", rtj_status("2.0", SHA2))  # a result naming no reference: the spec's stays
    assert (
        active_model.judged_spec(parsed, raw_spec=SPEC, status=without["status"]).reference.uri
        == "file:///data/reference.csv"
    )


def test_a_later_change_of_the_spec_s_model_reference_or_baseline_wins_and_the_condition_says_so():
    after = promote(monitor(), "r", rtj_status("2.0", SHA2, reference="s3://data/2.0/ref.parquet"))
    thresholds = {**SPEC, "drift": {"driftShare": 0.3}}  # not a field the active model stands in for
    assert active_model.in_force(thresholds, after["status"]) is not None
    assert plan_condition({**after, "spec": thresholds}) is None  # unchanged: True/Promoted
    for changed in (
        {**SPEC, "model": {"name": "credit", "version": "2.1"}},
        {**SPEC, "reference": {"uri": "file:///data/reference-2.csv"}},
        {**SPEC, "performance": {**SPEC["performance"], "baseline": {"accuracy": 0.85}}},
    ):
        assert active_model.in_force(changed, after["status"]) is None
        parsed = ModelMonitorSpec.model_validate(changed)
        assert active_model.judged_spec(parsed, raw_spec=changed, status=after["status"]) is parsed
        (condition,) = plan_condition({**after, "spec": changed})
        assert (condition["status"], condition["reason"]) == ("False", "SpecOverrides")
        assert "checks judge the spec's until the next promotion" in condition["message"]


def plan_condition(body: dict) -> list | None:
    """plan_condition as the controller calls it: on the monitor's status read once."""
    state = read_monitor(body)
    return active_model.plan_condition(
        spec=body["spec"],
        active=state.status.active_model,
        conditions=state.stored.get("conditions"),
        generation=state.generation,
        now=NOW,
    )


def test_a_result_whose_metrics_cannot_be_a_baseline_leaves_the_spec_s():
    after = promote(monitor(), "r", rtj_status("2.0", SHA2, accuracy=91.0))  # percent, not a fraction
    assert after["status"]["activeModel"]["baseline"] == {}
    assert "so the spec's baseline stays" in after["status"]["conditions"][0]["message"]


def plan_alerts(body, *, status, **kwargs):
    """The alert planner on the monitor as the controller reads it."""
    return alert_updates.plan_update(read_monitor(body), status=ModelMonitorStatus.model_validate(status), **kwargs)


def test_alerts_about_the_old_model_resolve_on_promotion_notified_once_and_others_stay():
    check = {
        "time": "2026-03-10T11:00:00Z",
        "durationSeconds": 1.0,
        "dataset": {"drifted": True, "message": "1 of 1 drifted", "driftedFeatures": 1, "judgedFeatures": 1},
        "features": [
            {
                "name": "age",
                "kind": "numeric",
                "status": "judged",
                "drifted": True,
                "method": "psi",
                "score": 0.6,
                "severity": "critical",
                "severityScore": 90,
            }
        ],
    }
    body = {"metadata": {"name": "credit", "namespace": "ml", "annotations": {}}}
    t0 = timestamps.to_epoch("2026-03-10T11:00:00Z")
    fired = plan_alerts(body, status={"lastCheck": check}, new_check=True, policy=Policy(), now=t0)
    status = {
        "lastCheck": check,
        **fired.status,
        "retraining": {"active": {"name": "r", "phase": "RollingOut"}},
    }  # a lifecycle alert too
    status.update(plan_alerts(body, status=status, new_check=False, policy=Policy(), now=t0).status)
    assert {(a["type"], a["state"]) for a in status["alerts"]} == {("drift", "firing"), ("rollout", "firing")}
    after = promote({**monitor(status=status), "metadata": body["metadata"]}, "r", rtj_status("2.0", SHA2))["status"]
    update = plan_alerts(body, status=after, new_check=False, policy=Policy(), now=t0 + 60)
    assert {(c.change, c.alert.subject) for c in update.changes} == {("resolved", "dataset"), ("resolved", "age")}
    assert {n.alert.subject for n in update.notifications} == {"dataset", "age"}  # the sinks hear of it
    states = {(a["type"], a["subject"]): a["state"] for a in update.status["alerts"]}
    assert states == {("drift", "dataset"): "resolved", ("drift", "age"): "resolved", ("rollout", "r/active"): "firing"}
    assert update.status["alertPromotionSeen"] == f"r@{NOW}"
    assert (
        plan_alerts(body, status={**after, **update.status}, new_check=False, policy=Policy(), now=t0 + 120) is None
    )  # once per promotion


def test_lineage_and_previous_models_follow_several_generations():
    v2 = promote(monitor(), "r2", rtj_status("2.0", SHA2, reference="s3://data/2.0/ref.parquet"))
    queued = retraining_job.plan_step(
        spec=RetrainingJobSpec.model_validate(
            {
                "monitorRef": {"name": "credit"},
                "reason": "drift",
                "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "t", "image": "t:1"}]}}}},
            }
        ),
        spec_error=None,
        status=RetrainingJobStatus(),
        generation=1,
        job_name="r3-train",
        now=NOW,
        observed=retraining_job.Observed(monitor=v2, job=None),
    )
    assert queued.status["lineage"] == {"parentVersion": "2.0"}  # the promoted model, not spec.model.version 1.4
    assert queued.status["previousModel"] == {"name": "credit", "version": "2.0"}
    v3 = promote(v2, "r3", rtj_status("3.0", SHA3), now="2026-03-11T12:00:00Z")
    assert [p["version"] for p in v3["status"]["previousModels"]] == ["2.0", "1.4"]
    assert v3["status"]["previousModels"][0]["reference"] == {"uri": "s3://data/2.0/ref.parquet"}


def test_the_validation_baseline_is_the_active_model_s():
    v2 = promote(monitor(), "r2", rtj_status("2.0", SHA2))
    assert active_model.judged_baseline(SPEC, v2["status"]) == {"accuracy": 0.9, "f1": 0.7}
    assert active_model.judged_baseline(SPEC, {}) == {"accuracy": 0.8, "f1": 0.7}


def test_the_trigger_cooldown_and_the_checks_counted_start_at_the_promotion():
    retraining = RetrainingSpec.model_validate(
        {
            "enabled": True,
            "cooldown": "1h",
            "minNewSamples": 0,
            "template": {
                "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "t", "image": "t:1"}]}}}}
            },
        }
    )
    promoted = {
        "activeModel": {"version": "2.0", "promotedAt": "2026-03-10T12:00:00Z"},
        "retraining": {"lastStartedAt": "2026-03-10T09:00:00Z"},
    }

    def decide(check_time: str, now: str) -> retraining_triggers.TriggerDecision:
        status = {**promoted, "lastCheck": {"time": check_time, "currentRows": 10, "dataset": {"drifted": True}}}
        return retraining_triggers.plan_trigger(
            spec=retraining,
            status=status,
            annotations={},
            active=[],
            samples=10,
            created=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
            now=datetime.datetime.fromisoformat(now),
        )

    old = decide("2026-03-10T11:59:00Z", "2026-03-10T14:00:00+00:00")  # judged the old model
    assert not old.create and "not newer than the last retraining or promotion" in old.why
    early = decide("2026-03-10T12:30:00Z", "2026-03-10T12:31:00+00:00")  # cooldown from the promotion, not 09:00
    assert not early.create and "cooldown (1h) until 2026-03-10T13:00:00Z" in early.why
    assert decide("2026-03-10T13:30:00Z", "2026-03-10T13:31:00+00:00").create


def test_undo_restores_the_previous_model_and_a_second_undo_goes_forward_again():
    v2 = promote(monitor(), "r2", rtj_status("2.0", SHA2, reference="s3://data/2.0/ref.parquet"))
    v3 = promote(v2, "r3", rtj_status("3.0", SHA3), now="2026-03-11T12:00:00Z")
    decision = undo.plan_undo(token="t1", status=v3["status"], active=[], rollout_problem=None)
    assert decision.create and decision.consume_annotation and decision.key == "undo/t1/r3"
    assert decision.restore == RestoreSpec(
        model=TrainedModel(
            uri="s3://models/2.0", version="2.0", sha256=SHA2, reference={"uri": "s3://data/2.0/ref.parquet"}
        ),
        baseline={"accuracy": 0.9},
        promoted_by="r2",
    )
    assert decision.why == "undo: model 3.0 back to 2.0"
    restored = {**rtj_status("2.0", SHA2), "model": decision.restore.model.model_dump(by_alias=True, mode="json")}
    back = promote(v3, "undo-1", restored, restore=decision.restore, now="2026-03-12T12:00:00Z")
    assert back["status"]["activeModel"]["version"] == "2.0"
    assert back["status"]["activeModel"]["baseline"] == {"accuracy": 0.9}
    assert back["status"]["activeModel"]["reference"]["uri"] == "s3://data/2.0/ref.parquet"
    assert [p["version"] for p in back["status"]["previousModels"]] == ["3.0", "1.4"]
    again = undo.plan_undo(token="t2", status=back["status"], active=[], rollout_problem=None)
    assert again.restore is not None and again.restore.model.version == "3.0"


def test_undo_waits_for_an_active_retraining_and_refuses_what_it_cannot_restore():
    v2 = promote(monitor(), "r2", rtj_status("2.0", SHA2))
    waiting = undo.plan_undo(token="t", status=v2["status"], active=["r9"], rollout_problem=None)
    assert not waiting.create and not waiting.consume_annotation
    assert waiting.why == "undo waits: RetrainingJob r9 is still active"
    nothing = undo.plan_undo(token="t", status={}, active=[], rollout_problem=None)
    assert not nothing.create and nothing.consume_annotation and "no model was promoted" in nothing.why
    spec_model = undo.plan_undo(token="t", status=v2["status"], active=[], rollout_problem=None)
    assert not spec_model.create and spec_model.consume_annotation
    assert spec_model.why.startswith("undo ignored: the previous model 1.4 is the spec's, which modelmon did not train")
    v3 = promote(v2, "r3", rtj_status("3.0", SHA3))
    no_rollout = undo.plan_undo(token="t", status=v3["status"], active=[], rollout_problem="no rollout")
    assert not no_rollout.create and no_rollout.why == "undo ignored: no rollout"


def test_a_restore_retraining_job_rolls_out_without_training():
    restore = RestoreSpec(model=TrainedModel(uri="s3://models/2.0", version="2.0", sha256=SHA2))
    spec = RetrainingJobSpec.model_validate(
        {
            "monitorRef": {"name": "credit"},
            "reason": "undo",
            "restore": restore.model_dump(by_alias=True),
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "t", "image": "t:1"}]}}}},
            "rollout": {
                "targetRef": {"name": "credit"},
                "handover": {"env": {"uri": "MODEL_URI"}},
                "strategy": {"canary": {"steps": [{"setWeight": 50}]}},
            },
        }
    )
    planned = retraining_job.plan_step(
        spec=spec,
        spec_error=None,
        status=RetrainingJobStatus(phase="Pending"),
        generation=1,
        job_name="u-train",
        now=NOW,
        observed=retraining_job.Observed(monitor=monitor(), job=None),
    )
    assert not planned.create_job
    assert planned.status == {
        "phase": "RollingOut",
        "reason": "Restoring",
        "observedGeneration": 1,
        "message": "restoring model 2.0 (undo): rolling out without training",
        "model": {"uri": "s3://models/2.0", "version": "2.0", "sha256": SHA2, "metrics": {}},
    }


def test_replacing_sends_nulls_for_what_goes_at_every_depth():
    old = {"version": "2", "reference": {"uri": "s3://a/r", "format": "csv"}, "baseline": {"accuracy": 0.9, "f1": 0.8}}
    new = {"version": "3", "reference": {"uri": "s3://a/s"}, "baseline": {"accuracy": 0.92}}
    assert active_model.replacing(old, new) == {
        "version": "3",
        "reference": {"uri": "s3://a/s", "format": None},
        "baseline": {"accuracy": 0.92, "f1": None},
    }
