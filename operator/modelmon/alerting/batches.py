"""One grouped notification: everything one alert-planning step wants to tell the sinks.

Pure. All notifications from one ``plan_alerts`` call become one :class:`Batch`, and each
sink receives it as one message (filtered by the sink's minimum severity), so a check that
finds five drifted features pages once, not five times. The batch is a snapshot taken when
it is submitted: retries later send exactly what was decided then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from modelmon.api.alerts import AlertSeverity
from modelmon.policies.alerts import RANK, Action, Alert, Notification

#: Where a monitor can be looked at when no console URL template is configured: its API path.
DEFAULT_LINK = "https://kubernetes.default.svc/apis/modelmon.io/v1alpha1/namespaces/{namespace}/modelmonitors/{monitor}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Item:
    """One alert's notification, with what the check measured about its subject."""

    action: Action
    alert: Alert
    details: dict[str, Any]
    """Measurements behind the alert (a drifted feature's method, score, p-value, severity score)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Batch:
    id: str
    """Unique per batch and stable across retries: receivers deduplicate on it."""
    created: float
    namespace: str
    monitor: str
    uid: str | None
    model: str | None
    model_version: str | None
    health: str | None
    link: str
    items: tuple[Item, ...]
    report: str | None = None
    """The last check's HTML report (``status.lastCheck.history.reportURL``), when published."""

    @property
    def severity(self) -> AlertSeverity:
        """The highest severity in the batch."""
        return max((i.alert.severity for i in self.items), key=RANK.__getitem__, default="info")

    def counts(self) -> dict[str, int]:
        """Notifications by kind: firing (firing, escalated, repeat) and resolved."""
        resolved = sum(1 for i in self.items if i.action == "resolved")
        return {"firing": len(self.items) - resolved, "resolved": resolved}

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{n} {kind}" for kind, n in counts.items() if n]
        return ", ".join(parts) or "nothing"


def build_batch(*, batch_id: str, body: dict[str, Any], notifications: Sequence[Notification], now: float,
                link_template: str = DEFAULT_LINK) -> Batch:
    meta = body.get("metadata") or {}
    spec = body.get("spec") or {}
    status = body.get("status") or {}
    model = spec.get("model") or {}
    features = {str(f.get("name")): f for f in ((status.get("lastCheck") or {}).get("features") or [])
                if isinstance(f, dict)}
    namespace, monitor = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    items = tuple(Item(action=n.action, alert=n.alert, details=_details(n.alert, features)) for n in notifications)
    return Batch(id=batch_id, created=now, namespace=namespace, monitor=monitor, uid=meta.get("uid"),
                 model=model.get("name"), model_version=model.get("version"), health=status.get("health"),
                 link=link_template.format(namespace=namespace, monitor=monitor), items=items,
                 report=((status.get("lastCheck") or {}).get("history") or {}).get("reportURL"))


def for_severity(batch: Batch, min_severity: AlertSeverity) -> Batch | None:
    """The batch as a sink with ``min_severity`` sees it, or None when nothing is left for it."""
    floor = RANK[min_severity]
    items = tuple(i for i in batch.items if RANK[i.alert.severity] >= floor)
    return dataclasses.replace(batch, items=items) if items else None


_MEASURES = ("method", "score", "pValue", "severity", "severityScore")


def _details(alert: Alert, features: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if alert.type != "drift" or alert.subject not in features:
        return {}
    feature = features[alert.subject]
    return {key: feature[key] for key in _MEASURES if feature.get(key) is not None}
