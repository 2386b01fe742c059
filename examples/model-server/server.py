"""A small model server for the examples: serves predictions over HTTP and says which model answered.

It stands in for a team's real server (KServe, Seldon, BentoML, a FastAPI app) with the one
contract modelmon relies on: the model is handed over by the environment variables
``MODEL_URI`` and ``MODEL_VERSION`` (what a RetrainingJob's rollout patches), and every answer
names the version that produced it, so a canary's share of traffic can be measured.

The model is a JSON file ``{"threshold": t, "feature": "score"}`` (what
examples/retraining/train.py writes): the prediction is 1 when the feature is at least t.

    GET  /healthz   200 once the model is loaded
    GET  /version   {"modelVersion": ..., "modelUri": ..., "threshold": ...}
    POST /predict   {"instances": [{"score": 0.7}, ...]} -> {"predictions": [1, ...], "modelVersion": ...}

Standard library only; runs as any user on a read-only root filesystem (it writes nothing).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse


class ModelError(Exception):
    """The model named by MODEL_URI could not be loaded; the message says why."""


def load_model(uri: str) -> dict[str, Any]:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise ModelError(f"MODEL_URI {uri!r}: this example server loads file:// models only "
                         "(mount the model store, e.g. a volume, and point MODEL_URI at the file)")
    try:
        with open(parsed.path, encoding="utf-8") as handle:
            model = json.load(handle)
    except (OSError, ValueError) as error:
        raise ModelError(f"MODEL_URI {uri!r}: {error}") from error
    if not isinstance(model, dict) or not isinstance(model.get("threshold"), (int, float)):
        raise ModelError(f"MODEL_URI {uri!r}: expected a JSON object with a numeric 'threshold'")
    model.setdefault("feature", "score")
    return model


def predict(model: dict[str, Any], instances: list[Any]) -> list[int]:
    feature, threshold = model["feature"], float(model["threshold"])
    return [int(float(instance.get(feature, 0.0)) >= threshold) for instance in instances]


def handler_for(model: dict[str, Any], uri: str, version: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "modelmon-example-server"

        def _reply(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Model-Version", version)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/healthz":
                self._reply(200, {"status": "ok"})
            elif self.path in ("/", "/version"):
                self._reply(200, {"modelVersion": version, "modelUri": uri,
                                  "threshold": model["threshold"]})
            else:
                self._reply(404, {"error": f"no route {self.path}; try /predict or /version"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/predict":
                self._reply(404, {"error": f"no route {self.path}; POST /predict"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                instances = request.get("instances", [])
                if not isinstance(instances, list):
                    raise ValueError("'instances' must be a list")
                self._reply(200, {"predictions": predict(model, instances), "modelVersion": version})
            except (ValueError, TypeError, AttributeError) as error:
                self._reply(400, {"error": f"bad request: {error}", "modelVersion": version})

        def log_message(self, format: str, *args: Any) -> None:  # one JSON line per request
            print(json.dumps({"request": format % args, "modelVersion": version}), flush=True)

    return Handler


def main() -> int:
    uri = os.environ.get("MODEL_URI", "")
    version = os.environ.get("MODEL_VERSION", "")
    port = int(os.environ.get("PORT", "8080"))
    if not uri or not version:
        print("model server: set MODEL_URI and MODEL_VERSION", file=sys.stderr)
        return 2
    try:
        model = load_model(uri)
    except ModelError as error:
        print(f"model server: {error}", file=sys.stderr)
        return 2
    drain = float(os.environ.get("DRAIN_SECONDS", "3"))
    server = ThreadingHTTPServer(("", port), handler_for(model, uri, version))

    def terminate(*_: Any) -> None:
        # Keep answering for a moment: the Service stops routing to a terminating pod only once
        # kube-proxy has caught up, and a request sent meanwhile must still get its answer.
        # shutdown() from another thread: called from this one, it would wait for itself.
        threading.Thread(target=lambda: (time.sleep(drain), server.shutdown()), daemon=True).start()

    signal.signal(signal.SIGTERM, terminate)
    print(json.dumps({"listening": port, "modelVersion": version, "modelUri": uri}), flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
