"""The operator resolves a monitor's alert policy on every watch event; it validates each
distinct spec.alerts once and still follows a changed one."""

from __future__ import annotations

from modelmon.controller import alerting
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings


def monitor(alerts: object = None) -> dict:
    spec: dict = {"model": {"name": "credit", "version": "1"}}
    if alerts is not None:
        spec["alerts"] = alerts
    return {"metadata": {"name": "credit", "namespace": "ml"}, "spec": spec}


def make() -> alerting.MonitorAlerts:
    return alerting.MonitorAlerts(settings=OperatorSettings(), metrics=OperatorMetrics(), dispatch=lambda **_: None)


def test_each_spec_gets_its_own_policy_and_a_change_is_followed(monkeypatch):
    alerts = make()
    validated: list[object] = []
    spec = alerts.spec
    monkeypatch.setattr(alerts, "spec", lambda body: validated.append(body["spec"].get("alerts")) or spec(body))

    default = alerts.policy(monitor())
    assert default.cooldown_seconds == 4 * 3600
    assert alerts.policy(monitor({"cooldown": "1h"})).cooldown_seconds == 3600
    assert alerts.policy(monitor({"cooldown": "30m"})).cooldown_seconds == 1800
    for _ in range(3):  # the same specs again: no validation
        assert alerts.policy(monitor()) == default
        assert alerts.policy(monitor({"cooldown": "1h"})).cooldown_seconds == 3600
    assert validated == [None, {"cooldown": "1h"}, {"cooldown": "30m"}]


def test_an_invalid_spec_falls_back_to_the_default_policy():
    assert make().policy(monitor({"cooldown": "soon"})) == make().policy(monitor())


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(alerting, "POLICY_CACHE_SIZE", 3)
    alerts = make()
    for minutes in range(1, 10):
        assert alerts.policy(monitor({"cooldown": f"{minutes}m"})).cooldown_seconds == 60 * minutes
        assert len(alerts._policies) <= 3
