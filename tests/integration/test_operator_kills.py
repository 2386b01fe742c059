"""The operator SIGKILLed at every step of a RetrainingJob (#20): training, validation, each canary
step, each analysis measurement against a real Prometheus, promotion, cleanup and the monitor's
promotion; restarted at once each time, as a Deployment would. The outcome must be exactly that
of an uninterrupted run: one training Job ever created, one canary ever created, the target on
the new model, every measurement recorded once, Events at most once (docs/troubleshooting.md:
status is the record, Events are at most once), the monitor's active model changed once.

The operator runs as its own process (``modelmon run``, the container's command), so a kill is
a real SIGKILL with no goodbye. The kill points are deterministic, not timed: an admission
policy on the API server (a ValidatingAdmissionPolicy in CEL, the test's own, never the
chart's) holds the RetrainingJob at the step named by its ``fault.modelmon.io/hold`` label,
refusing any status write that would leave it. The test waits until status shows the step,
kills the operator, moves the label to the next step and starts a new operator. So each kill
falls after the step was persisted and before the next one was: where the Events and actions
of the step may or may not have been done, and -- for the training Job and the measurements
-- after the operator acted and before it recorded it (the Job created with status still
Pending; a measurement taken and not yet written).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import urllib3

from support.clients import apps, core, objects
from support.monitors import create_monitor, deployment_monitor_body
from support.ports import free_port
from support.retraining import retraining_job_body
from support.waiting import wait_for

GROUP, VERSION = "modelmon.io", "v1alpha1"
HOLD = "fault.modelmon.io/hold"
NONE = "''"  # CEL's empty string
KWOK_HOLD = "kwok.modelmon.io/hold"
MESSAGE = "kwok.modelmon.io/termination-message"
IMAGE = "registry.invalid/modelmon/credit-server:1"  # never pulled: kwok plays the kubelet
OLD = {"MODEL_URI": "s3://models/credit/1/model.onnx", "MODEL_VERSION": "1"}
TRAINED = {
    "modelUri": "s3://models/credit/2/model.onnx",
    "version": "2",
    "sha256": "cd" * 32,
    "metrics": {"accuracy": 0.92},
}

NAMESPACE_PREFIX = "kill"
GENERATED_CRDS = True  # both kinds, as the models generate them (conftest.kube)
pytestmark = pytest.mark.cluster


# --- CEL: where a RetrainingJob (or its monitor) is ------------------------------------------------


def _present(obj: str, path: str) -> str:
    """CEL: ``obj.status.<path>`` and every part before it exist."""
    parts = ["status", *path.split(".")]
    return " && ".join(f"has({obj}.{'.'.join(parts[: i + 1])})" for i in range(len(parts)))


def _field(obj: str, path: str, default: str) -> str:
    """CEL: ``obj.status.<path>``, or ``default`` when any part is absent."""
    return f"({_present(obj, path)} ? {obj}.status.{path} : {default})"


def _last_run_measurements(obj: str) -> str:
    """CEL: how many measurements the newest analysis run holds (-1: no run)."""
    runs = f"{obj}.status.rollout.analysisRuns"
    last = f"{runs}[size({runs}) - 1]"
    return (
        f"({_present(obj, 'rollout.analysisRuns')} && size({runs}) > 0 ? "
        f"(has({last}.measurements) ? size({last}.measurements) : 0) : -1)"
    )


def _phase(obj: str) -> str:
    return _field(obj, "phase", "''")


def _rollout(obj: str, key: str, default: str) -> str:
    return _field(obj, f"rollout.{key}", default)


def _at_step(obj: str, step: int) -> str:
    return f"{_rollout(obj, 'phase', NONE)} in ['Progressing', 'Paused'] && {_rollout(obj, 'step', '-1')} == {step}"


def _analysis_step(measured: int) -> tuple[str, str, Callable[[str], str]]:
    """The kill point in the analysis step (canary step 3) with ``measured`` of 3 measurements recorded."""
    what = f"measurement {measured} of 3 recorded" if measured else "analysis started, no measurement recorded"
    return (
        f"analysis-{measured}",
        f"canary step 3: {what}",
        lambda o: f"{_at_step(o, 2)} && {_last_run_measurements(o)} == {measured}",
    )


#: Kill points of the good run, in order: (hold label, what it means, the CEL predicate "at it").
GOOD_STEPS: list[tuple[str, str, Callable[[str], str]]] = [
    ("pending", "Pending: the training Job created, status not yet Training", lambda o: f"{_phase(o)} == 'Pending'"),
    ("training", "Training: the training pod running", lambda o: f"{_phase(o)} == 'Training'"),
    ("validating", "training succeeded, its result read (Validating)", lambda o: f"{_phase(o)} == 'Validating'"),
    (
        "validated",
        "validated: RollingOut, the rollout not yet started",
        lambda o: f"{_phase(o)} == 'RollingOut' && !has({o}.status.rollout)",
    ),
    ("weight-25", "canary step 1: setWeight 25", lambda o: _at_step(o, 0)),
    ("pause-1", "canary step 2: pause 2s", lambda o: _at_step(o, 1)),
    *(_analysis_step(measured) for measured in range(3)),
    ("weight-50", "canary step 4: setWeight 50 (the analysis successful)", lambda o: _at_step(o, 3)),
    ("pause-2", "canary step 5: pause 2s", lambda o: _at_step(o, 4)),
    (
        "promoting",
        "promotion: the target's hand-over patched",
        lambda o: f"{_rollout(o, 'phase', NONE)} == 'Promoting'",
    ),
    ("finalizing", "cleanup: the canary removed", lambda o: f"{_rollout(o, 'phase', NONE)} == 'Finalizing'"),
]
#: The Events of the RetrainingJob in a run without kills, by reason: each canary weight and pause
#: is told twice (two of each in the steps), and Promoting twice.
UNINTERRUPTED_EVENTS = collections.Counter(
    {
        **dict.fromkeys(("Queued", "JobCreated", "TrainingFinished", "RolloutRequested", "RolloutStarted"), 1),
        **dict.fromkeys(("AnalysisStarted", "AnalysisSuccessful", "RolledOut"), 1),
        **dict.fromkeys(("WeightSet", "WeightReached", "Paused", "PauseEnded", "Promoting"), 2),
    }
)
ROLLED_BACK_EVENTS = collections.Counter(
    RolloutStarted=1, WeightSet=1, WeightReached=1, AnalysisStarted=1, AnalysisFailed=1, RolledBack=1
)
#: The monitor held before its promotion (status.activeModel not yet the new model).
PROMOTION = (
    "promotion",
    "Succeeded: the monitor's active model not yet changed",
    lambda o: f"{_field(o, 'activeModel.version', NONE)} != '2'",
)
BAD_STEPS: list[tuple[str, str, Callable[[str], str]]] = [
    (
        "bad-analysis",
        "analysis started; the failing measurement taken, not yet recorded",
        lambda o: f"{_at_step(o, 1)} && {_last_run_measurements(o)} == 0",
    ),
    (
        "rolling-back",
        "the failing measurement recorded: RollingBack",
        lambda o: f"{_rollout(o, 'phase', NONE)} == 'RollingBack'",
    ),
]


def hold_policy(name: str, namespace: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A policy refusing status writes that leave the step named by the object's hold label."""
    validations = [
        {
            "expression": f"object.metadata.labels['{HOLD}'] != '{label}' || !({pred('oldObject')}) || "
            f"({pred('object')})",
            "message": f"held at {label} by the fault test",
            "reason": "Forbidden",
        }
        for label, _, pred in [*GOOD_STEPS, PROMOTION, *BAD_STEPS]
    ]
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [GROUP],
                        "apiVersions": [VERSION],
                        "operations": ["UPDATE"],
                        "resources": ["retrainingjobs/status", "modelmonitors/status"],
                    }
                ]
            },
            "matchConditions": [
                {"name": "held", "expression": f"has(object.metadata.labels) && '{HOLD}' in object.metadata.labels"}
            ],
            "validations": validations,
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}},
        },
    }
    return policy, binding


