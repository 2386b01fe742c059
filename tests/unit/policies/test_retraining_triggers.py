"""The retraining trigger policy: fires once, respects cooldown and sample minimum, manual, schedule."""

from __future__ import annotations

import datetime

import pydantic
import pytest

from modelmon.api.retraining import RetrainingSpec
from modelmon.policies import retraining_triggers as policy

NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
CREATED = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
TEMPLATE = {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "t", "image": "trainer:1"}]}}}}}


def spec(**changes) -> RetrainingSpec:
    return RetrainingSpec.model_validate({"enabled": True, "template": TEMPLATE, **changes})


def drifted(time: str = "2026-03-10T11:00:00Z", **extra) -> dict:
    return {"lastCheck": {"time": time, "currentRows": 500, "dataset": {"drifted": True}}, **extra}


def decide(s=None, status=None, annotations=None, active=(), samples=5000, now=NOW):
    return policy.plan_trigger(spec=s if s is not None else spec(), status=status or {}, annotations=annotations or {},
                               active=list(active), samples=samples, created=CREATED, now=now)


def test_critical_drift_fires_with_priority_high_and_a_key_per_check():
    decision = decide(status=drifted())
    assert (decision.create, decision.reason, decision.priority) == (True, "drift", "high")
    assert decision.key == "drift/2026-03-10T11:00:00Z/first"
    assert decision.why == "critical drift in the last check"


def test_a_data_quality_finding_alone_never_retrains_even_with_health_critical():
    # a request_id column added upstream, made critical by newColumnSeverity: health Critical, no drift
    new_column = {"column": "request_id", "check": "newColumn", "severity": "critical",
                  "message": "column 'request_id' is in the current data but not in the reference"}
    status = {"health": "Critical", "lastCheck": {
        "time": "2026-03-10T11:00:00Z", "currentRows": 5000, "qualityIssues": [new_column],
        "dataset": {"drifted": False, "driftedFeatures": 0, "judgedFeatures": 4},
        "performance": {"severity": "ok"}}}
    decision = decide(status=status)
    assert (decision.create, decision.why) == (False, "no trigger fired")


def test_a_drift_firing_names_the_drifted_features_and_records_them():
    status = drifted()
    status["lastCheck"]["features"] = [{"name": "age", "drifted": True}, {"name": "income", "drifted": False},
                                       {"name": "region", "drifted": True}]
    decision = decide(status=status)
    assert (decision.create, decision.reason) == (True, "drift")
    assert decision.why == "critical drift in the last check: age, region drifted"
    assert (decision.check_time, decision.features, decision.metrics) == ("2026-03-10T11:00:00Z", ("age", "region"), ())
    assert policy.record(decision).model_dump(by_alias=True, exclude_defaults=True) == {
        "checkTime": "2026-03-10T11:00:00Z", "features": ["age", "region"],
        "message": "critical drift in the last check: age, region drifted"}


def test_a_performance_firing_records_the_critical_metrics_and_the_drifted_features_too():
    status = drifted()
    status["lastCheck"]["features"] = [{"name": f"f{i}", "drifted": True} for i in range(7)]
    status["lastCheck"]["performance"] = {"severity": "critical", "metrics": [
        {"metric": "accuracy", "window": "last 500", "severity": "critical"},
        {"metric": "f1", "window": "last 500", "severity": "warning"},
        {"metric": "accuracy", "window": "last 6h", "severity": "critical"}]}
    decision = decide(status=status)
    assert (decision.reason, decision.priority) == ("performance", "critical")
    assert decision.metrics == ("accuracy (last 500)", "accuracy (last 6h)")
    assert decision.features == tuple(f"f{i}" for i in range(7))
    assert decision.why == ("performance critical in the last check: accuracy (last 500), accuracy (last 6h) "
                            "critical; f0, f1, f2, f3, f4 and 2 more drifted")


