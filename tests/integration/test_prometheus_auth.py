"""The Prometheus analysis provider behind a gateway that wants what managed Prometheus wants: HTTPS with
a private CA, a bearer token and a tenant header (as a Mimir/Cortex/Thanos gateway does). The gateway
is a real HTTPS server on loopback with a certificate from a CA made here (openssl); the token and the
CA come from "Secrets" through the provider's read_secret, as the operator reads them."""

from __future__ import annotations

import http.server
import json
import ssl
import subprocess
import threading

import pytest

from modelmon.api.rollout import AnalysisMetric
from modelmon.metric_providers import Context, measure

TOKEN = "s3cr3t-t0ken-value"
ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.93"]}]}}


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = tmp_path_factory.mktemp("pki")
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=test-ca",
        cwd=root,
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
        cwd=root,
    )
    (root / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "1",
        "-extfile",
        "san.ext",
        cwd=root,
    )
    return root


@pytest.fixture(scope="module")
def gateway(pki):
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append(dict(self.headers))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"status": "error", "errorType": "unauthorized", "error": "no valid token"})
            elif self.headers.get("X-Scope-OrgID") != "team-a":
                self._answer(400, {"status": "error", "errorType": "bad_data", "error": "no tenant"})
            else:
                self._answer(200, ANSWER)

        def _answer(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.crt", pki / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def metric(address, **prometheus):
    return AnalysisMetric.model_validate(
        {"name": "accuracy", "min": 0.9, "prometheus": {"address": address, "query": "accuracy", **prometheus}}
    )


def context(secrets):
    def read_secret(namespace, name, key):
        assert namespace == "ml"
        if (name, key) not in secrets:
            raise LookupError(f"Secret {namespace}/{name} has no key {key!r}")
        return secrets[(name, key)]

    return Context(
        namespace="ml",
        retraining_job="r",
        template="t",
        since="2026-01-01T00:00:00Z",
        model={},
        fetch_monitor=lambda namespace, name: None,
        read_secret=read_secret,
    )


AUTH = {
    "bearerTokenSecretRef": {"name": "prom", "key": "token"},
    "headers": [{"name": "X-Scope-OrgID", "value": "team-a"}],
}


def test_token_tenant_header_and_private_ca(gateway, pki):
    address, seen = gateway
    secrets = {("prom", "token"): TOKEN + "\n", ("prom-ca", "ca.crt"): (pki / "ca.crt").read_text()}
    taken = measure(
        metric(address, **AUTH, tls={"caSecretRef": {"name": "prom-ca", "key": "ca.crt"}}), context(secrets)
    )
    assert (taken.value, taken.error) == (0.93, None)
    assert seen[-1]["Authorization"] == f"Bearer {TOKEN}", "a Secret's trailing newline is not part of the token"


def test_without_the_ca_the_certificate_is_refused_and_insecure_skip_verify_accepts_it(gateway):
    address, _ = gateway
    secrets = {("prom", "token"): TOKEN}
    refused = measure(metric(address, **AUTH), context(secrets))
    assert refused.value is None and "CERTIFICATE_VERIFY_FAILED" in refused.error
    taken = measure(metric(address, **AUTH, tls={"insecureSkipVerify": True}), context(secrets))
    assert taken.value == 0.93


def test_a_wrong_token_is_an_error_that_never_shows_a_token(gateway):
    address, _ = gateway
    taken = measure(
        metric(address, **AUTH, tls={"insecureSkipVerify": True}), context({("prom", "token"): "wrong-token"})
    )
    assert taken.error == "Prometheus answered 401: unauthorized: no valid token"
    assert "wrong-token" not in taken.error


def test_a_missing_secret_is_an_error_naming_it(gateway):
    address, _ = gateway
    taken = measure(metric(address, **AUTH, tls={"insecureSkipVerify": True}), context({}))
    assert taken.error == "LookupError: Secret ml/prom has no key 'token'"
    bad_ca = {("prom", "token"): TOKEN, ("prom-ca", "ca.crt"): "not a certificate"}
    taken = measure(metric(address, **AUTH, tls={"caSecretRef": {"name": "prom-ca", "key": "ca.crt"}}), context(bad_ca))
    assert taken.error.startswith("ValueError: Secret prom-ca key 'ca.crt' is not a PEM CA bundle")


@pytest.mark.parametrize(
    ("prometheus", "message"),
    [
        (
            {"bearerTokenSecretRef": {"name": "p", "key": "t"}, "headers": [{"name": "Authorization", "value": "x"}]},
            "an Authorization header and bearerTokenSecretRef both set the same header",
        ),
        (
            {"tls": {"caSecretRef": {"name": "p", "key": "t"}, "insecureSkipVerify": True}},
            "caSecretRef and insecureSkipVerify contradict each other",
        ),
        ({"headers": [{"name": "bad header", "value": "x"}]}, "String should match pattern"),
    ],
    ids=["two-authorizations", "ca-and-insecure", "header-name"],
)
def test_contradictions_are_refused_by_the_spec(prometheus, message):
    with pytest.raises(ValueError, match=message):
        metric("https://prometheus:9090", **prometheus)