# --- the cluster -------------------------------------------------------------------------------


def rtj(kube, namespace):
    return objects(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", "credit-retrain")


def monitor(kube, namespace):
    return objects(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, "modelmonitors", "credit")


def hold(kube, namespace, plural: str, name: str, label: str | None) -> None:
    objects(kube).patch_namespaced_custom_object(
        GROUP, VERSION, namespace, plural, name, {"metadata": {"labels": {HOLD: label}}}
    )


def env_of(deployment) -> dict[str, str]:
    return {e.name: e.value for e in deployment.spec.template.spec.containers[0].env or []}


def events_of(kube, namespace, name) -> list[tuple[str, str]]:
    items = core(kube).list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}").items
    return [(e.reason, e.message) for e in items]


@contextlib.contextmanager
def held_at(kube, namespace: str) -> Iterator[None]:
    """The hold policy for ``namespace``, proven in force before the test relies on it."""
    admission = kubernetes.client.AdmissionregistrationV1Api(kube)
    name = f"fault-hold-{namespace}"
    policy, binding = hold_policy(name, namespace)
    admission.create_validating_admission_policy(policy)
    admission.create_validating_admission_policy_binding(binding)
    try:
        # A probe held at Pending: the API server watches policies, so wait until it refuses.
        objects(kube).create_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            "retrainingjobs",
            retraining_job_body(
                "probe", {"containers": [{"name": "t", "image": IMAGE}]}, monitor="none", labels={HOLD: "pending"}
            ),
        )
        write = objects(kube).patch_namespaced_custom_object_status
        write(GROUP, VERSION, namespace, "retrainingjobs", "probe", {"status": {"phase": "Pending"}})

        def refused() -> bool:
            try:
                write(
                    GROUP,
                    VERSION,
                    namespace,
                    "retrainingjobs",
                    "probe",
                    {"status": {"phase": "Training"}},
                    dry_run="All",
                )
            except kubernetes.client.ApiException as error:
                return error.status in (403, 422) and "held at pending" in (error.body or "")
            return False

        wait_for(refused, what="the hold policy in force", timeout=30)
        objects(kube).delete_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", "probe")
        yield
    finally:
        admission.delete_validating_admission_policy_binding(name)
        admission.delete_validating_admission_policy(name)


