"""``k8s.secrets.read_secret`` against the real kube-apiserver: the value of a key, and errors
that name the Secret and key (missing Secret, missing key, no RBAC) without any value."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import kubernetes
import pytest

from modelmon.k8s import client, secrets


@pytest.fixture(scope="module")
def api(control_plane: Any) -> Iterator[kubernetes.client.ApiClient]:
    admin = kubernetes.config.new_client_from_config(config_file=str(control_plane.kubeconfig))
    with admin, client.process_wide(admin):
        yield admin


@pytest.fixture(scope="module")
def namespace(api: kubernetes.client.ApiClient) -> Iterator[str]:
    core = kubernetes.client.CoreV1Api(api)
    name = f"secrets-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name}})
    core.create_namespaced_secret(name, {"metadata": {"name": "sinks"}, "stringData": {
        "slack-url": "https://hooks.slack.com/services/T/B/zzSECRETzz", "password": "pä55 wörd\n"}})
    core.create_namespaced_secret(name, {"metadata": {"name": "binary"}, "data": {"blob": "//79/A=="}})
    yield name
    core.delete_namespace(name)


def test_reads_the_value_of_a_key(namespace):
    assert secrets.read_secret(namespace, "sinks", "slack-url") == "https://hooks.slack.com/services/T/B/zzSECRETzz"
    assert secrets.read_secret(namespace, "sinks", "password") == "pä55 wörd\n"


@pytest.mark.parametrize(("name", "key", "expected"), [
    ("absent", "x", "Secret {ns}/absent does not exist"),
    ("sinks", "token", "Secret {ns}/sinks has no key 'token' (keys: password, slack-url)"),
    ("binary", "blob", "Secret {ns}/binary key 'blob' is not UTF-8 text"),
])
def test_errors_name_the_secret_and_key_but_no_value(namespace, name, key, expected):
    with pytest.raises(secrets.SecretError) as caught:
        secrets.read_secret(namespace, name, key)
    assert str(caught.value) == expected.format(ns=namespace)
    assert "zzSECRETzz" not in str(caught.value) and caught.value.__cause__ is None


def test_without_rbac_the_error_says_which_permission_is_missing(api, control_plane, namespace):
    outsider = kubernetes.config.new_client_from_config(config_file=str(control_plane.kubeconfig))
    outsider.set_default_header("Impersonate-User", f"system:serviceaccount:{namespace}:default")
    with outsider, client.use(outsider), pytest.raises(secrets.SecretError) as caught:
        secrets.read_secret(namespace, "sinks", "password")
    # the fix in the chart's terms: the default install reads only the Secrets it is told of
    assert str(caught.value) == (
        f"the operator may not read Secret {namespace}/sinks: list it in the chart's rbac.secrets "
        f"(namespace {namespace}, names [sinks]) or bind a Role granting get on it"
    )
