"""End to end without a cluster: a `modelmon collect` process captures KServe-shaped events, and a
ModelMonitor that names the InferenceService (spec.current.inferenceService) is checked on them,
its source resolved from the collector store the operator hands the check job."""

from __future__ import annotations

import datetime
from typing import Any

from modelmon import check_job
from support.kserve_events import binary, post, start_collector


class Monitor:
    """The API's answer for one ModelMonitor (read_spec reads nothing else)."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec

    def get_namespaced_custom_object(self, *_: str) -> dict[str, Any]:
        return {"metadata": {"name": "credit", "namespace": "ml"}, "spec": self.spec}


def test_a_monitor_naming_the_inference_service_checks_what_the_collector_wrote(tmp_path, monkeypatch):
    store = tmp_path / "store"
    collector = start_collector(str(store), "--flush-rows", "50")
    try:
        for hour in range(10, 14):  # 10:00 to 13:59; from 12:00 the ages shift up by 40
            for index in range(10):
                event_id, time_ = f"h{hour}-{index}", f"2026-12-01T{hour}:{index * 5:02d}:00Z"
                age = 30.0 + index + (40 if hour >= 12 else 0)
                request = binary(event_id, "request", {"instances": [{"age": age}]}, model="credit", time_=time_)
                assert post(collector.url, request)[0] == 200
                response = binary(event_id, "response", {"predictions": [index % 2]}, model="credit")
                assert post(collector.url, response)[0] == 200
    finally:
        code, out = collector.stop()
    assert code == 0, out
    reference = tmp_path / "reference.csv"
    reference.write_text("age\n" + "".join(f"{30.0 + i % 10}\n" for i in range(200)))
    spec = {
        "model": {"name": "credit"},
        "reference": {"uri": f"file://{reference}"},
        "current": {"inferenceService": {"name": "credit"}, "window": {"duration": "2h"}},
        "features": [{"name": "age", "type": "numeric"}],
    }
    monkeypatch.setattr(check_job.client, "custom_objects", lambda: Monitor(spec))
    # as the operator sets it on the check job's CronJob (a plain path: the collector's volume)
    monkeypatch.setenv("MODELMON_COLLECTOR_STORE", str(store))
    resolved = check_job.read_spec(namespace="ml", name="credit")
    assert resolved.current.uri == f"file://{store}/ml/credit/predictor/"
    now = datetime.datetime(2026, 12, 1, 14, 0, tzinfo=datetime.UTC).timestamp()
    report, _, _ = check_job.check_data(resolved, namespace="ml", clock=lambda: now)
    # the 2-hour window is the hour partitions 12 and 13 (no timestamp column: whole partitions)
    assert report.current_rows == 20 and report.reference_rows == 200
    assert report.drifted_feature_names == ["age"]