class Creations:
    """Every object of one kind created in a namespace, by uid, from a watch (so one deleted and
    created again between two looks still counts twice)."""

    def __init__(self, kube, namespace: str, list_call: Callable[..., Any]) -> None:
        self.uids: dict[str, set[str]] = {}
        self._stop = threading.Event()
        self._list, self._namespace = list_call, namespace
        listed = list_call(namespace)
        for item in listed.items:
            self.uids.setdefault(item.metadata.name, set()).add(item.metadata.uid)
        self._version = listed.metadata.resource_version
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            watch = kubernetes.watch.Watch()
            try:
                for event in watch.stream(
                    self._list, self._namespace, resource_version=self._version, timeout_seconds=5
                ):
                    item = event["object"]
                    self._version = item.metadata.resource_version
                    self.uids.setdefault(item.metadata.name, set()).add(item.metadata.uid)
                    if self._stop.is_set():
                        break
            except urllib3.exceptions.HTTPError:
                time.sleep(0.5)  # the API server went (the session's end): stop is near
            except kubernetes.client.ApiException as error:
                if error.status == 410:  # expired: list again (nothing is missed: uids are kept)
                    listed = self._list(self._namespace)
                    for item in listed.items:
                        self.uids.setdefault(item.metadata.name, set()).add(item.metadata.uid)
                    self._version = listed.metadata.resource_version
            finally:
                watch.stop()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


#: The console script's ``main``, with the heavy imports done before the start is released: a
#: replacement whose image is already on the node. The operator's own code path is unchanged; a
#: restart costs kopf's start, not two seconds of imports on a loaded machine.
PRELOADED = (
    "import sys, kopf, kubernetes, modelmon.cli, modelmon.controller.handlers, modelmon.metrics\n"
    "sys.stdin.readline()\n"
    "sys.exit(modelmon.cli.main(sys.argv[1:]))\n"
)


