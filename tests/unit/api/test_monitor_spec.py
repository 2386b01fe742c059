"""The ModelMonitor spec's validators: each bad spec fails with one message that names the field
(as the InvalidSpec condition shows it) and says what to write instead."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from modelmon.api import errors, monitor
from modelmon.api.durations import parse_duration

MINIMAL: dict[str, Any] = {"model": {"name": "credit"}, "reference": {"uri": "file:///data/ref.csv"},
                           "current": {"uri": "file:///data/cur.csv"}}


def problem(**changes: Any) -> str:
    """The one-line description of the single error ``MINIMAL | changes`` causes."""
    with pytest.raises(pydantic.ValidationError) as caught:
        monitor.parse_spec(MINIMAL | changes)
    assert len(caught.value.errors()) == 1, caught.value
    return errors.describe(caught.value)


def window(**fields: Any) -> dict[str, Any]:
    return {"uri": "file:///data/cur.csv", "window": fields}


def cuts(method: str, moderate: float, significant: float, critical: float) -> dict[str, Any]:
    return {"thresholds": {method: {"moderate": moderate, "significant": significant, "critical": critical}}}


def test_a_minimal_spec_gets_the_defaults():
    spec = monitor.parse_spec(MINIMAL)
    assert spec.schedule == "0 * * * *" and spec.suspend is False
    assert spec.drift.numeric_method == "auto" and spec.drift.thresholds == {}
    assert spec.check_job.active_deadline_seconds == 600


# --- schedule -------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["*/15 * * * *", "0 3 * * 1-5", "30 2 1 * *", "@hourly", "@daily"])
def test_cron_schedules_kubernetes_accepts(schedule: str):
    assert monitor.parse_spec(MINIMAL | {"schedule": schedule}).schedule == schedule


@pytest.mark.parametrize("schedule", ["every hour", "61 * * * *", "0 0 * * * *", "* * *", ""],
                         ids=["words", "minute-61", "six-fields", "three-fields", "empty"])
def test_a_bad_cron_schedule_is_named(schedule: str):
    message = problem(schedule=schedule)
    assert message.startswith(f"spec.schedule: {schedule!r} is not a 5-field cron expression")
    assert "e.g. '*/15 * * * *'" in message


# --- data sources ---------------------------------------------------------------------------


def test_a_source_with_both_uri_and_configmap_is_named():
    both = {"uri": "file:///r.csv", "configMapKeyRef": {"name": "data", "key": "r.csv"}}
    assert problem(reference=both) == "spec.reference: set exactly one of uri or configMapKeyRef"


def test_a_source_with_neither_is_named():
    assert problem(current={"format": "csv"}) == "spec.current: set exactly one of uri, configMapKeyRef or inferenceService"


def test_a_configmap_source_alone_is_fine():
    spec = monitor.parse_spec(MINIMAL | {"reference": {"configMapKeyRef": {"name": "data", "key": "r.csv"}}})
    assert spec.reference.config_map_key_ref is not None and spec.reference.uri is None


def test_an_unsupported_uri_scheme_is_named():
    assert problem(reference={"uri": "ftp://host/r.csv"}).startswith("spec.reference.uri: String should match pattern")


# --- features -------------------------------------------------------------------------------


def test_features_listed_twice_are_named():
    features = [{"name": "age", "type": "numeric"}, {"name": "region", "type": "categorical"},
                {"name": "age", "type": "categorical"}]
    assert problem(features=features) == "spec.features: features listed twice: age"


def test_an_unknown_feature_type_is_named():
    assert problem(features=[{"name": "age", "type": "number"}]).startswith("spec.features.0.type: Input should be")


# --- thresholds -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["psi", "js", "kl", "wasserstein", "hellinger"])
def test_distance_cut_points_must_increase(method: str):
    message = problem(drift=cuts(method, 0.5, 0.25, 0.1))
    assert message.startswith(f"spec.drift.thresholds: thresholds.{method}: cut points must increase: "
                              "moderate < significant < critical")


@pytest.mark.parametrize("method", ["ks", "chi2"])
@pytest.mark.parametrize("triple", [(0.001, 0.01, 0.05), (0.05, 0.05, 0.01), (1.5, 0.01, 0.001), (0.05, 0.01, 0)],
                         ids=["increasing", "tied", "above-one", "zero"])
def test_p_value_cut_points_must_decrease_within_0_1(method: str, triple: tuple[float, float, float]):
    message = problem(drift=cuts(method, *triple))
    assert message.startswith(f"spec.drift.thresholds: thresholds.{method}: p-value cut points must decrease "
                              "within (0, 1]")


@pytest.mark.parametrize("method, triple", [("psi", (0.1, 0.2, 0.4)), ("ks", (0.05, 0.01, 0.001)),
                                            ("chi2", (1, 0.5, 0.1))])
def test_well_ordered_cut_points_are_used(method: str, triple: tuple[float, float, float]):
    spec = monitor.parse_spec(MINIMAL | {"drift": cuts(method, *triple)})
    chosen = spec.drift.thresholds_for(method)
    assert (chosen.moderate, chosen.significant, chosen.critical) == triple


def test_a_threshold_for_an_unknown_method_is_named():
    assert problem(drift=cuts("euclid", 1, 2, 3)).startswith("spec.drift.thresholds.euclid.[key]: Input should be")


# --- window and durations -------------------------------------------------------------------


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800),
                                           ("1h30m", 5400), ("500ms", 0.5)])
def test_durations(text: str, seconds: float):
    assert parse_duration(text) == seconds
    spec = monitor.parse_spec(MINIMAL | {"current": window(duration=text, timestampColumn="ts")})
    assert spec.current.window is not None and spec.current.window.duration == text


@pytest.mark.parametrize("text", ["1 hour", "15", "m", "1.5h", "-1h", "1H"])
def test_a_bad_duration_is_named_with_the_accepted_form(text: str):
    assert problem(current=window(duration=text, timestampColumn="ts")) == (
        f"spec.current.window.duration: {text!r} is not a duration: write e.g. 90s, 15m, 2h, 7d or 1h30m")


def test_a_duration_window_needs_a_timestamp_column():
    assert problem(current=window(duration="1h")) == (
        "spec.current: window.duration needs window.timestampColumn or timePartitions")


def test_a_duration_window_on_time_partitions_needs_no_timestamp_column():
    spec = monitor.parse_spec(MINIMAL | {"current": window(duration="6h") | {"timePartitions": {"dateKey": "day"}}})
    assert spec.current.time_partitions is not None
    assert (spec.current.time_partitions.date_key, spec.current.time_partitions.hour_key) == ("day", "hour")


def test_a_row_window_needs_no_timestamp_column():
    assert monitor.parse_spec(MINIMAL | {"current": window(rows=100)}).current.window is not None


# --- unknown fields -------------------------------------------------------------------------


@pytest.mark.parametrize("changes, field", [
    ({"drift": {"bin": 10}}, "spec.drift.bin"),
    ({"schedul": "* * * * *"}, "spec.schedul"),
    ({"current": window(rows=10, timestamp="ts")}, "spec.current.window.timestamp"),
], ids=["drift.bin", "schedul", "window.timestamp"])
def test_a_misspelled_field_is_named(changes: dict[str, Any], field: str):
    assert problem(**changes) == f"{field}: unknown field (misspelled?); see `kubectl explain modelmonitor.spec`"


ROLLOUT_WITHOUT_TARGET = {"handover": {"env": {}}, "strategy": {"canary": {"steps": [{"setWeight": 20}]}}}
TRAINER = {"spec": {"template": {"spec": {"containers": [{"name": "train", "image": "trainer:1"}]}}}}


def test_a_retraining_rollout_without_target_takes_the_models_deployment():
    retraining = {"template": {"jobTemplate": TRAINER, "rollout": ROLLOUT_WITHOUT_TARGET}}
    spec = monitor.parse_spec(MINIMAL | {"model": {"name": "credit", "deploymentRef": {"name": "credit-default"}},
                                         "retraining": retraining})
    assert spec.retraining is not None and spec.retraining.template is not None
    assert spec.retraining.template.rollout_for(deployment="credit-default")["targetRef"] == {"name": "credit-default"}
    message = problem(retraining=retraining)
    assert "retraining.template.rollout has no targetRef: set it, or spec.model.deploymentRef" in message
