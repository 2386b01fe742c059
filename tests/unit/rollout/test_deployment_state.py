"""When a Deployment counts as rolled out: the planner's only view of a real rollout's progress."""

from __future__ import annotations

from modelmon.k8s.rollout import deployment_state
from modelmon.rollout.observations import DeploymentState


def _deployment(*, replicas: int, updated: int, ready: int, available: int, total: int) -> dict:
    return {"metadata": {"name": "credit", "generation": 4},
            "spec": {"replicas": 2},
            "status": {"observedGeneration": 4, "replicas": total, "updatedReplicas": updated,
                       "readyReplicas": ready, "availableReplicas": available}}


def test_every_replica_updated_ready_and_no_old_pod_is_rolled_out():
    assert deployment_state(_deployment(replicas=2, updated=2, ready=2, available=2, total=2), handover={}).rolled_out()


def test_an_old_replica_still_running_is_not_rolled_out():
    # With maxSurge the new ReplicaSet can be complete while the old one still has a pod in the Service.
    state = deployment_state(_deployment(replicas=2, updated=2, ready=3, available=3, total=3), handover={})
    assert state.current == 3 and not state.rolled_out()
    assert not DeploymentState(name="c", replicas=2, updated=2, ready=2, available=2, current=3).rolled_out()


def test_an_older_generation_or_unready_replica_is_not_rolled_out():
    assert not DeploymentState(name="c", generation=5, observed_generation=4, replicas=2, updated=2, ready=2,
                               available=2, current=2).rolled_out()
    assert not DeploymentState(name="c", replicas=2, updated=2, ready=1, available=1, current=2).rolled_out()