def test_manual_and_schedule_firings_record_no_check():
    manual = decide(annotations={"modelmon.io/retrain-now": "INC-7"})
    assert policy.record(manual).model_dump(by_alias=True, exclude_defaults=True) == {
        "message": "started by modelmon.io/retrain-now (INC-7)"}


def test_performance_critical_wins_over_drift_with_priority_critical():
    status = drifted()
    status["lastCheck"]["performance"] = {"severity": "critical"}
    decision = decide(status=status)
    assert (decision.reason, decision.priority) == ("performance", "critical")


@pytest.mark.parametrize("performance", [None, "critical", {"severity": "warning"}, []])
def test_performance_is_read_defensively(performance):
    status = {"lastCheck": {"time": "2026-03-10T11:00:00Z", "performance": performance}}
    assert not decide(status=status).create


def test_fires_once_per_check():
    started = {"lastStartedAt": "2026-03-10T11:30:00Z"}
    decision = decide(s=spec(cooldown="1m"), status=drifted(retraining=started))
    assert not decision.create
    assert decision.why == ("critical drift in the last check, but that check is not newer than the last retraining "
                            "or promotion")


def test_cooldown_holds_back_until_it_ends():
    memory = {"lastStartedAt": "2026-03-09T12:00:00Z"}
    status = drifted(retraining=memory)
    held = decide(s=spec(cooldown="2d"), status=status)
    assert not held.create and held.why == "critical drift in the last check; cooldown (2d) until 2026-03-11T12:00:00Z"
    later = decide(s=spec(cooldown="2d"), status=status | {"lastCheck": {**status["lastCheck"],
                                                                           "time": "2026-03-11T12:00:00Z"}},
                   now=datetime.datetime(2026, 3, 11, 12, 0, tzinfo=datetime.UTC))
    assert later.create and later.key == "drift/2026-03-11T12:00:00Z/2026-03-09T12:00:00Z"


def test_default_cooldown_is_seven_days_and_min_samples_1000():
    assert (spec().cooldown, spec().min_new_samples) == ("7d", 1000)
    status = drifted(retraining={"lastStartedAt": "2026-03-04T12:00:01Z"})
    assert "cooldown (7d) until 2026-03-11T12:00:01Z" in decide(status=status).why
    assert decide(status=drifted(retraining={"lastStartedAt": "2026-03-03T12:00:00Z"})).create


def test_sample_minimum():
    decision = decide(status=drifted(), samples=999)
    assert not decision.create
    assert decision.why == "critical drift in the last check; 999 new samples, fewer than minNewSamples 1000"
    assert decide(status=drifted(), samples=1000).create


def test_disabled_or_without_spec_never_fires_and_drops_the_annotation():
    for s in (None, RetrainingSpec(enabled=False)):
        decision = policy.plan_trigger(spec=s, status=drifted(), annotations={"modelmon.io/retrain-now": "x"},
                                       active=[], samples=10**6, created=CREATED, now=NOW)
        assert not decision.create and decision.consume_annotation
        assert decision.why == "retraining is not enabled (spec.retraining.enabled)"


def test_one_active_at_a_time_and_the_annotation_waits():
    decision = decide(status=drifted(), annotations={"modelmon.io/retrain-now": "now"}, active=["credit-retrain-1"])
    assert not decision.create and not decision.consume_annotation
    assert decision.why == "RetrainingJob credit-retrain-1 is still active (one at a time)"


def test_manual_ignores_cooldown_and_samples():
    status = {"retraining": {"lastStartedAt": "2026-03-10T11:59:00Z"}}
    decision = decide(status=status, annotations={"modelmon.io/retrain-now": "INC-42"}, samples=0)
    assert (decision.create, decision.reason, decision.priority, decision.consume_annotation) == (
        True, "manual", "high", True)
    assert decision.key == "manual/INC-42/2026-03-10T11:59:00Z"
    assert decision.why == "started by modelmon.io/retrain-now (INC-42)"


