"""Bounds in the spec models, and so in the CRD: what the API server admits, the operator can
reconcile (#20). Image references, claim names and quantities are checked at admission with the
field's name, instead of a check Job that never starts or a child refused on every retry."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from modelmon.api import crds
from modelmon.api import monitor as api

BASE = {"model": {"name": "m"}, "reference": {"uri": "file:///data/r.csv"}, "current": {"uri": "file:///data/c.csv"}}


def parse(**spec: Any) -> api.ModelMonitorSpec:
    return api.parse_spec({**BASE, **spec})


@pytest.mark.parametrize(
    "image",
    [
        "modelmon",
        "ghcr.io/acme/modelmon:1.4.0",
        "localhost:5000/modelmon",
        "registry.example.com:443/team/sub/modelmon:v2-rc.1",
        "modelmon@sha256:" + "a" * 64,
        "quay.io/x/modelmon:1@sha256:" + "0" * 64,
    ],
)
def test_image_references_the_runtimes_accept_are_admitted(image):
    assert parse(checkJob={"image": image}).check_job.image == image


@pytest.mark.parametrize(
    "image", ["Not An Image", "ghcr.io/Acme/modelmon", "modelmon:", ":latest", "-x", "modelmon@sha256:short", "a" * 513]
)
def test_malformed_image_references_are_refused_naming_the_field(image):
    with pytest.raises(pydantic.ValidationError) as raised:
        parse(checkJob={"image": image})
    assert raised.value.errors()[0]["loc"][:2] == ("checkJob", "image")


@pytest.mark.parametrize("claim", ["Data_Claim", "data claim", "-data", "a" * 254])
def test_a_volume_claim_must_be_a_dns_name(claim):
    with pytest.raises(pydantic.ValidationError) as raised:
        parse(checkJob={"volumeClaim": claim})
    assert raised.value.errors()[0]["loc"][:2] == ("checkJob", "volumeClaim")


def test_quantities_are_numbers_or_kubernetes_quantity_strings():
    spec = parse(checkJob={"resources": {"limits": {"cpu": 2, "memory": "1.5Gi"}, "requests": {"cpu": "500m"}}})
    assert spec.check_job.resources == {"limits": {"cpu": 2, "memory": "1.5Gi"}, "requests": {"cpu": "500m"}}
    with pytest.raises(pydantic.ValidationError):
        parse(checkJob={"resources": {"limits": {"cpu": "lots"}}})


def test_at_most_10000_features():
    features = [{"name": f"f{n}", "type": "numeric"} for n in range(10001)]
    with pytest.raises(pydantic.ValidationError):
        parse(features=features)
    assert len(parse(features=features[:10000]).features or []) == 10000


def test_the_crd_carries_the_same_bounds():
    crd = crds.build_crd(next(r for r in crds.RESOURCES if r.plural == "modelmonitors"))
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    job = spec["checkJob"]["properties"]
    assert job["image"]["pattern"] == api.IMAGE_REFERENCE and job["image"]["maxLength"] == 512
    assert job["volumeClaim"]["pattern"] == api.DNS_SUBDOMAIN and job["volumeClaim"]["maxLength"] == 253
    quantity = job["resources"]["additionalProperties"]["additionalProperties"]
    assert quantity == {"x-kubernetes-int-or-string": True, "pattern": api.QUANTITY, "maxLength": 64}
    assert spec["features"]["maxItems"] == 10000
