"""KServe-shaped inference-logger CloudEvents, as its logger sends them, and a `modelmon collect` process.

Binary mode carries the attributes as ``ce-*`` headers exactly as KServe's logger sets them (sdk-go v2:
``ce-specversion``, ``ce-id``, ``ce-type``, ``ce-source``, ``ce-time`` and the extensions
``ce-inferenceservicename``, ``ce-namespace``, ``ce-component``, ``ce-endpoint``, ``ce-metadata``);
structured mode puts the same attributes in one JSON object.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REQUEST = "org.kubeflow.serving.inference.request"
RESPONSE = "org.kubeflow.serving.inference.response"


def binary(
    event_id: str,
    kind: str,
    data: Any,
    *,
    model: str = "iris",
    namespace: str = "ml",
    time_: str = "2026-12-01T13:05:09.123456789Z",
) -> tuple[dict[str, str], bytes]:
    headers = {
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-type": REQUEST if kind == "request" else RESPONSE,
        "ce-source": f"http://localhost:9081/v1/models/{model}:predict",
        "ce-time": time_,
        "ce-inferenceservicename": model,
        "ce-namespace": namespace,
        "ce-component": "predictor",
        "ce-endpoint": "default",
        "ce-metadata": "{}",
    }
    return headers, json.dumps(data).encode()


def structured(
    event_id: str,
    kind: str,
    data: Any,
    *,
    model: str = "iris",
    namespace: str = "ml",
    time_: str = "2026-12-01T13:05:09Z",
) -> tuple[dict[str, str], bytes]:
    document = {
        "specversion": "1.0",
        "id": event_id,
        "type": REQUEST if kind == "request" else RESPONSE,
        "source": f"http://localhost:9081/v2/models/{model}/infer",
        "time": time_,
        "inferenceservicename": model,
        "namespace": namespace,
        "component": "predictor",
        "endpoint": "default",
        "datacontenttype": "application/json",
        "data": data,
    }
    return {"Content-Type": "application/cloudevents+json"}, json.dumps(document).encode()


def post(url: str, message: tuple[dict[str, str], bytes], *, timeout: float = 10.0) -> tuple[int, str]:
    headers, body = message
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(url: str, name: str, **labels: str) -> float:
    """A sample's value from the collector's /metrics (0 when absent)."""
    _, text = get(f"{url}/metrics")
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(3))
    return 0.0


@dataclasses.dataclass
class Collector:
    process: subprocess.Popen[str]
    url: str
    #: What it printed up to "listening".
    startup: str = ""

    def stop(self, signum: int = signal.SIGTERM, *, timeout: float = 60) -> tuple[int, str]:
        self.process.send_signal(signum)
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out


def start_collector(store: str, *flags: str, env: dict[str, str] | None = None) -> Collector:
    """`modelmon collect` as a process of its own, on a free port; returns once it listens."""
    # This tree's code, whichever checkout the environment's editable install points at.
    source = str(Path(__file__).resolve().parents[2] / "operator")
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-c", "from modelmon.cli import entry; entry()", "collect"]
    process = subprocess.Popen(
        [*command, "--store", store, "--host", "127.0.0.1", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": path, **(env or {})},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"listening on (http://[\d.]+:\d+)", line)
        if match:
            return Collector(process=process, url=match.group(1), startup="".join(seen))
    process.kill()
    raise AssertionError("modelmon collect did not start: " + "".join(seen))
