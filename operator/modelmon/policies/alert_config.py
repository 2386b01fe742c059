"""Which alert policy and sinks apply to a monitor: its spec.alerts over the operator's defaults.

Field by field: what the monitor sets wins, what it leaves out comes from the operator's
defaults (settings.default_alerts), the rest from the models' defaults. Sinks are a whole:
a monitor listing sinks replaces the default sinks (an empty list silences them).
"""

from __future__ import annotations

from typing import Any

import pydantic

from modelmon.api.alerts import AlertsSpec


def effective_alerts(raw_spec_alerts: dict[str, Any] | None, default: AlertsSpec | None) -> AlertsSpec:
    """Raises pydantic.ValidationError for an invalid spec.alerts (the reconciliation reports it)."""
    own = AlertsSpec.model_validate(raw_spec_alerts or {})
    if default is None:
        return own
    merged = {name: getattr(default, name) for name in default.model_fields_set}
    merged.update({name: getattr(own, name) for name in own.model_fields_set})
    try:
        return AlertsSpec.model_validate({k: v.model_dump() if isinstance(v, pydantic.BaseModel) else
                                          [i.model_dump() for i in v] if isinstance(v, list) else v
                                          for k, v in merged.items()})
    except pydantic.ValidationError:
        return own  # a combination that cannot work (e.g. a default expiry shorter than the cooldown)


def uses_default_sinks(raw_spec_alerts: dict[str, Any] | None, default: AlertsSpec | None) -> bool:
    """Whether the monitor's notifications go to the operator's default sinks (their Secrets are
    then the operator's, read in its namespace, not the monitor's)."""
    return default is not None and bool(default.sinks) and "sinks" not in (raw_spec_alerts or {})
