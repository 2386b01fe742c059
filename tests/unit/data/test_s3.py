"""The s3:// source's spec and the wording of its failures (no network: see
tests/integration/test_s3_sources.py for reads against a real S3-compatible server)."""

from __future__ import annotations

import pydantic
import pytest

from modelmon.api.monitor import parse_spec
from modelmon.api.sources import DataSource
from modelmon.data import s3
from modelmon.data.errors import DataError

LOCATION = s3.Location(bucket="ml-data", key="credit/reference.csv")


def test_spec_takes_an_endpoint_and_region_for_s3_uris():
    source = DataSource.model_validate({"uri": "s3://ml-data/credit/reference.csv",
                                        "s3": {"endpoint": "https://minio.example:9000", "region": "eu-west-1"}})
    assert source.s3 is not None
    assert (source.s3.endpoint, source.s3.region) == ("https://minio.example:9000", "eu-west-1")
    assert DataSource.model_validate({"uri": "s3://ml-data/ref.parquet"}).s3 is None


@pytest.mark.parametrize(("source", "field", "says"), [
    ({"uri": "s3://b1/k.csv", "s3": {"endpoint": "https://AKIA:secret@minio:9000"}}, ("s3", "endpoint"),
     "must not embed credentials"),
    ({"uri": "s3://b1/k.csv", "s3": {"endpoint": "minio:9000"}}, ("s3", "endpoint"), "http(s)://host[:port]"),
    ({"uri": "s3://b1/k.csv", "s3": {"endpoint": "https://minio:9000/ml-data"}}, ("s3", "endpoint"), "without a path"),
    ({"uri": "s3://b1/k.csv", "s3": {"endpoint": "https://minio:70000"}}, ("s3", "endpoint"), "invalid port"),
    ({"uri": "s3://b1/k.csv", "s3": {"region": "EU West"}}, ("s3", "region"), "pattern"),
    ({"uri": "s3://b1/k.csv", "s3": {"endpont": "https://minio"}}, ("s3", "endpont"), "Extra inputs"),
    ({"uri": "https://host/k.csv", "s3": {"region": "eu-west-1"}}, (), "s3 applies only to an s3:// uri"),
    ({"uri": "s3://ml-data/"}, (), "write s3://BUCKET/KEY"),
    ({"uri": "s3://ML_Data/k.csv"}, (), "valid bucket name"),
])
def test_spec_rejects_bad_s3_settings_naming_the_field(source, field, says):
    with pytest.raises(pydantic.ValidationError) as raised:
        DataSource.model_validate(source)
    error = raised.value.errors()[0]
    assert tuple(error["loc"]) == field and says in error["msg"]
    assert "secret" not in str(raised.value)  # the spec's text is never echoed


def test_monitor_spec_carries_s3_options_to_reference_and_ground_truth():
    spec = parse_spec({"model": {"name": "m"},
                       "reference": {"uri": "s3://ml-data/ref.csv", "s3": {"region": "eu-west-1"}},
                       "current": {"uri": "s3://ml-data/cur.parquet", "s3": {"endpoint": "http://minio.ml:9000"}},
                       "performance": {"task": "classification", "predictionColumn": "p", "targetColumn": "y",
                                       "baseline": {"accuracy": 0.9},
                                       "groundTruth": {"uri": "s3://ml-data/labels.csv", "idColumn": "id",
                                                       "s3": {"endpoint": "http://minio.ml:9000"}}}})
    assert spec.reference.s3 is not None and spec.reference.s3.region == "eu-west-1"
    assert spec.current.s3 is not None and spec.current.s3.endpoint == "http://minio.ml:9000"
    assert spec.performance is not None and spec.performance.ground_truth is not None
    assert spec.performance.ground_truth.s3 is not None


def test_parse_uri():
    assert s3.parse_uri("s3://ml-data/credit/2026/ref.csv") == s3.Location("ml-data", "credit/2026/ref.csv")
    assert s3.parse_uri("s3://ml-data/credit/ref.csv").uri == "s3://ml-data/credit/ref.csv"
    for bad in ("s3://ml-data", "s3://ml-data/", "s3://ml-data/dir/", "s3:///key.csv"):
        with pytest.raises(DataError, match="write s3://BUCKET/KEY"):
            s3.parse_uri(bad)


@pytest.mark.parametrize(("sdk_message", "expected"), [
    ("When reading information for key 'credit/reference.csv' in bucket 'ml-data': AWS Error ACCESS_DENIED "
     "during HeadObject operation: No response body.",
     "access denied to key 'credit/reference.csv' in bucket 'ml-data': the check's credentials (its "
     "ServiceAccount's cloud identity or AWS_* environment) need s3:GetObject on it"),
    ("When reading information for key 'credit/reference.csv' in bucket 'ml-data': AWS Error UNKNOWN "
     "(HTTP status 403) during HeadObject operation: Unable to parse ExceptionName: AccessDenied",
     "access denied to key 'credit/reference.csv' in bucket 'ml-data': the check's credentials (its "
     "ServiceAccount's cloud identity or AWS_* environment) need s3:GetObject on it"),
    ("When getting information for key 'credit/reference.csv' in bucket 'ml-data': AWS Error NETWORK_CONNECTION "
     "during HeadObject operation: curlCode: 7, Could not connect to server; Details: Failed to connect to "
     "minio.ml port 9000 after 0 ms: Could not connect to server",
     "cannot reach endpoint http://minio.ml:9000: Failed to connect to minio.ml port 9000 after 0 ms: "
     "Could not connect to server"),
    ("When reading 'credit/reference.csv' in bucket 'ml-data': AWS Error INVALID_ACCESS_KEY_ID during GetObject "
     "operation: The AWS Access Key Id you provided does not exist in our records.",
     "endpoint http://minio.ml:9000 rejected the check's credentials (unknown access key or wrong secret)"),
    ("AWS Error NO_SUCH_BUCKET during GetObject operation: The specified bucket does not exist",
     "bucket 'ml-data' does not exist at endpoint http://minio.ml:9000"),
    ("AWS Error SLOW_DOWN during GetObject operation: Please reduce your request rate.\nmore detail",
     "cannot read key 'credit/reference.csv' in bucket 'ml-data': AWS Error SLOW_DOWN during GetObject "
     "operation: Please reduce your request rate."),
])
def test_failures_are_worded_for_a_person(sdk_message, expected):
    assert s3.explain(OSError(sdk_message), LOCATION, endpoint="http://minio.ml:9000") == expected


def test_missing_key_and_aws_wording():
    missing = FileNotFoundError("[Errno 2] Path does not exist 'ml-data/credit/reference.csv'")
    assert s3.explain(missing, LOCATION, endpoint=None) == "no object with key 'credit/reference.csv' in bucket 'ml-data'"
    offline = OSError("AWS Error NETWORK_CONNECTION during GetObject operation: curlCode: 6, Could not resolve "
                      "hostname; Details: Could not resolve host: ml-data.s3.eu-west-1.amazonaws.com")
    assert s3.explain(offline, LOCATION, endpoint=None) == ("cannot reach AWS S3: Could not resolve host: "
                                                            "ml-data.s3.eu-west-1.amazonaws.com")


def test_endpoint_from_the_environment_prefers_the_s3_specific_variable(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert s3.endpoint_from_environment() is None
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://generic:9000")
    assert s3.endpoint_from_environment() == "http://generic:9000"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://s3-only:9000")
    assert s3.endpoint_from_environment() == "http://s3-only:9000"
