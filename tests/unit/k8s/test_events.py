"""An Event about one of our objects: its times in the one format of status and Events (#16),
and a refused Event never fails the reconciliation that posts it."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import kubernetes
import pytest

from modelmon.k8s import events

BODY = {
    "apiVersion": "modelmon.io/v1alpha1",
    "kind": "ModelMonitor",
    "metadata": {"name": "credit", "namespace": "risk", "uid": "u-1"},
}


class Core:
    def __init__(self, status: int | None = None) -> None:
        self.status, self.posted = status, []

    def create_namespaced_event(self, namespace: str, body: dict[str, Any]) -> None:
        if self.status:
            raise kubernetes.client.ApiException(status=self.status, reason="Forbidden")
        self.posted.append((namespace, body))


@pytest.fixture
def moment(monkeypatch: pytest.MonkeyPatch) -> datetime.datetime:
    fixed = datetime.datetime(2026, 11, 23, 10, 0, 5, 250000, tzinfo=datetime.UTC)
    monkeypatch.setattr(events.timestamps, "now", lambda: fixed)
    return fixed


def test_an_event_is_stamped_as_status_is(moment, monkeypatch: pytest.MonkeyPatch):
    core = Core()
    monkeypatch.setattr(events.client, "core", lambda: core)
    events.post_event(body=BODY, type="Warning", reason="DriftDetected", message="x" * 2000)
    ((namespace, event),) = core.posted
    assert namespace == "risk"
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2026-11-23T10:00:05Z"
    assert event["involvedObject"] == {
        "apiVersion": "modelmon.io/v1alpha1",
        "kind": "ModelMonitor",
        "name": "credit",
        "namespace": "risk",
        "uid": "u-1",
    }
    assert (event["type"], event["reason"], len(event["message"])) == ("Warning", "DriftDetected", 1024)


def test_a_refused_event_is_a_warning_in_the_log(moment, monkeypatch, caplog):
    monkeypatch.setattr(events.client, "core", lambda: Core(status=403))
    with caplog.at_level(logging.WARNING, logger="modelmon.k8s.events"):
        events.post_event(body=BODY, type="Normal", reason="Reconciled", message="ok")
    assert caplog.messages == ["could not post event Reconciled for risk/credit: 403"]
