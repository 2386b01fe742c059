"""The one status writer (k8s/status_writes.py): a change lands only on the version it was planned
from; a stale version or a deleted object is a False, not an error; update_status plans again on a
fresh read until its write lands."""

from __future__ import annotations

from typing import Any

from modelmon.api import monitor as api
from modelmon.k8s import client, objects, status_writes
from support.monitors import monitor_body


def monitor(namespace: str) -> dict[str, Any]:
    body = monitor_body("credit")
    client.custom_objects().create_namespaced_custom_object(api.GROUP, api.VERSION, namespace, api.PLURAL, body)
    live = objects.get_monitor(namespace, "credit")
    assert live is not None
    return live


def test_a_change_lands_only_on_the_version_it_was_planned_from(namespace: str) -> None:
    read = monitor(namespace)
    version = read["metadata"]["resourceVersion"]
    assert status_writes.write_monitor_status(namespace, "credit", {"health": "Healthy"}, resource_version=version)
    # the same stale version again: refused, and what the first write stored stays
    assert not status_writes.write_monitor_status(namespace, "credit", {"health": "Critical"}, resource_version=version)
    assert (objects.get_monitor(namespace, "credit") or {})["status"]["health"] == "Healthy"


def test_a_deleted_object_is_a_refusal_not_an_error(namespace: str) -> None:
    read = monitor(namespace)
    client.custom_objects().delete_namespaced_custom_object(api.GROUP, api.VERSION, namespace, api.PLURAL, "credit")
    version = read["metadata"]["resourceVersion"]
    assert not status_writes.write_monitor_status(namespace, "credit", {"health": "Healthy"}, resource_version=version)
    assert status_writes.update_status(status_writes.MONITORS, namespace, "credit", lambda _: {"health": "x"}) is None


def test_update_status_plans_again_on_a_fresh_read_after_a_conflict(namespace: str) -> None:
    stale = monitor(namespace)
    # another writer moves the monitor on after our read
    fresh_version = stale["metadata"]["resourceVersion"]
    assert status_writes.write_monitor_status(
        namespace, "credit", {"driftedFeatures": 2}, resource_version=fresh_version
    )
    seen: list[Any] = []

    def plan(body: dict[str, Any]) -> dict[str, Any] | None:
        drifted = (body.get("status") or {}).get("driftedFeatures")
        seen.append(drifted)
        return {"driftedFeatures": (drifted or 0) + 1}

    written = status_writes.update_status(status_writes.MONITORS, namespace, "credit", plan, body=stale)
    assert written is not None
    assert seen == [None, 2]  # planned on the stale copy, refused, planned again on the fresh read
    assert written[1] == {"driftedFeatures": 3}
    assert (objects.get_monitor(namespace, "credit") or {})["status"]["driftedFeatures"] == 3


def test_update_status_writes_nothing_when_the_plan_has_nothing(namespace: str) -> None:
    read = monitor(namespace)
    assert status_writes.update_status(status_writes.MONITORS, namespace, "credit", lambda _: None, body=read) is None
    assert (objects.get_monitor(namespace, "credit") or {})["metadata"]["resourceVersion"] == read["metadata"][
        "resourceVersion"
    ]
