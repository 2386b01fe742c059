"""The operator learns the collector's store from the chart (MODELMON_COLLECTOR_STORE), so that a
monitor's spec.current.inferenceService resolves to what the collector writes; only when the
collector is enabled with an object-store uri."""

from __future__ import annotations

from typing import Any

import pytest

from chart_rendering import RELEASE, render, select


def operator_env(values: dict[str, Any]) -> dict[str, Any]:
    [deployment] = [d for d in select(render(values), "Deployment") if d["metadata"]["name"] == f"{RELEASE}-modelmon"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value") for e in container["env"]}


def test_the_operator_gets_the_collectors_store_uri():
    values = {"collector": {"enabled": True, "store": {"uri": "s3://preds/kserve"}}}
    assert operator_env(values)["MODELMON_COLLECTOR_STORE"] == "s3://preds/kserve"


@pytest.mark.parametrize(
    "collector",
    [
        {},
        {"enabled": False, "store": {"uri": "s3://preds/kserve"}},
    ],
)
def test_no_store_without_a_collector_writing_to_a_uri(collector):
    env = operator_env({"collector": collector} if collector else {})
    assert "MODELMON_COLLECTOR_STORE" not in env and "MODELMON_COLLECTOR_STORE_CLAIM" not in env


def test_a_claim_store_is_only_named_to_the_operator():
    # a claim in the release's namespace, which check jobs in other namespaces cannot mount
    env = operator_env({"collector": {"enabled": True, "store": {"persistentVolumeClaim": "predictions"}}})
    assert "MODELMON_COLLECTOR_STORE" not in env
    assert env["MODELMON_COLLECTOR_STORE_CLAIM"] == "predictions"
