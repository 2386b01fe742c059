"""``s3://`` data sources against a real S3-compatible server (moto's) on loopback.

The objects are written with boto3 (the server's own client, test-only) and read back by the
product's path: pyarrow's S3 filesystem, through ``modelmon check`` (in-process and the
installed console script) and through the drift-check job's code against the real control
plane, as the job's own ServiceAccount, with the operator turning the result into health.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import threading
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import kubernetes
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import yaml
from moto.server import ThreadedMotoServer

from modelmon import cli
from modelmon.api.monitor import DataSource
from modelmon.data.errors import DataError
from modelmon.k8s import client as k8s_client
from modelmon import check_job
from modelmon.k8s import sources
from modelmon.manifests import checkjob

from support.monitors import condition, create_monitor, get_monitor, impersonating, monitor_body, ready
from support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"
BUCKET = "ml-data"
# Distinctive so a leak into any message, status or output is caught by a plain substring test.
SECRET = "wJalrXUtnFEMI-K7MDENG-s3-secret-never-shown"
KEY_ID = "AKIAMODELMONTEST0001"


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    store = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    store.create_bucket(Bucket=BUCKET)
    store.put_object(Bucket=BUCKET, Key="credit/reference.csv", Body=(DATA / "reference.csv").read_bytes())
    store.put_object(Bucket=BUCKET, Key="credit/current-stable.csv", Body=(DATA / "current-stable.csv").read_bytes())
    parquet = tmp_path_factory.mktemp("s3") / "drifted.parquet"
    pq.write_table(pa_csv.read_csv(DATA / "current-drifted.csv"), parquet)
    store.put_object(Bucket=BUCKET, Key="credit/2026/11/current-drifted.parquet", Body=parquet.read_bytes())
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def aws_env(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS variables a pod would carry, pointing at the loopback server."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return s3_server


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# --------------------------------------------------------------------------- modelmon check


def test_cli_reads_csv_and_parquet_from_s3_with_the_same_verdicts_as_local_files(aws_env, capsys, tmp_path,
                                                                                monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env)
    ref = f"s3://{BUCKET}/credit/reference.csv"
    code, out, err = run_cli(capsys, "check", "--reference", ref, "--current",
                             f"s3://{BUCKET}/credit/2026/11/current-drifted.parquet", "--format", "json")
    assert code == 3, err
    remote = json.loads(out)
    local_current = tmp_path / "current-drifted.parquet"
    pq.write_table(pa_csv.read_csv(DATA / "current-drifted.csv"), local_current)
    code, out, _ = run_cli(capsys, "check", "--reference", str(DATA / "reference.csv"), "--current",
                           str(local_current), "--format", "json")
    assert code == 3
    local = json.loads(out)
    assert remote["dataset"] == local["dataset"] and remote["features"] == local["features"]
    assert remote["dataset"]["drifted"] is True

    code, _, err = run_cli(capsys, "check", "--reference", ref, "--current", f"s3://{BUCKET}/credit/current-stable.csv")
    assert code == 0, err
    assert not list(tmp_path.glob("modelmon-*"))


def test_cli_names_the_missing_key_and_bucket(aws_env, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env)  # the generic variable works as well
    code, _, err = run_cli(capsys, "check", "--reference", f"s3://{BUCKET}/credit/nope.csv",
                           "--current", f"s3://{BUCKET}/credit/current-stable.csv")
    assert code == 2
    assert f"s3://{BUCKET}/credit/nope.csv" in err and "no object with key 'credit/nope.csv'" in err
    code, _, err = run_cli(capsys, "check", "--reference", "s3://no-such-bucket/reference.csv",
                           "--current", f"s3://{BUCKET}/credit/current-stable.csv")
    assert code == 2 and "bucket 'no-such-bucket' does not exist at endpoint http://127.0.0.1:" in err
    assert SECRET not in err and KEY_ID not in err


def test_installed_command_reads_s3(aws_env):
    env = {**os.environ, "AWS_ENDPOINT_URL_S3": aws_env}
    done = subprocess.run([str(Path(sys.executable).parent / "modelmon"), "check",
                           "--reference", f"s3://{BUCKET}/credit/reference.csv",
                           "--current", f"s3://{BUCKET}/credit/2026/11/current-drifted.parquet"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, done.stderr
    assert "drift detected" in done.stdout.lower() or "DRIFT" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def performance_scenario():
    """The performance end-to-end scenario's writer (tests/unit/performance), reused as is."""
    path = ROOT / "tests" / "unit" / "performance" / "test_end_to_end.py"
    spec = importlib.util.spec_from_file_location("performance_scenario", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reads_the_ground_truth_from_s3(aws_env, capsys, tmp_path, monkeypatch):
    scenario = performance_scenario()
    config_path = scenario.write_scenario(tmp_path, correct_per_50=scenario.DECAYED)
    store = boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
    store.put_object(Bucket=BUCKET, Key="labels/ground-truth.csv", Body=(tmp_path / "ground-truth.csv").read_bytes())
    code, out, err = run_cli(capsys, "check", "--reference", str(tmp_path / "reference.csv"), "--current",
                             str(tmp_path / "predictions.csv"), "--config", str(config_path), "--format", "json")
    assert code == 3, err
    local = json.loads(out)["performance"]
    config = yaml.safe_load(config_path.read_text())
    config["performance"]["groundTruth"]["uri"] = f"s3://{BUCKET}/labels/ground-truth.csv"
    config_path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env)
    code, out, err = run_cli(capsys, "check", "--reference", str(tmp_path / "reference.csv"), "--current",
                             str(tmp_path / "predictions.csv"), "--config", str(config_path), "--format", "json")
    assert code == 3, err
    remote = json.loads(out)["performance"]
    assert remote == local and remote["severity"] == "critical" and remote["labelled"] == scenario.LABELLED


