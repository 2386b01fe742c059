"""The alert sinks go through the proxy the operator's environment names (HTTPS_PROXY/HTTP_PROXY/NO_PROXY),
as its other HTTP clients (the kubernetes client, the Prometheus provider's urllib) do: a cluster whose
egress goes through a proxy still pages. The proxy is an HTTP receiver on loopback; the sink's host does
not resolve, so a request can only arrive through it."""

from __future__ import annotations

from alert_samples import body, notification, ref


def test_a_webhook_goes_through_the_environments_proxy(dispatcher, receiver, secrets, monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", receiver.url)
    secrets.put("risk", "hook", "url", "http://hooks.modelmon.invalid/alerts")
    sink = {"name": "hook", "minSeverity": "info", "webhook": {"urlSecretRef": ref("hook", "url")}}
    dispatcher.submit(body=body(sink), notifications=[notification("income")])
    request = receiver.wait_for(1)[0]
    assert request.path == "/alerts" and request.headers["Host"] == "hooks.modelmon.invalid"
    assert [a["subject"] for a in request.json()["alerts"]] == ["income"]
