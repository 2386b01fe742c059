"""A monitor's check job gets its cloud identity (IRSA, Workload Identity) from the monitor's spec:
spec.checkJob.serviceAccountAnnotations lands on the <monitor>-checker ServiceAccount, so it can live in git."""

import kubernetes_validate
import pydantic
import pytest

from modelmon.api import monitor as api
from modelmon.manifests import checkjob

ROLE = {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/credit-logs-reader"}


def account(**check_job):
    spec = api.parse_spec(
        {
            "model": {"name": "credit"},
            "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
            "current": {"uri": "s3://logs/credit/"},
            "checkJob": check_job,
        }
    )
    children = checkjob.build_children(monitor="credit", namespace="ml", uid="u-1", spec=spec, image="modelmon:test")
    return next(m for m in children if m["kind"] == "ServiceAccount")


def test_the_annotations_land_on_the_checkers_service_account():
    body = account(serviceAccountAnnotations={**ROLE, "iam.gke.io/gcp-service-account": "c@p.iam.gserviceaccount.com"})
    assert body["metadata"]["name"] == "credit-checker"
    assert body["metadata"]["annotations"] == {**ROLE, "iam.gke.io/gcp-service-account": "c@p.iam.gserviceaccount.com"}
    kubernetes_validate.validate(body, "1.33", strict=True)


def test_without_them_the_operator_sets_no_annotations():
    # A merge patch without the key leaves annotations set by others (a person's, EKS Pod Identity's) alone.
    assert "annotations" not in account()["metadata"]


@pytest.mark.parametrize("key", ["bad key", "-x", "Upper.Case/role", "a" * 64])
def test_a_key_the_api_server_would_refuse_is_an_invalid_spec(key):
    with pytest.raises(pydantic.ValidationError, match="is not an annotation key"):
        account(serviceAccountAnnotations={key: "x"})
