"""Alert delivery through the operator's own Dispatcher against the real control plane: a
webhook sink that is down at first, retried, delivered to when it returns; secrets never leak.

A module of its own: the operator here must be the only one running (the recording operator
of test_alerts_operator.py would otherwise take part in planning).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

import kubernetes
import pytest

from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

from operator_harness import running_operator
from support.monitors import create_monitor, drifted_check, events_of, get_monitor, monitor_body, put_check, ready
from support.waiting import wait_for
from support.ports import free_port

pytestmark = pytest.mark.cluster


class Receiver:
    """A webhook receiver on loopback that can be started late (the sink is down until then)."""

    def __init__(self, port):
        import http.server

        self.port, self.received = port, []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_):
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_real_delivery_through_the_operator(kube, namespace, request):
    """The operator's own Dispatcher: a webhook sink down at first, then back; secrets never leak."""
    port, token, key = free_port(), "tok-3f9a1c77e2", "hmac-key-8d41b0"
    core = kubernetes.client.CoreV1Api(kube)
    core.create_namespaced_secret(namespace, {"metadata": {"name": "hook"}, "stringData": {
        "url": f"http://127.0.0.1:{port}/hook?token={token}", "key": key}})
    with running_operator(api=kube, settings=OperatorSettings(check_image="modelmon:test"),
                          metrics=OperatorMetrics()):
        create_monitor(kube, namespace, monitor_body("credit", alerts={"sinks": [{
            "name": "team", "minSeverity": "warning",
            "webhook": {"urlSecretRef": {"name": "hook", "key": "url"},
                        "hmacSecretRef": {"name": "hook", "key": "key"}}}]}))
        wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
        put_check(kube, namespace, "credit", drifted_check("2026-11-23T10:00:00Z"))
        # The check's consequences do not wait for the sink: health and alerts are stored at once.
        body = wait_for(lambda: (b := get_monitor(kube, namespace, "credit"))["status"].get("health") == "Critical"
                        and b.get("status", {}).get("alerts") and b, what="alerts stored")
        assert len(body["status"]["alerts"]) == 2
        failing = wait_for(lambda: [s for s in get_monitor(kube, namespace, "credit")["status"].get("alertSinks") or []
                                    if s.get("lastError")], what="the sink's failure in status", timeout=30)
        assert failing[0]["name"] == "team" and failing[0]["pending"] >= 1
        assert token not in str(failing) and key not in str(failing)
        receiver = Receiver(port)
        request.addfinalizer(receiver.close)
        wait_for(lambda: receiver.received, what="the retried delivery", timeout=60)
        headers, raw = receiver.received[0]
        stamp = headers["X-Modelmon-Timestamp"]
        expected = "sha256=" + hmac.new(key.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        assert headers["X-Modelmon-Signature"] == expected
        assert {"income", "dataset"} <= {a["subject"] for a in json.loads(raw)["alerts"]}
        healed = wait_for(lambda: [s for s in get_monitor(kube, namespace, "credit")["status"].get("alertSinks") or []
                                   if s.get("lastSuccess") and s.get("pending") == 0], what="lastSuccess in status")
        assert healed[0]["consecutiveFailures"] == 0
        for event in events_of(kube, namespace, "credit"):
            assert token not in (event.message or "") and key not in (event.message or "")


def test_operator_default_sinks_read_their_secrets_in_the_operators_namespace(kube, namespace, request):
    from modelmon.api.alerts import AlertsSpec

    core = kubernetes.client.CoreV1Api(kube)
    home = f"{namespace}-op"
    core.create_namespace({"metadata": {"name": home}})
    request.addfinalizer(lambda: core.delete_namespace(home))
    port = free_port()
    core.create_namespaced_secret(home, {"metadata": {"name": "platform-hook"}, "stringData": {
        "url": f"http://127.0.0.1:{port}/platform"}})
    receiver = Receiver(port)
    request.addfinalizer(receiver.close)
    defaults = AlertsSpec.model_validate({"sinks": [{"name": "platform", "webhook": {
        "urlSecretRef": {"name": "platform-hook", "key": "url"}}}]})
    settings = OperatorSettings(check_image="modelmon:test", operator_namespace=home, default_alerts=defaults)
    with running_operator(api=kube, settings=settings, metrics=OperatorMetrics()):
        create_monitor(kube, namespace, monitor_body("credit"))  # no spec.alerts: the defaults apply
        wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
        put_check(kube, namespace, "credit", drifted_check("2026-11-23T10:00:00Z"))
        wait_for(lambda: receiver.received, what="delivery to the operator's default sink")
        sinks = wait_for(lambda: get_monitor(kube, namespace, "credit")["status"].get("alertSinks"),
                         what="alertSinks")
        assert sinks[0]["name"] == "platform" and sinks[0].get("lastSuccess")