class RefusingStore(http.server.BaseHTTPRequestHandler):
    """An S3 endpoint that refuses every request as AWS does for a missing s3:GetObject grant."""

    BODY = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
            b"<Message>Access Denied</Message><RequestId>1</RequestId></Error>")

    def refuse(self) -> None:
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.BODY)

    do_GET = do_HEAD = refuse

    def log_message(self, *args: object) -> None:
        pass


def test_access_denied_names_bucket_and_key(aws_env, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RefusingStore)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        source = DataSource.model_validate({"uri": f"s3://{BUCKET}/credit/reference.csv",
                                            "s3": {"endpoint": f"http://127.0.0.1:{server.server_port}"}})
        with pytest.raises(DataError) as raised:
            sources.fetch_source(source, namespace="unused", label="reference", scratch=str(tmp_path))
    finally:
        server.shutdown()
        server.server_close()
    assert str(raised.value) == (
        f"reference.uri: cannot read s3://{BUCKET}/credit/reference.csv: access denied to key 'credit/reference.csv' "
        f"in bucket '{BUCKET}': the check's credentials (its ServiceAccount's cloud identity or AWS_* environment) "
        f"need s3:GetObject on it")


# --------------------------------------------------------------------------- fetch_source


def test_fetch_source_copies_the_object_with_the_spec_endpoint(aws_env, tmp_path):
    source = DataSource.model_validate({"uri": f"s3://{BUCKET}/credit/2026/11/current-drifted.parquet",
                                        "s3": {"endpoint": aws_env, "region": "us-east-1"}})
    path = sources.fetch_source(source, namespace="unused", label="current", scratch=str(tmp_path))
    assert Path(path).parent == tmp_path and path.endswith(".parquet")
    assert pq.read_table(path).equals(pa_csv.read_csv(DATA / "current-drifted.csv"))


def test_unreachable_endpoint_is_named_without_credentials(aws_env, tmp_path):
    port = closed_port()
    source = DataSource.model_validate({"uri": f"s3://{BUCKET}/credit/reference.csv",
                                        "s3": {"endpoint": f"http://127.0.0.1:{port}"}})
    with pytest.raises(DataError) as raised:
        sources.fetch_source(source, namespace="unused", label="reference", scratch=str(tmp_path))
    message = str(raised.value)
    assert message.startswith(f"reference.uri: cannot read s3://{BUCKET}/credit/reference.csv: "
                              f"cannot reach endpoint http://127.0.0.1:{port}")
    assert SECRET not in message and KEY_ID not in message
    assert list(tmp_path.iterdir()) == []  # no half-written copy left behind


def test_environment_endpoint_with_credentials_shows_only_the_address(aws_env, tmp_path, monkeypatch):
    port = closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://user:{SECRET}@127.0.0.1:{port}")
    source = DataSource.model_validate({"uri": f"s3://{BUCKET}/credit/reference.csv"})
    with pytest.raises(DataError) as raised:
        sources.fetch_source(source, namespace="unused", label="reference", scratch=str(tmp_path))
    assert SECRET not in str(raised.value) and f"endpoint http://127.0.0.1:{port}" in str(raised.value)


