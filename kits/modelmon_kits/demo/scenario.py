"""``modelmon demo``: the whole loop on an in-process Kubernetes API, no cluster needed.

The real operator (kopf and our handlers) runs against kmock's emulated API server. What
a cluster's other components would do is played here, in plain sight: the drift check
runs in-process (standing in for the CronJob's pod), and :mod:`modelmon_kits.demo.actors`
plays the Job and Deployment controllers and the kubelet. Everything else -- health,
alerts and their delivery, the retraining decision, the training Job, validation, the
canary and its analysis, promotion or rollback -- is the operator's own code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import kubernetes

from modelmon.api import crds
from modelmon_kits.demo import actors, kubectl, manifests
from modelmon_kits.demo.receiver import WebhookReceiver
from modelmon_kits.emulation.cluster import EmulatedCluster
from modelmon_kits.emulation.operator_thread import running_operator
from modelmon import check_job
from modelmon.k8s import client
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

NAMESPACE = "demo"
MONITOR = "credit-risk"
GROUP, VERSION = "modelmon.io", "v1alpha1"


class DemoFailed(Exception):
    """Something the story needs did not happen in time."""


@dataclasses.dataclass
class Screen:
    out: TextIO
    started: float = dataclasses.field(default_factory=time.monotonic)
    step: int = 0

    def title(self, text: str) -> None:
        self.step += 1
        self.out.write(f"\n== {self.step}. {text}  [{time.monotonic() - self.started:4.1f}s]\n")
        self.out.flush()

    def say(self, text: str) -> None:
        self.out.write(f"{text}\n")
        self.out.flush()

    def command(self, command: str, output: str) -> None:
        self.out.write(f"$ {command}\n{output}\n")
        self.out.flush()


def wait_until(probe: Callable[[], Any], *, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise DemoFailed(f"timed out after {timeout:.0f}s waiting for {what}")


class Demo:
    def __init__(self, cluster: EmulatedCluster, screen: Screen, receiver: WebhookReceiver) -> None:
        self.cluster, self.screen, self.receiver = cluster, screen, receiver
        self.custom = client.custom_objects()
        self.core = client.core()
        self.crds = {c["spec"]["names"]["plural"]: c for c in crds.all_crds()}
        self._events_seen = 0

    # --- what a person would type ---------------------------------------------------------

    def monitor(self) -> dict[str, Any]:
        return dict(self.custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "modelmonitors", MONITOR))

    def get(self, plural: str, short: str) -> None:
        listed = self.custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, plural)["items"]
        self.screen.command(f"kubectl get {short} -n {NAMESPACE}", kubectl.get(self.crds[plural], listed))

    def new_events(self) -> None:
        items = sorted(
            self.core.list_namespaced_event(NAMESPACE).items,
            key=lambda e: (e.last_timestamp or e.first_timestamp or 0, e.metadata.name),
        )
        shown = items[self._events_seen :]
        self._events_seen = len(items)
        if shown:
            self.screen.command(f"kubectl get events -n {NAMESPACE}  # new since the last step", kubectl.events(shown))

    def deliveries(self) -> None:
        for message in self.receiver.take():
            alerts = message.get("alerts") or []
            lines = [
                f"  [{a.get('severity')}] {a.get('action', a.get('status', ''))}: {a.get('type')}/"
                f"{a.get('subject')} - {a.get('message', '')[:80]}"
                for a in alerts
            ]
            self.screen.say(f"webhook sink received one grouped notification ({len(alerts)} alert(s)):")
            self.screen.say("\n".join(lines) if lines else f"  {message}")

    # --- the story ------------------------------------------------------------------------

    def check(self, current: str) -> dict[str, Any]:
        self.core.patch_namespaced_config_map(
            "credit-data", NAMESPACE, {"data": {"current.csv": manifests.data(current)}}
        )
        before = (self.monitor().get("status") or {}).get("assessedCheck")
        self.screen.say(
            f"(the drift-check job runs: modelmon check --monitor {NAMESPACE}/{MONITOR}, "
            f"current data = examples/data/{current})"
        )
        check_job.run_monitor_check(namespace=NAMESPACE, name=MONITOR)
        return wait_until(
            lambda: (m := self.monitor()).get("status", {}).get("assessedCheck") not in (None, before) and m,
            what="the operator to assess the check",
        )


def run(*, outcome: str = "promote", out: TextIO = sys.stdout) -> int:
    screen = Screen(out)
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(EmulatedCluster(crds=crds.all_crds()))
        receiver = stack.enter_context(WebhookReceiver(analysis_ok=outcome == "promote"))
        stack.enter_context(client.process_wide(cluster.api_client()))
        demo = Demo(cluster, screen, receiver)
        try:
            story(demo, cluster, outcome=outcome, stack=stack)
        except DemoFailed as error:
            screen.say(f"\ndemo failed: {error}")
            return 1
    screen.say(f"\ndone in {time.monotonic() - screen.started:.1f}s.")
    return 0


def story(demo: Demo, cluster: EmulatedCluster, *, outcome: str, stack: contextlib.ExitStack) -> None:
    screen = demo.screen
    screen.title("An in-process Kubernetes API (kmock's emulator) with modelmon's CRDs installed")
    screen.say(f"API server at {cluster.url}; CRDs: {', '.join(sorted(demo.crds))}")

    screen.title("The model: a Deployment and Service serving credit-risk v1, and its ModelMonitor")
    cluster.create_namespace(NAMESPACE)
    for body in manifests.setup(
        namespace=NAMESPACE, monitor=MONITOR, webhook_url=demo.receiver.url, analysis_url=demo.receiver.analysis_url
    ):
        manifests.create(body)
        screen.say(f"{body['kind'].lower()}/{body['metadata']['name']} created")
    stack.enter_context(actors.playing_cluster(cluster.api_client, namespace=NAMESPACE, outcome=outcome))

    screen.title("The operator starts (kopf, in a thread) and reconciles the monitor into its CronJob")
    # Ticks of a second (the default is 15 s) so the rollout's analysis fits in the demo's minute.
    stack.enter_context(
        running_operator(
            cluster,
            settings=OperatorSettings(check_image="modelmon:demo", retraining_poll_seconds=1.0),
            metrics=OperatorMetrics(),
        )
    )
    wait_until(
        lambda: any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (demo.monitor().get("status") or {}).get("conditions") or []
        ),
        what="Ready",
    )
    demo.get("modelmonitors", "mm")
    cron = client.batch().read_namespaced_cron_job(f"{MONITOR}-drift-check", NAMESPACE)
    screen.say(
        f"cronjob/{cron.metadata.name}: schedule {cron.spec.schedule!r}, runs "
        f"`{' '.join(cron.spec.job_template.spec.template.spec.containers[0].args)}`"
    )

    screen.title("A drift check on a stable window of production data")
    monitor = demo.check("current-stable.csv")
    demo.get("modelmonitors", "mm")
    screen.say(kubectl.conditions(monitor["status"]))

    screen.title("Production data drifts: income shifts, a new region appears, loan_amount goes missing")
    monitor = demo.check("current-drifted.csv")
    demo.get("modelmonitors", "mm")
    screen.command(
        f"kubectl get mm {MONITOR} -n {NAMESPACE} -o jsonpath='{{.status.alerts}}'  # as a table",
        kubectl.alerts(monitor["status"]),
    )
    wait_until(lambda: demo.receiver.received, what="the webhook sink's delivery")
    demo.deliveries()
    demo.new_events()

    name = retraining(demo)
    rollout(demo, name, outcome=outcome)

    screen.title("Where each piece lives")
    screen.say(WHERE)


def retraining(demo: Demo) -> str:
    screen = demo.screen
    screen.title("Critical drift fires the retraining trigger: the operator starts a RetrainingJob")
    rtj = wait_until(
        lambda: demo.custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "retrainingjobs")["items"],
        what="a RetrainingJob",
    )[0]
    name = rtj["metadata"]["name"]
    demo.get("retrainingjobs", "rtj")
    screen.say(
        "(the training Job's pod runs: here the demo plays the kubelet, and the training container "
        "reports its result as JSON in its termination message)"
    )
    done = wait_until(
        lambda: (
            (r := demo.custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "retrainingjobs", name))
            .get("status", {})
            .get("phase")
            in ("Succeeded", "RollingOut", "Failed")
            and r
        ),
        what="training and validation to finish",
        timeout=30,
    )
    demo.get("retrainingjobs", "rtj")
    status = done["status"]
    model = status.get("model") or {}
    screen.say(
        f"new model: {model.get('version')} at {model.get('uri')} (sha256 {str(model.get('sha256'))[:12]}...), "
        f"metrics {model.get('metrics')}; previous: {(status.get('previousModel') or {}).get('version')}"
    )
    if status.get("phase") == "Failed":
        raise DemoFailed(f"retraining failed: {status.get('message')}")
    monitor = demo.monitor()
    last = (monitor.get("status") or {}).get("retraining") or {}
    screen.say(
        f"monitor status.retraining: active={(last.get('active') or {}).get('name')} "
        f"last={(last.get('last') or {}).get('name')} ({(last.get('last') or {}).get('phase')})"
    )
    demo.deliveries()
    demo.new_events()
    return str(name)


def rollout(demo: Demo, name: str, *, outcome: str) -> None:
    screen = demo.screen
    screen.title(
        "The validated model rolls out as a canary next to the serving Deployment (no mesh: "
        "traffic share = share of ready pods behind the Service)"
    )
    screen.say(
        f"(the canary's analysis is a webhook; in this run it answers {'200: healthy' if outcome == 'promote' else '500: the new model misbehaves'})"
    )
    apps = kubernetes.client.AppsV1Api(client.api_client())
    seen: set[tuple[Any, ...]] = set()
    deadline = time.monotonic() + 40
    rtj: dict[str, Any] = {}
    while time.monotonic() < deadline:
        rtj = demo.custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "retrainingjobs", name)
        state = (rtj.get("status") or {}).get("rollout") or {}
        key = (state.get("phase"), state.get("step"), state.get("stage"), state.get("weight"))
        if state and key not in seen:
            seen.add(key)
            runs = state.get("analysisRuns") or []
            last = runs[-1] if runs else {}
            analysis = (
                f"; analysis {last.get('template', '')}: {last.get('phase')}"
                f" ({sum(1 for m in last.get('measurements') or [])} measurement(s))"
                if last
                else ""
            )
            screen.say(
                f"rollout {state.get('phase')}: step {state.get('step')} {state.get('stage', '')}, "
                f"weight {state.get('weight')}% (effective {state.get('effectiveWeight', 0):.1f}%)"
                f"{analysis}"
            )
            if state.get("weight") and state.get("phase") not in ("Promoted", "RolledBack", "Succeeded"):
                listed = apps.list_namespaced_deployment(NAMESPACE).items
                rows = [
                    (
                        d.metadata.name,
                        f"{(d.status and d.status.ready_replicas) or 0}/{d.spec.replicas}",
                        (d.spec.template.metadata.labels or {}).get("modelmon.io/track", "stable"),
                        _env(d, "MODEL_VERSION"),
                    )
                    for d in listed
                ]
                screen.command(
                    f"kubectl get deploy -n {NAMESPACE}",
                    kubectl.table(["name", "ready", "track", "model_version"], rows),
                )
        if (rtj.get("status") or {}).get("phase") in ("Succeeded", "RolledBack", "Failed"):
            break
        time.sleep(0.1)
    phase = (rtj.get("status") or {}).get("phase")
    if phase not in ("Succeeded", "RolledBack", "Failed"):
        raise DemoFailed(f"the rollout did not finish in time (phase {phase})")
    demo.get("retrainingjobs", "rtj")
    target = apps.read_namespaced_deployment("credit-model", NAMESPACE)
    remaining = [d.metadata.name for d in apps.list_namespaced_deployment(NAMESPACE).items]
    screen.command(
        f"kubectl get deploy credit-model -n {NAMESPACE} -o jsonpath='{{.spec.template.spec.containers[0].env}}'",
        f"MODEL_URI={_env(target, 'MODEL_URI')} MODEL_VERSION={_env(target, 'MODEL_VERSION')}",
    )
    screen.say(f"deployments now: {', '.join(remaining)}")
    if phase == "Succeeded":
        screen.say("promoted: only the target's model hand-over (env) was patched; the canary is gone.")
    else:
        screen.say("rolled back: the canary is gone and the target Deployment was never touched: v1 still serves.")
        wait_until(lambda: demo.receiver.received, what="the rollback alert's delivery", timeout=10)
    demo.deliveries()
    demo.new_events()
    expected = "Succeeded" if outcome == "promote" else "RolledBack"
    if phase != expected:
        raise DemoFailed(f"the rollout ended {phase}, expected {expected}: {(rtj.get('status') or {}).get('message')}")


def _env(deployment: Any, name: str) -> str | None:
    for container in deployment.spec.template.spec.containers:
        for env in container.env or []:
            if env.name == name:
                return str(env.value)
    return None


WHERE = """\
  statistics (PSI, KS, Wasserstein, JS, chi2, z-test)   operator/modelmon/stats/
  drift verdicts and reference profiles                 operator/modelmon/drift/
  performance vs baseline                               operator/modelmon/performance/
  the check job (modelmon check --monitor)              operator/modelmon/check_job.py
  health, alert, retraining policies (pure)             operator/modelmon/policies/
  alert sinks and delivery                              operator/modelmon/alerting/
  rollout state machine (pure)                          operator/modelmon/rollout/
  kopf handlers                                         operator/modelmon/controller/
  CRDs from the pydantic models                         operator/modelmon/api/ -> crds/
  this demo                                             operator/modelmon/demo/"""