class Operator:
    """``modelmon run`` as a process, SIGKILLed and started again at once, as a Deployment would."""

    def __init__(self, kubeconfig: Path, namespace: str, workdir: Path) -> None:
        self.argv = [
            sys.executable,
            "-c",
            PRELOADED,
            "run",
            f"--namespace={namespace}",
            "--metrics-port=0",
            "--log-format=json",
        ]
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MODELMON_", "KUBECONFIG"))},
            "KUBECONFIG": str(kubeconfig),
            "MODELMON_CHECK_IMAGE": "modelmon:test",
            "MODELMON_RETRAINING_POLL_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",  # a SIGKILL must not take the last lines of the log with it
        }
        self.workdir, self.starts = workdir, 0
        self.process: subprocess.Popen[bytes] | None = None
        self.standby = self._spawn(1)
        #: (hold label, status at the kill, how often the killed operator was refused leaving it)
        self.kills: list[tuple[str, dict[str, Any], int]] = []

    def _spawn(self, number: int) -> subprocess.Popen[bytes]:
        # kopf's liveness endpoint on a port of its own: the default 0.0.0.0:8080 may be taken (by
        # the e2e tier's operator pod on the real node, which runs beside this tier in CI)
        argv = [*self.argv, f"--liveness=http://127.0.0.1:{free_port()}/healthz"]
        with (self.workdir / f"operator-{number}.log").open("w") as log:
            return subprocess.Popen(argv, env=self.env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        self.starts += 1
        self.process, self.standby = self.standby, self._spawn(self.starts + 1)
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        self.process.stdin.close()

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, self.tail()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        for process in (self.process, self.standby):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)

    def refusals(self, label: str) -> int:
        """How often this run of the operator tried to leave the held step and was refused."""
        path = self.workdir / f"operator-{self.starts}.log"
        if not path.exists():
            return 0
        return sum(f"held at {label} by the fault test" in line for line in path.read_text().splitlines())

    def tail(self) -> str:
        path = self.workdir / f"operator-{self.starts}.log"
        return path.read_text()[-4000:] if path.exists() else ""


@pytest.fixture
def operator_process(control_plane, namespace, tmp_path) -> Iterator[Operator]:
    process = Operator(control_plane.kubeconfig, namespace, tmp_path)
    try:
        yield process
    except BaseException:
        print(process.tail())
        raise
    finally:
        process.stop()


def create_target(kube, namespace, *, replicas=2):
    labels = {"app": "credit"}
    env = [{"name": k, "value": v} for k, v in OLD.items()]
    apps(kube).create_namespaced_deployment(
        namespace,
        {
            "metadata": {"name": "credit"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "server", "image": IMAGE, "env": env}]},
                },
            },
        },
    )
    wait_for(
        lambda: (apps(kube).read_namespaced_deployment("credit", namespace).status.ready_replicas or 0) == replicas,
        what="target Deployment ready",
        timeout=90,
    )
    return apps(kube).read_namespaced_deployment("credit", namespace)


def create_held_monitor(kube, namespace):
    """The monitor, held before its promotion (PROMOTION)."""
    body = deployment_monitor_body(
        "credit", version="1", reference={"uri": "file:///data/ref.csv"}, current={"uri": "file:///data/cur.csv"}
    )
    body["metadata"]["labels"] = {HOLD: PROMOTION[0]}
    create_monitor(kube, namespace, body)


def rollout_spec(prometheus, query: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "targetRef": {"name": "credit"},
        "container": "server",
        "handover": {"env": {"uri": "MODEL_URI", "version": "MODEL_VERSION"}},
        "strategy": {"canary": {"steps": steps}},
        "analysisTemplates": [
            {
                "name": "quality",
                "interval": "1s",
                "count": 3,
                "metrics": [
                    {"name": "accuracy", "min": 0.9, "prometheus": {"address": prometheus.address, "query": query}}
                ],
            }
        ],
        "progressDeadline": "2m",
    }