# --------------------------------------------------------------------------- the drift-check job


@pytest.mark.cluster
def test_check_job_reads_s3_and_the_operator_judges_it(kube, operator, namespace, control_plane, aws_env):
    spec = {"reference": {"uri": f"s3://{BUCKET}/credit/reference.csv", "s3": {"endpoint": aws_env}},
            "current": {"uri": f"s3://{BUCKET}/credit/2026/11/current-drifted.parquet",
                        "s3": {"endpoint": aws_env, "region": "us-east-1"}}}
    create_monitor(kube, namespace, monitor_body("credit", **spec))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    with k8s_client.use(impersonating(control_plane, namespace, checkjob.account_name("credit"))):
        outcome = check_job.run_monitor_check(namespace=namespace, name="credit")
    assert outcome.report is not None and outcome.report.dataset.drifted is True
    body = wait_for(lambda: (b := get_monitor(kube, namespace, "credit"))["status"].get("health") == "Critical" and b,
                    what="health Critical from s3 data")
    assert condition(body, "Drifted")["status"] == "True"
    # Reading S3 needs no Kubernetes permission: the job's Role stays the monitor and its status.
    role = kubernetes.client.RbacAuthorizationV1Api(kube).read_namespaced_role(checkjob.account_name("credit"),
                                                                              namespace)
    assert {r.resources[0] for r in role.rules} == {"modelmonitors", "modelmonitors/status"}


@pytest.mark.cluster
def test_missing_s3_object_is_data_unavailable_naming_bucket_and_key(kube, operator, namespace, control_plane,
                                                                    aws_env):
    spec = {"reference": {"uri": f"s3://{BUCKET}/credit/reference.csv", "s3": {"endpoint": aws_env}},
            "current": {"uri": f"s3://{BUCKET}/credit/2026/12/current.csv", "s3": {"endpoint": aws_env}}}
    create_monitor(kube, namespace, monitor_body("credit", **spec))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    with k8s_client.use(impersonating(control_plane, namespace, checkjob.account_name("credit"))):
        outcome = check_job.run_monitor_check(namespace=namespace, name="credit")
    assert outcome.report is None
    assert outcome.last_check["error"] == (f"current.uri: cannot read s3://{BUCKET}/credit/2026/12/current.csv: "
                                           f"no object with key 'credit/2026/12/current.csv' in bucket '{BUCKET}'")
    body = wait_for(lambda: (b := get_monitor(kube, namespace, "credit")) and condition(b, "DataUnavailable") and b,
                    what="DataUnavailable")
    assert condition(body, "DataUnavailable")["status"] == "True" and body["status"]["health"] == "Unknown"
    assert SECRET not in json.dumps(body) and KEY_ID not in json.dumps(body)


@pytest.mark.cluster
def test_irsa_annotation_on_the_checker_account_survives_reconciling(kube, operator, namespace):
    """The docs tell EKS users to annotate NAME-checker: the operator must not strip it."""
    create_monitor(kube, namespace, monitor_body("credit", reference={"uri": f"s3://{BUCKET}/credit/reference.csv"}))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    core = kubernetes.client.CoreV1Api(kube)
    role_arn = {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/modelmon-reader"}
    core.patch_namespaced_service_account(checkjob.account_name("credit"), namespace,
                                          {"metadata": {"annotations": role_arn}})
    kubernetes.client.CustomObjectsApi(kube).patch_namespaced_custom_object(
        "modelmon.io", "v1alpha1", namespace, "modelmonitors", "credit", {"spec": {"schedule": "*/7 * * * *"}})
    batch = kubernetes.client.BatchV1Api(kube)
    wait_for(lambda: batch.read_namespaced_cron_job("credit-drift-check", namespace).spec.schedule == "*/7 * * * *",
             what="the CronJob reconciled")
    wait_for(lambda: ready(kube, namespace, "credit"), what="observedGeneration caught up")
    account = core.read_namespaced_service_account(checkjob.account_name("credit"), namespace)
    assert (account.metadata.annotations or {}).items() >= role_arn.items()
    assert account.metadata.labels["modelmon.io/monitor"] == "credit"