def test_manual_trigger_disabled_consumes_with_a_reason():
    decision = decide(s=spec(triggers={"manual": False}), annotations={"modelmon.io/retrain-now": ""})
    assert not decision.create and decision.consume_annotation
    assert "triggers.manual is false" in decision.why


def test_triggers_can_be_switched_off():
    assert not decide(s=spec(triggers={"criticalDrift": False}), status=drifted()).create


def test_template_priority_overrides_the_default():
    assert decide(s=spec(template={**TEMPLATE, "priority": "low"}), status=drifted()).priority == "low"


def test_schedule_fires_for_the_latest_unserved_slot_without_cooldown():
    weekly = spec(triggers={"schedule": "0 3 * * *", "criticalDrift": False})
    memory = {"lastStartedAt": "2026-03-09T03:00:05Z", "lastScheduleTime": "2026-03-09T03:00:00Z"}
    decision = decide(s=weekly, status={"retraining": memory})
    assert (decision.create, decision.reason, decision.priority) == (True, "schedule", "low")
    assert decision.schedule_time == "2026-03-10T03:00:00Z" and decision.key == "schedule/2026-03-10T03:00:00Z"
    served = decide(s=weekly, status={"retraining": {**memory, "lastScheduleTime": "2026-03-10T03:00:00Z"}})
    assert not served.create and served.why == "no trigger fired"


def test_schedule_slot_before_the_monitor_existed_is_not_served():
    decision = policy.plan_trigger(spec=spec(triggers={"schedule": "0 3 * * *"}), status={}, annotations={}, active=[],
                                   samples=5000, created=datetime.datetime(2026, 3, 10, 4, tzinfo=datetime.UTC),
                                   now=NOW)
    assert not decision.create


def test_schedule_without_samples_is_skipped_and_served():
    decision = decide(s=spec(triggers={"schedule": "0 3 * * *"}), samples=10)
    assert not decision.create and decision.schedule_time == "2026-03-10T03:00:00Z"
    assert decision.why == "schedule at 2026-03-10T03:00:00Z skipped: 10 new samples, fewer than minNewSamples 1000"


@pytest.mark.parametrize(("memory", "check", "expected"), [
    pytest.param({}, {"time": "t1", "currentRows": 300}, (300, "t1"), id="first-check"),
    pytest.param({"samplesSinceLast": 1200, "lastCountedCheck": "t1"}, {"time": "t2", "currentRows": 300},
                 (1500, "t2"), id="new-check-adds"),
    pytest.param({"samplesSinceLast": 1500, "lastCountedCheck": "t2"}, {"time": "t2", "currentRows": 300},
                 (1500, "t2"), id="same-check-counted-once"),
    pytest.param({"samplesSinceLast": 5, "lastCountedCheck": "t1"}, {"time": "t2", "error": "unreadable"},
                 (5, "t1"), id="failed-check-adds-nothing"),
    pytest.param({"samplesSinceLast": 5}, None, (5, None), id="no-check"),
])
def test_samples_are_counted_once_per_check(memory, check, expected):
    counted = policy.count_samples(memory, check)
    assert (counted.count, counted.last_counted_check) == expected


@pytest.mark.parametrize(("raw", "fragment"), [
    ({"enabled": True}, "retraining.enabled needs retraining.template"),
    ({"triggers": {"schedule": "every sunday"}}, "not a 5-field cron expression"),
    ({"cooldown": "1 week"}, "is not a duration"),
    ({"minNewSamples": -1}, "greater than or equal to 0"),
    ({"template": {"jobTemplate": {"spec": {}}}}, "containers must list the training container"),
    ({"trigger": {}}, "Extra inputs are not permitted"),
])
def test_bad_retraining_spec_names_the_problem(raw, fragment):
    with pytest.raises(pydantic.ValidationError, match=fragment):
        RetrainingSpec.model_validate(raw)
