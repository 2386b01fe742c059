"""spec.current.inferenceService: validated as the third kind of current source, resolved to the
dataset the KServe collector writes, and wired from the operator's settings into the check job."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from modelmon import check_job
from modelmon.api import crds, errors, monitor
from modelmon.controller import reconcile
from modelmon.manifests import checkjob
from modelmon.policies import collected_source
from modelmon.settings import OperatorSettings

CREDIT: dict[str, Any] = {"inferenceService": {"name": "credit"}, "window": {"duration": "6h"}}


def spec(current: dict[str, Any]) -> monitor.ModelMonitorSpec:
    return monitor.parse_spec(
        {"model": {"name": "credit"}, "reference": {"uri": "file:///data/ref.csv"}, "current": current}
    )


def problem(current: dict[str, Any]) -> str:
    with pytest.raises(pydantic.ValidationError) as caught:
        spec(current)
    return errors.describe(caught.value)


def test_an_inference_service_is_a_source_on_its_own_with_the_predictor_by_default():
    ref = spec(CREDIT).current.inference_service
    assert ref is not None and (ref.name, ref.component) == ("credit", "predictor")


@pytest.mark.parametrize(
    "extra", [{"uri": "file:///data/c.parquet"}, {"configMapKeyRef": {"name": "c", "key": "c.csv"}}]
)
def test_it_excludes_the_other_sources(extra):
    assert problem(CREDIT | extra) == "spec.current: set exactly one of uri, configMapKeyRef or inferenceService"


def test_it_is_read_as_parquet_only():
    assert (
        problem(CREDIT | {"format": "csv"})
        == "spec.current: inferenceService: the collector writes parquet; leave format out"
    )


def test_its_name_is_a_dns_label():
    assert problem({"inferenceService": {"name": "Credit_Model"}}).startswith("spec.current.inferenceService.name")


def test_the_reference_may_not_name_one():
    with pytest.raises(pydantic.ValidationError, match="inferenceService"):
        monitor.parse_spec(
            {
                "model": {"name": "credit"},
                "reference": {"inferenceService": {"name": "credit"}},
                "current": {"uri": "file:///data/c.csv"},
            }
        )


def test_the_crd_rules_match_the_validator():
    rules = {r["message"]: r["rule"] for r in current_schema()["x-kubernetes-validations"]}
    assert (
        rules["set exactly one of uri, configMapKeyRef or inferenceService"]
        == "[has(self.uri), has(self.configMapKeyRef), has(self.inferenceService)].filter(x, x).size() == 1"
    )
    assert "has(self.inferenceService)" in rules["window.duration needs window.timestampColumn or timePartitions"]
    assert "inferenceService: the collector writes parquet; leave format out" in rules
    assert current_schema()["properties"]["inferenceService"]["required"] == ["name"]


def current_schema() -> dict[str, Any]:
    crd = crds.modelmonitor_crd()
    [version] = crd["spec"]["versions"]
    return version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["current"]


@pytest.mark.parametrize(
    ("store", "uri"),
    [
        ("s3://preds/kserve", "s3://preds/kserve/ml/credit/predictor/"),
        ("s3://preds/kserve/", "s3://preds/kserve/ml/credit/predictor/"),
        ("/data", "file:///data/ml/credit/predictor/"),
        ("gs://preds", "gs://preds/ml/credit/predictor/"),
    ],
)
def test_it_resolves_to_the_collectors_dataset_of_that_model(store, uri):
    resolved = collected_source.resolve(spec(CREDIT).current, namespace="ml", store=store)
    assert resolved.uri == uri and resolved.format == "parquet" and resolved.inference_service is None
    assert resolved.time_partitions is not None
    assert (resolved.time_partitions.date_key, resolved.time_partitions.hour_key) == ("date", "hour")
    assert resolved.window == spec(CREDIT).current.window


def test_it_keeps_the_components_and_partition_keys_named_in_the_spec():
    current = spec(
        {
            "inferenceService": {"name": "credit", "component": "transformer"},
            "timePartitions": {"dateKey": "day", "hourKey": None},
            "s3": {"endpoint": "http://minio.storage:9000"},
        }
    ).current
    resolved = collected_source.resolve(current, namespace="ml", store="s3://preds")
    assert resolved.uri == "s3://preds/ml/credit/transformer/"
    assert resolved.time_partitions == current.time_partitions and resolved.s3 == current.s3


def test_other_sources_are_left_alone():
    current = spec({"uri": "file:///data/c.csv"}).current
    assert collected_source.resolve(current, namespace="ml", store="") is current
    assert collected_source.problem(current, store="") is None


def test_without_a_collector_it_is_one_line_naming_the_field_and_the_fix():
    with pytest.raises(collected_source.Unresolvable) as caught:
        collected_source.resolve(spec(CREDIT).current, namespace="ml", store="")
    message = str(caught.value)
    assert message.startswith("spec.current.inferenceService: ") and "\n" not in message
    assert "collector.enabled=true" in message and "collector.store.uri" in message


def test_options_that_do_not_suit_the_stores_scheme_are_named():
    current = spec(CREDIT | {"s3": {"region": "eu-west-1"}}).current
    with pytest.raises(collected_source.Unresolvable, match=r"^spec.current.inferenceService: .*s3 applies only"):
        collected_source.resolve(current, namespace="ml", store="gs://preds")


def body() -> dict[str, Any]:
    return {"metadata": {"name": "credit", "namespace": "ml", "uid": "u-1"}, "spec": {}}


def check_env(manifests: list[dict[str, Any]]) -> dict[str, str]:
    [cronjob] = [m for m in manifests if m["kind"] == "CronJob"]
    [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value") for e in container["env"]}


def test_the_operator_passes_its_store_to_the_check_job_that_needs_it():
    settings = OperatorSettings(collector_store="s3://preds/kserve")
    env = check_env(reconcile.desired_children(body(), spec(CREDIT), settings))
    assert env["MODELMON_COLLECTOR_STORE"] == "s3://preds/kserve"
    # a monitor reading its own uri keeps its CronJob as it was
    assert "MODELMON_COLLECTOR_STORE" not in check_env(
        reconcile.desired_children(body(), spec({"uri": "file:///data/c.csv"}), settings)
    )


def test_the_operators_store_comes_from_its_environment(monkeypatch):
    monkeypatch.setenv("MODELMON_COLLECTOR_STORE", "s3://preds/kserve")
    assert OperatorSettings().collector_store == "s3://preds/kserve"


def test_an_operator_without_a_collector_reports_invalid_spec():
    with pytest.raises(reconcile.InvalidSpec, match=r"^spec.current.inferenceService: .*collector.enabled=true"):
        reconcile.desired_children(body(), spec(CREDIT), OperatorSettings())


def test_a_collector_writing_to_a_claim_is_named_with_the_fix():
    settings = OperatorSettings(collector_store_claim="predictions")
    with pytest.raises(reconcile.InvalidSpec) as caught:
        reconcile.desired_children(body(), spec(CREDIT), settings)
    message = str(caught.value)
    assert message.startswith("spec.current.inferenceService: the collector writes to the PersistentVolumeClaim")
    assert "'predictions'" in message and "collector.store.uri" in message and "\n" not in message


def test_build_cronjob_leaves_the_store_out_when_the_operator_has_none():
    manifests = checkjob.build_children(
        monitor="credit", namespace="ml", uid="u-1", spec=spec(CREDIT), image="modelmon:test"
    )
    assert "MODELMON_COLLECTOR_STORE" not in check_env(manifests)


class FakeObjects:
    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    def get_namespaced_custom_object(self, *_: str) -> dict[str, Any]:
        return {"metadata": {"name": "credit", "namespace": "ml"}, "spec": self.raw}


RAW = {"model": {"name": "credit"}, "reference": {"uri": "file:///data/ref.csv"}, "current": CREDIT}


def test_the_check_job_reads_the_resolved_source(monkeypatch):
    monkeypatch.setattr(check_job.client, "custom_objects", lambda: FakeObjects(RAW))
    monkeypatch.setenv("MODELMON_COLLECTOR_STORE", "s3://preds/kserve")
    current = check_job.read_spec(namespace="ml", name="credit").current
    assert current.uri == "s3://preds/kserve/ml/credit/predictor/" and current.format == "parquet"


def test_the_check_job_without_the_store_says_the_spec_is_invalid(monkeypatch):
    monkeypatch.setattr(check_job.client, "custom_objects", lambda: FakeObjects(RAW))
    monkeypatch.delenv("MODELMON_COLLECTOR_STORE", raising=False)
    with pytest.raises(check_job.MonitorCheckError, match=r"invalid spec: spec.current.inferenceService: ") as caught:
        check_job.read_spec(namespace="ml", name="credit")
    # the check job always has it from the operator: missing, it is someone running the check by hand
    assert str(caught.value).endswith("(outside the check job, set MODELMON_COLLECTOR_STORE to the collector's store)")
