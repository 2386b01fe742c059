"""``kubectl modelmon`` against the real control plane, run as a person runs it: the installed
``kubectl-modelmon`` script found by kubectl on PATH, in a subprocess, reading a kubeconfig.

What it must do: list and show monitors and RetrainingJobs (table, wide, json, yaml, watch), take
the namespace from the kubeconfig context, set the steering annotations only when they would act,
and turn every failure (no kubeconfig, unreachable server, not found, forbidden) into one line with a
fix and its own exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes
import pytest
import yaml

from modelmon.cli import exit_codes
from support.crds import install_generated_crds
from support.monitors import GROUP, VERSION, drifted_check, monitor_body
from support.namespaces import fresh_namespace
from support.ports import free_port

NAMESPACE_PREFIX = "plugin"
ROOT = Path(__file__).resolve().parents[2]
PLUGIN = shutil.which("kubectl-modelmon") or str(Path(sys.executable).parent / "kubectl-modelmon")


@pytest.fixture(scope="module")
def admin(control_plane):
    install_generated_crds(control_plane.kubeconfig)
    return kubernetes.config.new_client_from_config(config_file=str(control_plane.kubeconfig))


@pytest.fixture
def namespace(admin):
    with fresh_namespace(admin, prefix=NAMESPACE_PREFIX) as name:
        yield name


def plugin(*args, kubeconfig, via_kubectl=False, timeout=60):
    """Run the plugin; returns (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    env["PATH"] = f"{Path(PLUGIN).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(Path(kubeconfig).parent)  # no ~/.kube/config of the machine's user
    # This tree's code, whichever checkout the installed script was installed from.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "operator"), env.get("PYTHONPATH", "")])
    if kubeconfig:
        env["KUBECONFIG"] = str(kubeconfig)
    argv = (["kubectl", "modelmon"] if via_kubectl else [PLUGIN]) + list(args)
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    return done.returncode, done.stdout, done.stderr


def one_line_error(err):
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def objects(api):
    return kubernetes.client.CustomObjectsApi(api)


def context_kubeconfig(control_plane, tmp_path, namespace):
    """A copy of the admin kubeconfig whose current context names ``namespace``."""
    config = yaml.safe_load(Path(control_plane.kubeconfig).read_text())
    for context in config["contexts"]:
        context["context"]["namespace"] = namespace
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


ALERT = {
    "id": "drift-income",
    "type": "drift",
    "subject": "income",
    "severity": "critical",
    "state": "firing",
    "message": "income drifted",
    "firstSeen": "2026-12-01T10:00:00Z",
    "lastSeen": "2026-12-01T11:00:00Z",
    "count": 2,
}


def create_monitor(admin, namespace, name="credit"):
    objects(admin).create_namespaced_custom_object(GROUP, VERSION, namespace, "modelmonitors", monitor_body(name))
    objects(admin).patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        "modelmonitors",
        name,
        {
            "status": {
                "health": "Critical",
                "driftedFeatures": 2,
                "alerts": [ALERT],
                "lastCheck": drifted_check("2026-12-01T11:00:00Z"),
            }
        },
    )


def create_retraining_job(admin, namespace, *, name="credit-retrain", status):
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "RetrainingJob",
        "metadata": {"name": name},
        "spec": {
            "monitorRef": {"name": "credit"},
            "reason": "manual",
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "train", "image": "registry.invalid/train:1"}]}}}
            },
            "rollout": {
                "targetRef": {"name": "credit"},
                "container": "server",
                "handover": {"env": {"uri": "MODEL_URI", "version": "MODEL_VERSION"}},
                "strategy": {"canary": {"steps": [{"setWeight": 34}, {"pause": {}}]}},
            },
        },
    }
    objects(admin).create_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", body)
    objects(admin).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, "retrainingjobs", name, {"status": status}
    )


def annotations(admin, namespace, plural, name):
    body = objects(admin).get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)
    return body["metadata"].get("annotations") or {}


T0 = "2026-12-01T11:00:00Z"
PAUSED = {
    "phase": "RollingOut",
    "model": {"version": "2", "uri": "s3://models/credit/2", "sha256": "ab" * 32},
    "rollout": {
        "strategy": "canary",
        "phase": "Paused",
        "step": 1,
        "stage": "pause",
        "weight": 34,
        "startedAt": T0,
        "stepStartedAt": T0,
        "progressAt": T0,
        "effectiveWeight": 33.3,
        "pausedReason": "Paused",
        "message": "paused until promoted",
    },
}


