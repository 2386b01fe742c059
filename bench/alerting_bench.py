"""Benchmark of alert delivery: what a check pays to hand notifications over, and how a
healthy sink fares while others are down.

Usage: ``python bench/alerting_bench.py [MESSAGES]`` (default 1000).

One ``Dispatcher`` with three webhook sinks per monitor: one healthy (a loopback HTTP
receiver answering 204) and two down (closed ports; retried with backoff). MESSAGES checks,
each handing over 5 notifications, are submitted from the calling thread as the operator's
handlers do. Prints the latency of ``submit`` (median, p99, max: it must never block on
a sink) and the time until the healthy sink has received every message (the down sinks
must not slow it). Targets: submit p99 under 10 ms; all messages at the healthy sink
within 5 s for 1000 messages. Exits 1 when a message is missing.
"""

from __future__ import annotations

import http.server
import socket
import statistics
import sys
import threading
import time

from modelmon.alerting.delivery import Dispatcher
from modelmon.api.alerts import SinkSpec
from modelmon.policies.alerts import Alert, Notification


def receiver() -> tuple[http.server.ThreadingHTTPServer, list[int]]:
    received: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(1)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    server, received = receiver()
    urls = {"healthy": f"http://127.0.0.1:{server.server_address[1]}/hook",
            "down-a": f"http://127.0.0.1:{closed_port()}/hook", "down-b": f"http://127.0.0.1:{closed_port()}/hook"}
    sinks = [SinkSpec.model_validate({"name": name, "minSeverity": "info",
                                      "webhook": {"urlSecretRef": {"name": "hooks", "key": name}}})
             for name in urls]
    dispatcher = Dispatcher(read_secret=lambda _ns, _name, key: urls[key], queue_limit=messages + 10)
    body = {"metadata": {"namespace": "bench", "name": "credit", "uid": "u-1"},
            "spec": {"model": {"name": "credit", "version": "v1"}}, "status": {"health": "Critical"}}
    notifications = [Notification(action="firing", alert=Alert(
        id=f"a{i}", type="drift", subject=f"feature{i}", severity="warning", message="drifted",
        first_seen=0.0, last_seen=0.0)) for i in range(5)]
    latencies = []
    started = time.perf_counter()
    for _ in range(messages):
        begin = time.perf_counter()
        dispatcher.submit(body=body, notifications=notifications, sinks=sinks)
        latencies.append(time.perf_counter() - begin)
    deadline = time.monotonic() + 60
    while len(received) < messages and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    latencies.sort()
    print(f"submit (3 sinks, 5 alerts): median {statistics.median(latencies) * 1e6:.0f} us, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1e3:.2f} ms, max {latencies[-1] * 1e3:.2f} ms")
    print(f"healthy sink received {len(received)}/{messages} messages in {elapsed:.2f}s "
          f"while two sinks were down")
    states = {s["name"]: s for s in dispatcher.sink_state("bench", "credit")}
    print(f"down sinks: pending {states['down-a']['pending']} and {states['down-b']['pending']}, "
          f"last error {states['down-a'].get('lastError', '')[:80]!r}")
    dispatcher.close(timeout=0.5)
    server.shutdown()
    return 0 if len(received) == messages else 1


if __name__ == "__main__":
    sys.exit(main())
