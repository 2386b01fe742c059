"""The alert policy: dedup, cooldown, escalation, resolution, acknowledgement, rate limit, bounds."""

import pytest

from modelmon.policies.alerts import Observation, Policy, alert_id, plan_alerts

DRIFT = Observation(type="drift", subject="income", severity="warning", message="income drifted")


def step(previous=(), observations=(), *, now, acks=(), notified_at=(), policy=Policy()):
    return plan_alerts(previous=list(previous), observations=list(observations), acknowledged=acks,
                       notified_at=list(notified_at), now=now, policy=policy)


def test_new_alert_fires_and_repeats_are_deduplicated_within_the_cooldown():
    first = step(observations=[DRIFT], now=0)
    assert [n.action for n in first.notifications] == ["firing"]
    (alert,) = first.alerts
    assert alert.id == alert_id("drift", "income") and alert.count == 1
    second = step(first.alerts, [DRIFT], now=600, notified_at=first.notified_at)
    assert second.notifications == []
    assert second.alerts[0].count == 2 and second.alerts[0].first_seen == 0 and second.alerts[0].last_seen == 600
    later = step(second.alerts, [DRIFT], now=5 * 3600, notified_at=second.notified_at,
                 policy=Policy(escalate_after=10))
    assert [n.action for n in later.notifications] == ["repeat"]


def test_a_persisting_warning_escalates_to_critical():
    state = step(observations=[DRIFT], now=0, policy=Policy(escalate_after=3))
    state = step(state.alerts, [DRIFT], now=60, policy=Policy(escalate_after=3))
    assert state.alerts[0].severity == "warning"
    state = step(state.alerts, [DRIFT], now=120, policy=Policy(escalate_after=3))
    assert state.alerts[0].severity == "critical"
    assert [n.action for n in state.notifications] == ["escalated"]


def test_resolution_is_notified_once_and_a_recurrence_fires_again():
    fired = step(observations=[DRIFT], now=0)
    resolved = step(fired.alerts, [], now=60)
    assert [n.action for n in resolved.notifications] == ["resolved"]
    assert resolved.alerts[0].resolved_at == 60
    quiet = step(resolved.alerts, [], now=120)
    assert quiet.notifications == []
    again = step(quiet.alerts, [DRIFT], now=180)
    assert [n.action for n in again.notifications] == ["firing"] and again.alerts[0].first_seen == 180


def test_acknowledged_alert_is_silent_until_its_severity_rises():
    fired = step(observations=[DRIFT], now=0)
    ack = [fired.alerts[0].id]
    silent = step(fired.alerts, [DRIFT], now=10 * 3600, acks=ack, policy=Policy(escalate_after=99))
    assert silent.notifications == [] and silent.alerts[0].acknowledged
    critical = Observation(type="drift", subject="income", severity="critical", message="worse")
    rose = step(silent.alerts, [critical], now=10 * 3600 + 60, acks=ack)
    assert [n.action for n in rose.notifications] == ["escalated"] and not rose.alerts[0].acknowledged


def test_rate_limit_holds_back_but_keeps_the_state():
    many = [Observation(type="dataQuality", subject=f"c{i}", severity="warning", message="m") for i in range(5)]
    decision = step(observations=many, now=0, policy=Policy(max_notifications_per_hour=3))
    assert len(decision.notifications) == 3 and decision.held_back == 2
    assert len(decision.alerts) == 5
    later = step(decision.alerts, many, now=1800, notified_at=decision.notified_at,
                 policy=Policy(max_notifications_per_hour=3))
    assert later.notifications == []  # within the cooldown anyway; and the hour's budget is spent


@pytest.mark.parametrize("limit", [2, 5])
def test_stored_alerts_are_bounded_resolved_first(limit):
    observations = [Observation(type="drift", subject=f"f{i}", severity="warning", message="m") for i in range(6)]
    state = step(observations=observations, now=0)
    state = step(state.alerts, observations[:1], now=60)  # five resolve
    bounded = step(state.alerts, observations[:1], now=120, policy=Policy(max_alerts=limit))
    assert len(bounded.alerts) == limit
    assert any(a.subject == "f0" and a.active for a in bounded.alerts)