def test_get_and_list_in_the_contexts_namespace(control_plane, admin, namespace, tmp_path):
    create_monitor(admin, namespace)
    create_retraining_job(admin, namespace, status=PAUSED)
    kubeconfig = context_kubeconfig(control_plane, tmp_path, namespace)

    code, out, err = plugin("get", "monitors", kubeconfig=kubeconfig, via_kubectl=True)
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["NAME", "HEALTH", "DRIFTED", "LAST", "CHECK", "MODEL", "AGE"]
    assert row.split()[:5] == ["credit", "Critical", "2", row.split()[3], "credit"]

    code, out, err = plugin("list", "rtj", "-o", "wide", kubeconfig=kubeconfig)
    assert code == 0, err
    header, row = out.splitlines()
    assert "STRATEGY" in header and "WEIGHT" in header
    assert row.split()[:3] == ["credit-retrain", "RollingOut", "2"] and "33.3%" in row and "Paused" in row

    code, out, _ = plugin("get", "mm", "credit", "-o", "json", kubeconfig=kubeconfig)
    assert code == 0 and json.loads(out)["status"]["health"] == "Critical"
    code, out, _ = plugin("list", "mm", "-o", "yaml", kubeconfig=kubeconfig)
    listed = yaml.safe_load(out)
    assert code == 0 and listed["kind"] == "List" and [i["metadata"]["name"] for i in listed["items"]] == ["credit"]

    # -A: every namespace, with a NAMESPACE column.
    code, out, _ = plugin("get", "mm", "-A", kubeconfig=kubeconfig)
    assert code == 0 and f"{namespace} " in out and out.startswith("NAMESPACE")
    # The flag wins over the context: the default namespace has no monitors.
    code, out, _ = plugin("get", "mm", "-n", "default", kubeconfig=kubeconfig)
    assert code == 0 and out.strip() == "No modelmonitors found in namespace default."


def test_watch_prints_each_change_until_the_timeout(control_plane, admin, namespace):
    create_monitor(admin, namespace)
    env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
    env["KUBECONFIG"] = str(control_plane.kubeconfig)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "operator"), env.get("PYTHONPATH", "")])
    watching = subprocess.Popen(
        [PLUGIN, "get", "mm", "-w", "-n", namespace, "--timeout", "8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = watching.stdout.readline()
        assert first.startswith("NAME"), first
        assert watching.stdout.readline().split()[:2] == ["credit", "Critical"]
        objects(admin).patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            namespace,
            "modelmonitors",
            "credit",
            {"status": {"health": "Healthy", "driftedFeatures": 0}},
        )
        changed = watching.stdout.readline()
        assert changed.split()[:3] == ["credit", "Healthy", "0"], changed
        assert watching.wait(timeout=30) == 0, watching.stderr.read()
    finally:
        watching.kill()
        watching.wait()


def test_steering_checks_the_phase_first(control_plane, admin, namespace):
    kubeconfig = control_plane.kubeconfig
    create_retraining_job(admin, namespace, status=PAUSED)
    create_retraining_job(admin, namespace, name="done", status={"phase": "Succeeded"})

    code, out, err = plugin("promote", "credit-retrain", "-n", namespace, kubeconfig=kubeconfig, via_kubectl=True)
    assert code == 0, err
    assert annotations(admin, namespace, "retrainingjobs", "credit-retrain")["modelmon.io/promote"] == "true"

    for verb in ("promote", "abort", "retry"):
        code, out, err = plugin(verb, "done", "-n", namespace, kubeconfig=kubeconfig)
        assert code == exit_codes.REFUSED, (verb, out, err)
        assert f"RetrainingJob done is Succeeded: {verb}" in one_line_error(err) and "nothing changed" in err
    # retry is only for an inconclusive analysis or a finished, failed rollout: a plain pause is refused.
    code, _, err = plugin("retry", "credit-retrain", "-n", namespace, kubeconfig=kubeconfig)
    assert code == exit_codes.REFUSED and "rollout Paused" in one_line_error(err)
    assert not annotations(admin, namespace, "retrainingjobs", "done")
    # The umbrella command refuses the same way.
    code, _, err = plugin("rollout", "abort", "done", "-n", namespace, kubeconfig=kubeconfig)
    assert code == exit_codes.REFUSED and "abort acts only on a rollout in progress" in one_line_error(err)


def test_check_now_ack_and_undo_annotate_the_monitor(control_plane, admin, namespace):
    kubeconfig = control_plane.kubeconfig
    create_monitor(admin, namespace)
    code, _, err = plugin("check-now", "credit", "-n", namespace, kubeconfig=kubeconfig)
    assert code == 0, err
    assert annotations(admin, namespace, "modelmonitors", "credit")["modelmon.io/check-now"].isdigit()

    code, _, err = plugin("ack", "credit", "drift-income", "-n", namespace, kubeconfig=kubeconfig)
    assert code == 0, err
    assert annotations(admin, namespace, "modelmonitors", "credit")["modelmon.io/ack"] == "drift-income"
    code, _, err = plugin("ack", "credit", "drift-nope", "-n", namespace, kubeconfig=kubeconfig)
    assert code == exit_codes.REFUSED and "no firing alert drift-nope (firing: drift-income)" in one_line_error(err)

    # Undo: refused while nothing was promoted (the operator's own rule, policies/undo.py) ...
    code, _, err = plugin("undo", "credit", "-n", namespace, kubeconfig=kubeconfig)
    assert code == exit_codes.REFUSED and "no model was promoted here" in one_line_error(err)
    assert "modelmon.io/undo" not in annotations(admin, namespace, "modelmonitors", "credit")
    # ... and set once a promoted model has a trained one before it.
    trained = {"version": "2", "uri": "s3://models/credit/2", "sha256": "ab" * 32, "retrainingJob": "credit-rt-1"}
    objects(admin).patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        "modelmonitors",
        "credit",
        {
            "status": {
                "activeModel": {**trained, "version": "3", "uri": "s3://models/credit/3"},
                "previousModels": [trained],
            }
        },
    )
    code, _, err = plugin("undo", "credit", "-n", namespace, kubeconfig=kubeconfig)
    assert code == 0, err
    assert "modelmon.io/undo" in annotations(admin, namespace, "modelmonitors", "credit")

    # History: the models it judged and its RetrainingJobs, from the cluster.
    create_retraining_job(admin, namespace, name="credit-rt-1", status={"phase": "Succeeded"})
    code, out, err = plugin("history", "credit", "-n", namespace, kubeconfig=kubeconfig, via_kubectl=True)
    assert code == 0, err
    assert [line.split()[:2] for line in out.splitlines() if line.startswith(("active", "previous"))] == [
        ["active", "3"],
        ["previous", "2"],
    ]
    assert any(line.split()[:3] == ["credit-rt-1", "manual", "Succeeded"] for line in out.splitlines()), out


