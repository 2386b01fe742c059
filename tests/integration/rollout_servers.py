"""Real servers for rollout analysis tests: Prometheus (Debian package) scraping an exporter
whose values the test sets, and an HTTP webhook whose answers the test sets."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prometheus_client as prom
from support.ports import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


class Exporter:
    """A /metrics endpoint with one gauge per name, labelled by track."""

    def __init__(self) -> None:
        self.registry = prom.CollectorRegistry()
        self.accuracy = prom.Gauge("model_accuracy", "Accuracy of the model, by track.", ["track"],
                                   registry=self.registry)
        self.port = free_port()
        self.server, self.thread = prom.start_http_server(self.port, addr="127.0.0.1", registry=self.registry)

    def close(self) -> None:
        self.server.shutdown()


class Prometheus:
    def __init__(self, address: str, process: subprocess.Popen[bytes]) -> None:
        self.address, self.process = address, process

    def query(self, promql: str) -> dict[str, Any]:
        url = f"{self.address}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read().decode())

    def wait_for_value(self, promql: str, expected: float, *, timeout: float = 30.0) -> None:
        """Until an instant query sees ``expected`` (the TSDB needs a few scrapes)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = self.query(promql)["data"]["result"]
                if last and float(last[0]["value"][1]) == expected:
                    return
            except OSError as error:
                last = error
            time.sleep(0.3)
        raise AssertionError(f"Prometheus never returned {expected} for {promql}: {last!r}")


@contextlib.contextmanager
def running_prometheus(workdir: Path, exporter: Exporter) -> Iterator[Prometheus]:
    port = free_port()
    config = workdir / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: model\n    static_configs: [{{targets: ['127.0.0.1:{exporter.port}']}}]\n")
    log = (workdir / "prometheus.log").open("wb")
    process = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
                                f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                               stdout=log, stderr=subprocess.STDOUT)
    server = Prometheus(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{server.address}/-/ready", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"Prometheus did not start: {(workdir / 'prometheus.log').read_text()}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Webhook:
    """Answers POSTs with the status and JSON body the test set; keeps what it received."""

    def __init__(self) -> None:
        self.status, self.body, self.delay = 200, {"value": 1.0}, 0.0
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                outer.received.append(json.loads(self.rfile.read(length) or b"{}"))
                time.sleep(outer.delay)
                payload = json.dumps(outer.body).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except BrokenPipeError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/analysis"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
