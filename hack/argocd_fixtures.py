"""Capture real ModelMonitor and RetrainingJob objects for the Argo CD health-check tests.

Runs the demo (the real operator over the emulated API, as ``modelmon demo`` does) once with a
promoted and once with a rolled-back rollout, and records every distinct state the objects pass
through -- (kind, health or phase, rollout phase, condition statuses) -- every 50 ms while
the demo runs. The objects are written, unchanged, to tests/unit/gitops/fixtures/<kind>-<state>.json.

    python3 hack/argocd_fixtures.py        # ~1 minute; then review and commit the fixtures
"""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "unit" / "gitops" / "fixtures"
GROUP, VERSION = "modelmon.io", "v1alpha1"


def state_of(body: dict[str, Any]) -> str:
    status = body.get("status") or {}
    if body["kind"] == "ModelMonitor":
        parts = [status.get("health") or "NoHealth"]
    else:
        parts = [status.get("phase") or "NoPhase", (status.get("rollout") or {}).get("phase") or ""]
    ready = {c["type"]: c["status"] for c in status.get("conditions") or []}.get("Ready")
    if ready:
        parts.append(f"Ready{ready}")
    return "-".join(p for p in parts if p)


def main() -> int:
    sys.path[:0] = [str(ROOT / "kits"), str(ROOT / "operator")]
    from modelmon.k8s import client
    from modelmon_kits.demo import scenario

    seen: dict[str, dict[str, Any]] = {}

    def record() -> None:
        for plural in ("modelmonitors", "retrainingjobs"):
            listed = client.custom_objects().list_namespaced_custom_object(GROUP, VERSION, scenario.NAMESPACE, plural)
            for body in listed["items"]:
                body.setdefault("kind", "ModelMonitor" if plural == "modelmonitors" else "RetrainingJob")
                body.setdefault("apiVersion", f"{GROUP}/{VERSION}")
                key = f"{body['kind'].lower()}-{state_of(body)}"
                seen.setdefault(key, body)

    telling = scenario.story

    def story(*args: Any, **kwargs: Any) -> None:
        """The demo's story, with a thread recording the objects every 50 ms while it runs."""
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.05):
                try:
                    record()
                except Exception:  # noqa: BLE001 - the API is not up yet, or going away
                    pass

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            telling(*args, **kwargs)
            record()
        finally:
            stop.set()
            poller.join()

    scenario.story = story
    for outcome in ("promote", "rollback"):
        code = scenario.run(outcome=outcome, out=io.StringIO())
        if code:
            print(f"the demo ({outcome}) failed", file=sys.stderr)
            return code
    OUT.mkdir(parents=True, exist_ok=True)
    for key, body in sorted(seen.items()):
        (OUT / f"{key}.json").write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
        print(f"{key}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
