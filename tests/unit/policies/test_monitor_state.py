"""A ModelMonitor read once per event for its status planners (policies/monitor_state.py), and what
the operator does with a status it cannot read (controller/monitor_reads.py): one log line naming
the field, nothing planned, nothing written, no exception into kopf's loop."""

from __future__ import annotations

import logging
import pathlib

import jsonschema
import kopf
import pytest
import yaml

from modelmon.api.status import ModelMonitorStatus
from modelmon.controller import monitor_reads
from modelmon.controller.monitors import MonitorController
from modelmon.policies.monitor_state import UnreadableStatus, read_monitor, status_patch

ROOT = pathlib.Path(__file__).resolve().parents[3]
STATUS_SCHEMA = yaml.safe_load((ROOT / "crds" / "modelmonitors.yaml").read_text())["spec"]["versions"][0]["schema"][
    "openAPIV3Schema"
]["properties"]["status"]

CHECK = {
    "time": "2026-12-01T10:00:00Z",
    "durationSeconds": 2.5,
    "dataset": {"drifted": False, "driftedFeatures": 0, "judgedFeatures": 1, "message": "0 of 1 drifted"},
    "features": [
        {
            "name": "age",
            "kind": "numeric",
            "status": "judged",
            "severity": "stable",
            "severityScore": 3,
            "drifted": False,
        }
    ],
}
#: What a rolled-back operator meets: a newer one promoted a model whose reference the CRD takes (no
#: bucket-name rule in the schema) but this model refuses (s3 bucket names are lowercase).
PROMOTED_ELSEWHERE = {
    "health": "Healthy",
    "activeModel": {
        "version": "2",
        "promotedAt": "2026-12-01T10:00:00Z",
        "retrainingJob": "credit-retrain-1",
        "reference": {"uri": "s3://Credit_Data/reference.parquet"},
    },
}


def body(status, *, annotations=None):
    meta = {"name": "credit", "namespace": "risk", "generation": 4, "resourceVersion": "7"}
    return {"metadata": {**meta, "annotations": annotations or {}}, "spec": {}, "status": status}


def test_the_status_is_parsed_with_what_the_planners_read_of_the_object():
    monitor = read_monitor(
        {
            **body({"health": "Warning", "lastCheck": CHECK}, annotations={"modelmon.io/ack": "a1"}),
            "spec": {"checkJob": {"image": "registry.example/check:1"}},
        }
    )
    assert (monitor.name, monitor.namespace, monitor.generation, monitor.ack) == ("credit", "risk", 4, "a1")
    assert monitor.check_image == "registry.example/check:1"
    assert monitor.status.health == "Warning" and monitor.new_check
    assert monitor.status.last_check is not None and monitor.status.last_check.features[0].name == "age"
    assert monitor.last_check_time == CHECK["time"]


def test_an_assessed_check_is_not_parsed_again_only_its_time_is_kept():
    # Unreadable on purpose: were it parsed, reading would fail. Assessed, it is never read beyond its time.
    assessed = {**CHECK, "features": [{"name": "age"}]}
    monitor = read_monitor(body({"lastCheck": assessed, "assessedCheck": CHECK["time"]}))
    assert monitor.status.last_check is None and not monitor.new_check
    assert monitor.last_check_time == CHECK["time"]
    with pytest.raises(UnreadableStatus) as unread:
        read_monitor(body({"lastCheck": assessed, "assessedCheck": "2026-12-01T09:00:00Z"}))
    assert unread.value.field == "status.lastCheck.features[0].kind"


def test_a_status_the_crd_accepts_but_the_model_cannot_read_names_the_field():
    jsonschema.Draft7Validator(STATUS_SCHEMA).validate(PROMOTED_ELSEWHERE)  # the API server stores it
    with pytest.raises(UnreadableStatus) as unread:
        read_monitor(body(PROMOTED_ELSEWHERE))
    assert unread.value.field == "status.activeModel.reference"
    assert "bucket name" in unread.value.problem


def test_an_unreadable_status_is_one_log_line_and_no_plan(caplog):
    caplog.set_level(logging.WARNING, logger=monitor_reads.__name__)
    assert monitor_reads.read_status(body(PROMOTED_ELSEWHERE), what="watch event") is None
    (record,) = caplog.records
    line = record.getMessage()
    assert "\n" not in line and record.exc_info is None
    assert line.startswith("watch event of ModelMonitor risk/credit not planned: status.activeModel.reference")
    assert "Credit_Data" not in line  # what was written is never repeated (it could be a secret pasted there)


def test_the_event_handler_writes_nothing_for_an_unreadable_status_and_returns(caplog):
    # No API client, metrics or alerting behind it: reaching any of them would raise.
    controller = MonitorController(settings=None, metrics=None, alerts=None, retrainings=None)  # type: ignore[arg-type]
    patch = kopf.Patch()
    assert controller.observe_in_loop(body(PROMOTED_ELSEWHERE), patch, deleted=False, added=False) is None
    assert not patch
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "watch event of ModelMonitor risk/credit not planned"
    ]


def test_a_patch_writes_the_named_fields_as_stored_and_an_emptied_one_as_null():
    planned = ModelMonitorStatus.model_validate({"health": "Critical", "checkCronJob": "c", "alerts": []})
    planned.check_cron_job = None
    assert status_patch(planned, {"health", "check_cron_job", "alerts"}) == {
        "health": "Critical",
        "checkCronJob": None,
        "alerts": [],
    }
