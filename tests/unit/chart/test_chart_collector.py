"""The chart's collector (collector.enabled): a restricted, probed Deployment and a Service KServe's
logger can post to; nothing of it by default, and a store is required."""

from __future__ import annotations

import kubernetes_validate
import pytest

from chart_rendering import KUBERNETES_VERSION, RELEASE, render, select

S3 = {
    "collector": {
        "enabled": True,
        "store": {"uri": "s3://preds/kserve"},
        "replicas": 2,
        "serviceAccountName": "collector-s3",
        "extraEnv": [{"name": "AWS_ENDPOINT_URL_S3", "value": "http://minio.storage:9000"}],
    }
}


def collector(documents, kind):
    [found] = [d for d in select(documents, kind) if d["metadata"]["name"] == f"{RELEASE}-modelmon-collector"]
    return found


def test_off_by_default():
    documents = render({})
    assert not [d for d in documents if "collector" in d["metadata"]["name"]]


def test_a_restricted_probed_deployment_and_a_service():
    documents = render(S3)
    deployment, service = collector(documents, "Deployment"), collector(documents, "Service")
    for document in (deployment, service):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"] == ["collect", "--port=8080"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "collector-s3"
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["MODELMON_COLLECTOR_STORE"] == "s3://preds/kserve"
    assert env["MODELMON_COLLECTOR_WRITER"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["AWS_ENDPOINT_URL_S3"] == "http://minio.storage:9000"
    # The write-ahead log on an emptyDir: a container killed without warning replays it when it restarts.
    assert env["MODELMON_COLLECTOR_WAL_DIR"] == "/var/lib/modelmon-collector/wal"
    assert {"name": "wal", "mountPath": "/var/lib/modelmon-collector/wal"} in container["volumeMounts"]
    assert {"name": "wal", "emptyDir": {"sizeLimit": "512Mi"}} in pod["volumes"]
    assert deployment["spec"]["replicas"] == 2
    # The Service selects the collector's pods only, never the operator's, and keeps a sender on one replica.
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "collector"
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]
    operator = [d for d in select(documents, "Deployment") if d is not deployment][0]
    assert operator["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "operator"


def test_a_volume_claim_as_the_store_and_no_write_ahead_log():
    documents = render(
        {"collector": {"enabled": True, "store": {"persistentVolumeClaim": "predictions"}, "writeAheadLog": False}}
    )
    pod = collector(documents, "Deployment")["spec"]["template"]["spec"]
    assert {"name": "store", "persistentVolumeClaim": {"claimName": "predictions"}} in pod["volumes"]
    [container] = pod["containers"]
    assert {"name": "store", "mountPath": "/data"} in container["volumeMounts"]
    assert {"name": "MODELMON_COLLECTOR_STORE", "value": "/data"} in container["env"]
    assert "MODELMON_COLLECTOR_WAL_DIR" not in {e["name"] for e in container["env"]}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"collector": {"enabled": True}}, "collector.store: set uri"),
        ({"collector": {"enabled": True, "store": {"uri": "ftp://x"}}}, "uri"),
        ({"collector": {"enabled": True, "store": {"uri": "s3://b"}, "flushRows": 0}}, "flushRows"),
    ],
    ids=["no-store", "bad-uri", "bad-flush-rows"],
)
def test_a_collector_without_a_usable_store_is_refused(values, message):
    with pytest.raises(Exception, match=message):  # helm's error, carried by helm-python-sdk
        render(values)
