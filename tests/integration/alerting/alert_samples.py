"""A monitor body and notifications as the operator hands them to the dispatcher."""

from __future__ import annotations

import time
from typing import Any

from modelmon.policies.alerts import Alert, Notification, alert_id


def body(*sinks: dict[str, Any], namespace: str = "risk", name: str = "credit") -> dict[str, Any]:
    return {
        "apiVersion": "modelmon.io/v1alpha1", "kind": "ModelMonitor",
        "metadata": {"namespace": namespace, "name": name, "uid": "0b7c-uid"},
        "spec": {"model": {"name": "credit-scorer", "version": "v7"}, "alerts": {"sinks": list(sinks)}},
        "status": {"health": "Critical", "lastCheck": {"features": [
            {"name": "income", "method": "psi", "score": 0.31, "severity": "critical", "severityScore": 81.0}]}},
    }


def notification(subject: str = "income", severity: str = "critical", action: str = "firing",
                 type: str = "drift", message: str | None = None) -> Notification:
    now = time.time()
    alert = Alert(id=alert_id(type, subject), type=type, subject=subject, severity=severity,  # type: ignore[arg-type]
                  message=message or f"feature {subject} drifted (psi 0.31)", first_seen=now - 600, last_seen=now,
                  count=2, last_notified=now, resolved_at=now if action == "resolved" else None)
    return Notification(action=action, alert=alert)  # type: ignore[arg-type]


def ref(name: str, key: str) -> dict[str, str]:
    return {"name": name, "key": key}
