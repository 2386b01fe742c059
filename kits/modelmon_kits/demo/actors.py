"""The parts of a cluster the emulator does not have, played in plain sight.

An emulated API server stores objects but runs no controllers and no kubelet. Here a
background thread does, for the demo's namespace, what they would do:
- the Deployment controller and kubelet: every Deployment's pods become ready
  (status.observedGeneration, replicas, updated/ready/available replicas);
- the Job controller and kubelet: a training Job's pod runs the user's training
  container, which "trains" and writes its result to its termination message, as
  docs/retraining.md asks of a real training container.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator

import kubernetes

from modelmon import timestamps

log = logging.getLogger(__name__)
RESULT = {
    "modelUri": "s3://models/credit-risk/v2",
    "version": "v2",
    "sha256": hashlib.sha256(b"credit-risk v2 weights").hexdigest(),
    "metrics": {"accuracy": 0.71, "f1": 0.69},
}


@contextlib.contextmanager
def playing_cluster(
    api_client: Callable[[], kubernetes.client.ApiClient], *, namespace: str, outcome: str
) -> Iterator[None]:
    stop = threading.Event()
    api = api_client()

    def loop() -> None:
        while not stop.wait(0.2):
            try:
                ready_deployments(api, namespace)
                finish_jobs(api, namespace)
            except kubernetes.client.ApiException as error:  # a race with the operator: next round
                log.debug("demo actors: %s", error.reason)

    thread = threading.Thread(target=loop, name="demo-cluster-actors", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def ready_deployments(api: kubernetes.client.ApiClient, namespace: str) -> None:
    apps = kubernetes.client.AppsV1Api(api)
    for deployment in apps.list_namespaced_deployment(namespace).items:
        replicas = deployment.spec.replicas if deployment.spec.replicas is not None else 1
        status = deployment.status
        if (
            status
            and status.observed_generation == deployment.metadata.generation
            and status.ready_replicas == replicas
            and status.updated_replicas == replicas
        ):
            continue
        apps.patch_namespaced_deployment_status(
            deployment.metadata.name,
            namespace,
            {
                "status": {
                    "observedGeneration": deployment.metadata.generation,
                    "replicas": replicas,
                    "updatedReplicas": replicas,
                    "readyReplicas": replicas,
                    "availableReplicas": replicas,
                }
            },
        )


def finish_jobs(api: kubernetes.client.ApiClient, namespace: str) -> None:
    batch, core = kubernetes.client.BatchV1Api(api), kubernetes.client.CoreV1Api(api)
    for job in batch.list_namespaced_job(namespace).items:
        if job.status and (job.status.succeeded or job.status.failed):
            continue
        if job.spec.suspend:
            continue
        labels = {
            "job-name": job.metadata.name,
            "batch.kubernetes.io/job-name": job.metadata.name,
            "controller-uid": job.metadata.uid,
        }
        container = job.spec.template.spec.containers[0].name
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{job.metadata.name}-x7k2p",
                "namespace": namespace,
                "labels": labels,
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": job.metadata.name,
                        "uid": job.metadata.uid,
                        "controller": True,
                    }
                ],
            },
            "spec": kubernetes.client.ApiClient().sanitize_for_serialization(job.spec.template.spec),
        }
        with contextlib.suppress(kubernetes.client.ApiException):
            core.create_namespaced_pod(namespace, pod)
        now = _now()
        core.patch_namespaced_pod_status(
            pod["metadata"]["name"],
            namespace,
            {
                "status": {
                    "phase": "Succeeded",
                    "startTime": now,
                    "containerStatuses": [
                        {
                            "name": container,
                            "ready": False,
                            "restartCount": 0,
                            "image": "trainer",
                            "imageID": "",
                            "state": {
                                "terminated": {
                                    "exitCode": 0,
                                    "reason": "Completed",
                                    "message": json.dumps(RESULT),
                                    "startedAt": now,
                                    "finishedAt": now,
                                }
                            },
                        }
                    ],
                }
            },
        )
        batch.patch_namespaced_job_status(
            job.metadata.name,
            namespace,
            {
                "status": {
                    "startTime": now,
                    "completionTime": now,
                    "succeeded": 1,
                    "active": 0,
                    "conditions": [
                        {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": now},
                        {"type": "Complete", "status": "True", "lastTransitionTime": now},
                    ],
                }
            },
        )


def _now() -> str:
    return timestamps.format_time(timestamps.now())