def kill_at(
    kube,
    namespace,
    operator: Operator,
    steps,
    *,
    plural="retrainingjobs",
    name="credit-retrain",
    ready: Callable[[dict[str, Any]], bool] = lambda body: True,
    after: Callable[[], None] = lambda: None,
    next_label: str | None = None,
) -> None:
    """Wait until status is at the held step (and ``ready``), SIGKILL, hold at the next, restart."""
    label, what, _ = steps

    def there():
        if operator.process is None or operator.process.poll() is not None:
            return "exited"  # (wait_for takes an exception for "not yet")
        body = objects(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)
        return (
            body
            if (body["metadata"].get("labels") or {}).get(HOLD) == label and _matches(body, label) and ready(body)
            else None
        )

    try:
        body = wait_for(there, what=f"status at {what}", timeout=60, interval=0.05)
        assert body != "exited", f"the operator exited before {what}"
    except AssertionError as error:
        found = objects(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)
        raise AssertionError(
            f"{error}\nlabels: {found['metadata'].get('labels')}\nstatus: "
            f"{json.dumps(found.get('status'), indent=1)}\noperator log:\n{operator.tail()}"
        ) from None
    operator.kill()
    operator.kills.append((label, body.get("status") or {}, operator.refusals(label)))
    hold(kube, namespace, plural, name, next_label)
    after()
    operator.start()


def _matches(body: dict[str, Any], label: str) -> bool:
    """The predicates of the policy, in Python, for the test's wait (the same conditions)."""
    status = body.get("status") or {}
    rollout = status.get("rollout") or {}
    runs = rollout.get("analysisRuns") or []
    measured = len(runs[-1].get("measurements") or []) if runs else -1
    at = {step: rollout.get("phase") in ("Progressing", "Paused") and rollout.get("step") == step for step in range(6)}
    phase = status.get("phase")
    return {
        "pending": phase == "Pending",
        "training": phase == "Training",
        "validating": phase == "Validating",
        "validated": phase == "RollingOut" and not rollout,
        "weight-25": at[0],
        "pause-1": at[1],
        "analysis-0": at[2] and measured == 0,
        "analysis-1": at[2] and measured == 1,
        "analysis-2": at[2] and measured == 2,
        "weight-50": at[3],
        "pause-2": at[4],
        "promoting": rollout.get("phase") == "Promoting",
        "finalizing": rollout.get("phase") == "Finalizing",
        "promotion": (status.get("activeModel") or {}).get("version") != "2",
        "bad-analysis": at[1] and measured == 0,
        "rolling-back": rollout.get("phase") == "RollingBack",
    }[label]


def report(operator: Operator, started: float) -> None:
    """Each kill point and what the killed operator had tried (seen with ``-s``)."""
    print(f"\nkilled {len(operator.kills)} times; the run took {time.monotonic() - started:.1f} s")
    for label, status, refused in operator.kills:
        rollout = status.get("rollout") or {}
        where = f"rollout {rollout.get('phase')} step {rollout.get('step')}" if rollout else "no rollout yet"
        print(
            f"  killed at {label}: phase {status.get('phase')}, {where}; "
            f"refused leaving it {refused} time(s) before the kill"
        )


def serve_accuracy(exporter, prometheus, track: str, value: float) -> str:
    """The exporter's accuracy of ``track`` set to ``value`` and seen by Prometheus: the query."""
    exporter.accuracy.labels(track).set(value)
    query = f'model_accuracy{{track="{track}"}}'
    prometheus.wait_for_value(query, value)
    return query


def create_retraining_job(kube, namespace, *, hold: str, **body: Any) -> None:
    """The RetrainingJob ``credit-retrain`` of the monitor ``credit``, held at ``hold``."""
    trainer = {"containers": [{"name": "train", "image": "registry.invalid/train:1"}]}
    objects(kube).create_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        "retrainingjobs",
        retraining_job_body("credit-retrain", trainer, labels={HOLD: hold}, **body),
    )


def wait_for_phase(kube, namespace, phase: str) -> None:
    wait_for(
        lambda: (rtj(kube, namespace).get("status") or {}).get("phase") == phase,
        what=phase,
        timeout=60,
        interval=0.05,
    )


def training_pod(kube, namespace):
    pods = core(kube).list_namespaced_pod(namespace, label_selector="job-name=credit-retrain-train").items
    return pods[0] if pods else None


def release_training(kube, namespace) -> None:
    pod = wait_for(lambda: training_pod(kube, namespace), what="the training pod")
    core(kube).patch_namespaced_pod(pod.metadata.name, namespace, {"metadata": {"annotations": {KWOK_HOLD: None}}})


