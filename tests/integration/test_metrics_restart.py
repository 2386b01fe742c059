"""Per-monitor series come from the watched status (#19): an operator that starts after a check
serves that check's series at its first list -- not at the monitor's next check -- and a deleted
monitor's series go with its DELETED event.

No ``operator`` fixture here: each test starts its own operator, after the state it must find.
"""

from __future__ import annotations

import kubernetes
import pytest

from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

from operator_harness import running_operator
from support.monitors import GROUP, PLURAL, VERSION, create_monitor, drifted_check, monitor_body
from support.waiting import wait_for

pytestmark = pytest.mark.cluster

NAMESPACE_PREFIX = "metrics"


def _status_as_an_operator_left_it(check: dict) -> dict:
    """A check assessed before the restart: health written, ``assessedCheck`` = the check's time,
    so the restarted operator has nothing new to assess (and, before #19, recorded nothing)."""
    return {"lastCheck": check, "assessedCheck": check["time"], "health": "Critical", "driftedFeatures": 1}


def test_a_restarted_operator_serves_the_last_check_at_once_and_forgets_a_deleted_monitor(kube, namespace):
    objects = kubernetes.client.CustomObjectsApi(kube)
    create_monitor(kube, namespace, monitor_body("credit"))
    check = drifted_check("2026-11-23T10:00:00Z")
    objects.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, "credit", {"status": _status_as_an_operator_left_it(check)}
    )
    metrics = OperatorMetrics()
    sample = metrics.registry.get_sample_value
    mon = {"namespace": namespace, "monitor": "credit"}
    with running_operator(api=kube, settings=OperatorSettings(check_image="modelmon:test"), metrics=metrics):
        wait_for(
            lambda: sample("modelmon_monitor_health", {**mon, "state": "Critical"}) == 1.0,
            what="health served from the listed status",
            timeout=30,
        )
        assert sample("modelmon_last_check_timestamp_seconds", mon) == 1795428000.0  # 2026-11-23T10:00:00Z
        assert sample("modelmon_drifted_features", mon) == 1.0
        assert sample(
            "modelmon_feature_drift_distance", {**mon, "feature": "income", "method": "wasserstein"}
        ) == pytest.approx(0.6)
        assert sample("modelmon_feature_drift_severity", {**mon, "feature": "income"}) == 85.0
        assert sample("modelmon_checks_total", {**mon, "outcome": "drift"}) is None  # nothing was checked

        objects.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit")
        wait_for(
            lambda: sample("modelmon_monitor_health", {**mon, "state": "Critical"}) is None,
            what="the deleted monitor's series gone",
            timeout=30,
        )
        exposed = "\n".join(f"{s.name}{s.labels}" for m in metrics.registry.collect() for s in m.samples)
        assert f"'namespace': '{namespace}'" not in exposed, "a deleted monitor left series behind"
