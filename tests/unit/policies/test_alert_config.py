"""spec.alerts over the operator's defaults."""

import pydantic
import pytest

from modelmon.api.alerts import AlertsSpec
from modelmon.policies.alert_config import effective_alerts, uses_default_sinks

PAGER = {"name": "pager", "webhook": {"urlSecretRef": {"name": "pager", "key": "url"}}}
TEAM = {"name": "team", "slack": {"webhookUrlSecretRef": {"name": "slack", "key": "url"}}}
DEFAULTS = AlertsSpec.model_validate({"cooldown": "1h", "escalateAfter": 4, "sinks": [PAGER]})


def test_monitor_fields_win_field_by_field_and_the_rest_comes_from_the_defaults():
    merged = effective_alerts({"escalateAfter": 2}, DEFAULTS)
    assert (merged.cooldown, merged.escalate_after, merged.max_alerts) == ("1h", 2, 50)
    assert [s.name for s in merged.sinks] == ["pager"]
    assert merged.policy().cooldown_seconds == 3600


def test_listed_sinks_replace_the_default_sinks_and_an_empty_list_silences_them():
    assert [s.name for s in effective_alerts({"sinks": [TEAM]}, DEFAULTS).sinks] == ["team"]
    assert effective_alerts({"sinks": []}, DEFAULTS).sinks == []
    assert uses_default_sinks({"cooldown": "2h"}, DEFAULTS) and uses_default_sinks(None, DEFAULTS)
    assert not uses_default_sinks({"sinks": []}, DEFAULTS)
    assert not uses_default_sinks(None, None)


def test_no_defaults_means_the_monitor_alone_and_an_invalid_spec_raises():
    assert effective_alerts(None, None) == AlertsSpec()
    with pytest.raises(pydantic.ValidationError):
        effective_alerts({"cooldown": "soon"}, DEFAULTS)


def test_status_holds_as_many_alerts_as_the_spec_may_keep():
    from modelmon.api.status import ModelMonitorStatus

    def bound(model, field, kind):
        return next(getattr(m, kind) for m in model.model_fields[field].metadata if hasattr(m, kind))

    # A larger maxAlerts than status can store would have every status write refused (422).
    assert bound(ModelMonitorStatus, "alerts", "max_length") >= bound(AlertsSpec, "max_alerts", "le")


def test_status_remembers_as_many_notification_times_as_the_hourly_limit_allows():
    from modelmon.api.status import ModelMonitorStatus

    stored = next(m.max_length for m in ModelMonitorStatus.model_fields["alert_notifications"].metadata
                  if hasattr(m, "max_length"))
    limit = next(m.le for m in AlertsSpec.model_fields["max_notifications_per_hour"].metadata if hasattr(m, "le"))
    assert stored >= limit