def test_killed_at_every_step_the_retraining_job_ends_exactly_as_an_uninterrupted_one(
    kube, namespace, prometheus, exporter, operator_process
):
    query = serve_accuracy(exporter, prometheus, "killed", 0.93)
    started = time.monotonic()
    before = create_target(kube, namespace)
    create_held_monitor(kube, namespace)
    jobs = Creations(kube, namespace, kubernetes.client.BatchV1Api(kube).list_namespaced_job)
    deployments = Creations(kube, namespace, apps(kube).list_namespaced_deployment)
    steps = [
        {"setWeight": 25},
        {"pause": {"duration": "2s"}},
        {"analysis": {"template": "quality"}},
        {"setWeight": 50},
        {"pause": {"duration": "2s"}},
    ]
    with contextlib.closing(jobs), contextlib.closing(deployments), held_at(kube, namespace):
        create_retraining_job(
            kube,
            namespace,
            hold=GOOD_STEPS[0][0],
            rollout=rollout_spec(prometheus, query, steps),
            annotations={MESSAGE: json.dumps(TRAINED), KWOK_HOLD: ""},
            validation={"metrics": [{"name": "accuracy", "min": 0.9}]},
        )
        operator_process.start()
        labels = [label for label, _, _ in GOOD_STEPS]

        def job_created(body: dict[str, Any]) -> bool:
            return bool(jobs.uids.get("credit-retrain-train"))

        def pod_running(body: dict[str, Any]) -> bool:
            pod = training_pod(kube, namespace)
            return pod is not None and pod.status.phase == "Running"

        def release() -> None:
            release_training(kube, namespace)

        def refused(label: str) -> Callable[[dict[str, Any]], bool]:
            # the measurement taken against Prometheus and its write refused: killed before it is recorded
            return lambda body: operator_process.refusals(label) > 0

        extra: dict[str, dict[str, Any]] = {
            **{label: {"ready": refused(label)} for label in ("analysis-0", "analysis-1", "analysis-2")},
            "pending": {"ready": job_created},
            "training": {"ready": pod_running, "after": release},
        }
        for index, step in enumerate(GOOD_STEPS):
            nxt = labels[index + 1] if index + 1 < len(labels) else None
            kill_at(kube, namespace, operator_process, step, next_label=nxt, **extra.get(step[0], {}))
        wait_for_phase(kube, namespace, "Succeeded")
        kill_at(kube, namespace, operator_process, PROMOTION, plural="modelmonitors", name="credit")
        wait_for(
            lambda: (monitor(kube, namespace).get("status") or {}).get("activeModel", {}).get("version") == "2",
            what="the monitor's active model",
            timeout=60,
        )
        wait_for(
            lambda: (
                "credit-canary" not in {d.metadata.name for d in apps(kube).list_namespaced_deployment(namespace).items}
            ),
            what="the canary gone",
            timeout=30,
        )
        time.sleep(3)  # a few more ticks of the last operator: nothing may happen twice after the end
    report(operator_process, started)
    assert [label for label, _, _ in operator_process.kills] == [*labels, PROMOTION[0]]

    # one training Job, one canary, ever
    assert {k: len(v) for k, v in jobs.uids.items()} == {"credit-retrain-train": 1}
    assert len(deployments.uids["credit-canary"]) == 1, deployments.uids
    assert len(deployments.uids["credit"]) == 1

    body = rtj(kube, namespace)
    status = body["status"]
    assert status["phase"] == "Succeeded" and status["reason"] == "RolledOut", status
    assert status["model"]["version"] == "2" and status["jobName"] == "credit-retrain-train"
    rollout = status["rollout"]
    assert rollout["phase"] == "Succeeded" and rollout["weight"] == 50
    [run] = rollout["analysisRuns"]
    assert run["phase"] == "Successful" and run["rounds"] == 3, run
    stamps = [m["at"] for m in run["measurements"]]
    assert len(stamps) == 3 and len(set(stamps)) == 3, "a measurement was recorded twice"
    assert [m["value"] for m in run["measurements"]] == [0.93, 0.93, 0.93]
    assert run["counts"]["accuracy"]["successful"] == 3

    after = apps(kube).read_namespaced_deployment("credit", namespace)
    assert env_of(after) == {"MODEL_URI": "s3://models/credit/2/model.onnx", "MODEL_VERSION": "2"}
    assert after.metadata.generation == before.metadata.generation + 1, "the target was patched once"

    watched = monitor(kube, namespace)["status"]
    assert watched["activeModel"]["version"] == "2" and watched["activeModel"]["retrainingJob"] == "credit-retrain"
    assert [m["version"] for m in watched.get("previousModels") or []] == ["1"], "the monitor was promoted once"
    promoted = [r for r, _ in events_of(kube, namespace, "credit") if r == "Promoted"]
    assert len(promoted) <= 1, promoted

    # At most once (docs/troubleshooting.md): never more of a reason than an uninterrupted run posts
    # (a step told again after a restart would be, even in other words: "Job found" after "created").
    told = collections.Counter(reason for reason, _ in events_of(kube, namespace, "credit-retrain"))
    assert not told - UNINTERRUPTED_EVENTS, f"Events told more often than once per step: {told}"
    print(f"  Events lost to the kills (at most once): {dict(UNINTERRUPTED_EVENTS - told) or 'none'}")