def test_failures_are_one_line_with_their_own_exit_code(control_plane, admin, namespace, tmp_path):
    # No kubeconfig at all (and not in a pod).
    code, out, err = plugin("get", "mm", kubeconfig=tmp_path / "absent")
    assert code == exit_codes.NO_CLUSTER and "pass --kubeconfig FILE or set KUBECONFIG" in one_line_error(err)
    code, _, err = plugin("get", "mm", "--context", "nope", kubeconfig=control_plane.kubeconfig)
    assert code == exit_codes.NO_CLUSTER and "kubectl config get-contexts" in one_line_error(err)

    # A server that is not there.
    config = yaml.safe_load(Path(control_plane.kubeconfig).read_text())
    port = free_port()
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    gone = tmp_path / "gone.kubeconfig"
    gone.write_text(yaml.safe_dump(config))
    code, _, err = plugin("get", "mm", "--timeout", "5", kubeconfig=gone)
    assert code == exit_codes.UNREACHABLE, err
    assert f"cannot reach the API server https://127.0.0.1:{port}" in one_line_error(err) and "refused" in err

    # Not found: the object, and the kind (in the umbrella command too).
    code, _, err = plugin("get", "mm", "nope", "-n", namespace, kubeconfig=control_plane.kubeconfig)
    assert code == exit_codes.NOT_FOUND and f"ModelMonitor {namespace}/nope not found" in one_line_error(err)
    code, _, err = plugin("rollout", "status", "nope", "-n", namespace, kubeconfig=control_plane.kubeconfig)
    assert code == exit_codes.NOT_FOUND, err

    # Forbidden: a ServiceAccount that may read RetrainingJobs but not annotate them.
    core = kubernetes.client.CoreV1Api(admin)
    rbac = kubernetes.client.RbacAuthorizationV1Api(admin)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "viewer"}})
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "viewer"},
            "rules": [{"apiGroups": [GROUP], "resources": ["retrainingjobs"], "verbs": ["get", "list"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "viewer"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "viewer"},
            "subjects": [{"kind": "ServiceAccount", "name": "viewer", "namespace": namespace}],
        },
    )
    token = core.create_namespaced_service_account_token("viewer", namespace, {"spec": {}}).status.token
    config = yaml.safe_load(Path(control_plane.kubeconfig).read_text())
    config["users"][0]["user"] = {"token": token}
    viewer = tmp_path / "viewer.kubeconfig"
    viewer.write_text(yaml.safe_dump(config))
    create_retraining_job(admin, namespace, status=PAUSED)
    code, _, err = plugin("get", "rtj", "-n", namespace, kubeconfig=viewer)
    assert code == 0, err
    code, _, err = plugin("abort", "credit-retrain", "-n", namespace, kubeconfig=viewer)
    assert code == exit_codes.FORBIDDEN, err
    assert "forbidden" in one_line_error(err) and "ask a cluster admin for RBAC on retrainingjobs.modelmon.io" in err
    code, _, err = plugin("get", "mm", "-n", namespace, kubeconfig=viewer)
    assert code == exit_codes.FORBIDDEN and "cannot list resource" in one_line_error(err)


def test_version(tmp_path):
    from modelmon.cli import version

    code, out, _ = plugin("--version", kubeconfig=tmp_path / "absent")
    assert code == 0 and out.strip() == f"kubectl modelmon {version()}"
