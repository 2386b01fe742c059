"""A webhook receiver on loopback: where the demo's alert sink delivers, so the alerts a
person would get in Slack or a pager are shown arriving."""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any


class WebhookReceiver:
    """POST /alerts records an alert notification; POST /analysis answers a rollout's analysis
    webhook: 200 (the canary is good) or 500 (it is not), as ``analysis_ok`` says."""

    def __init__(self, *, analysis_ok: bool = True) -> None:
        self.received: list[dict[str, Any]] = []
        self.analysis_calls = 0
        self.analysis_ok = analysis_ok
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {"unparsable": True}
                if self.path.startswith("/analysis"):
                    with receiver._lock:
                        receiver.analysis_calls += 1
                    self.send_response(200 if receiver.analysis_ok else 500)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:  # quiet: the demo prints what matters
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-webhook", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/alerts"

    @property
    def analysis_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/analysis"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            taken, self.received = self.received, []
        return taken