def test_killed_at_the_failing_measurement_and_at_rollback_the_rollout_is_rolled_back_once(
    kube, namespace, prometheus, exporter, operator_process
):
    query = serve_accuracy(exporter, prometheus, "killed-bad", 0.5)
    started = time.monotonic()
    before = create_target(kube, namespace, replicas=1)
    deployments = Creations(kube, namespace, apps(kube).list_namespaced_deployment)
    steps = [{"setWeight": 50}, {"analysis": {"template": "quality"}}]
    with contextlib.closing(deployments), held_at(kube, namespace):
        # validated already: the status the retraining controller hands over with (test_rollout.py)
        create_retraining_job(kube, namespace, hold=BAD_STEPS[0][0], rollout=rollout_spec(prometheus, query, steps))
        objects(kube).patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            namespace,
            "retrainingjobs",
            "credit-retrain",
            {
                "status": {
                    "phase": "RollingOut",
                    "reason": "RolloutRequested",
                    "message": "validated; rolling out",
                    "model": {"uri": TRAINED["modelUri"], "version": "2", "sha256": TRAINED["sha256"]},
                    "previousModel": {"name": "credit", "version": "1"},
                }
            },
        )
        operator_process.start()
        # the failing measurement taken and its write refused: killed before it is recorded
        kill_at(
            kube,
            namespace,
            operator_process,
            BAD_STEPS[0],
            next_label=BAD_STEPS[1][0],
            ready=lambda body: operator_process.refusals(BAD_STEPS[0][0]) > 0,
        )
        # RollingBack recorded: killed at once, before or while the canary goes
        kill_at(kube, namespace, operator_process, BAD_STEPS[1])
        wait_for_phase(kube, namespace, "RolledBack")
        time.sleep(3)  # a few more ticks of the last operator: nothing may happen twice after the end
    report(operator_process, started)
    assert [label for label, _, _ in operator_process.kills] == [label for label, _, _ in BAD_STEPS]

    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "RolledBack" and status["reason"] == "AnalysisFailed", status
    [run] = status["rollout"]["analysisRuns"]
    assert run["phase"] == "Failed" and run["counts"]["accuracy"]["failed"] == 1, run
    assert [(m["result"], m["value"]) for m in run["measurements"]] == [("Failed", 0.5)], "one measurement, once"

    after = apps(kube).read_namespaced_deployment("credit", namespace)
    assert after.metadata.generation == before.metadata.generation, "the target was never patched"
    assert env_of(after) == OLD
    assert len(deployments.uids["credit-canary"]) == 1, deployments.uids
    assert "credit-canary" not in {d.metadata.name for d in apps(kube).list_namespaced_deployment(namespace).items}

    told = collections.Counter(reason for reason, _ in events_of(kube, namespace, "credit-retrain"))
    assert not told - ROLLED_BACK_EVENTS, f"Events told more often than once per step: {told}"
    print(f"  Events lost to the kills (at most once): {dict(ROLLED_BACK_EVENTS - told) or 'none'}")
