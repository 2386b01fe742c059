"""The operator pod meets the restricted Pod Security Standard, and its RBAC is least privilege
yet enough: every API call in the operator's code is allowed, nothing more is wildcarded."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmon.api import monitor as monitor_api
from modelmon.manifests import checkjob
from chart_rendering import (EVERYTHING_ON, ROOT, is_user_role, one, operator_cluster_role, operator_container,
                             render, select, watched_namespace_roles)

PACKAGE = ROOT / "operator" / "modelmon"


def pod_spec(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return one(documents, "Deployment")["spec"]["template"]["spec"]


@pytest.mark.parametrize("values", [{}, EVERYTHING_ON], ids=["defaults", "everything-on"])
def test_pod_meets_the_restricted_pod_security_standard(values):
    documents = render(values)
    pod, container = pod_spec(documents), operator_container(documents)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["runAsNonRoot"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    for forbidden in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(forbidden)
    assert "privileged" not in context


def test_the_only_writable_path_is_a_bounded_tmp():
    documents = render()
    mounts = operator_container(documents)["volumeMounts"]
    volumes = {v["name"]: v for v in pod_spec(documents)["volumes"]}
    assert mounts == [{"name": "tmp", "mountPath": "/tmp"}]
    assert volumes["tmp"] == {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}


def test_the_pod_runs_as_the_images_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.findall(r"^USER\s+(\d+)(?::(\d+))?\s*$", dockerfile, flags=re.M)[-1]
    context = pod_spec(render())["securityContext"]
    assert (str(context["runAsUser"]), str(context["runAsGroup"])) == user


# --- RBAC ------------------------------------------------------------------------------------------

def rbac_documents(values: dict[str, Any]) -> list[dict[str, Any]]:
    documents = render(values)
    return [d for d in select(documents, "ClusterRole") if not is_user_role(d)] + select(documents, "Role")


VALUE_SETS = {"cluster-wide": {}, "namespaced": EVERYTHING_ON,
              "peering": {"replicaCount": 2, "operator": {"peering": {"enabled": True}}}}


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_no_wildcards_no_escalation_no_secret_listing(values):
    for role in rbac_documents(values):
        for rule in role["rules"]:
            for key in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule[key], (role["metadata"]["name"], rule)
            assert not {"escalate", "bind", "impersonate", "deletecollection"} & set(rule["verbs"]), rule
            assert "nonResourceURLs" not in rule
            if "secrets" in rule["resources"]:
                assert rule["verbs"] == ["get"], "Secrets are read by name only, never listed or watched"
            # Rights on RBAC objects are for the checker accounts only: create/patch, never delete.
            if rule["apiGroups"] == ["rbac.authorization.k8s.io"]:
                assert set(rule["verbs"]) <= {"get", "create", "patch"}
                assert "clusterroles" not in rule["resources"] and "clusterrolebindings" not in rule["resources"]


def granted(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(group, resource, verb) for rule in rules for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]}


#: Typed client method stems -> (API group, plural). Calls through the typed clients name
#: their resource in the method name (create_namespaced_cron_job...).
TYPED_RESOURCES = {
    "config_map": ("", "configmaps"), "event": ("", "events"), "pod": ("", "pods"), "secret": ("", "secrets"),
    "service": ("", "services"), "service_account": ("", "serviceaccounts"), "namespace": ("", "namespaces"),
    "persistent_volume_claim": ("", "persistentvolumeclaims"),
    "cron_job": ("batch", "cronjobs"), "job": ("batch", "jobs"),
    "deployment": ("apps", "deployments"), "replica_set": ("apps", "replicasets"),
    "role": ("rbac.authorization.k8s.io", "roles"), "role_binding": ("rbac.authorization.k8s.io", "rolebindings"),
}
VERBS = {"create": "create", "read": "get", "get": "get", "patch": "patch", "delete": "delete", "list": "list",
         "replace": "update"}
TYPED_CALL = re.compile(r"\.(create|read|patch|delete|list|replace)_namespaced_(?!custom_object)([a-z_]+?)(_status|_log)?\b(?!_)")
CUSTOM_CALL = re.compile(r"\.(get|patch|create|delete|list|replace)_(?:namespaced|cluster)_custom_object(_status)?\b")
ALL_NAMESPACES_CALL = re.compile(r"\.list_([a-z_]+?)_for_all_namespaces\b")
#: kopf handlers on built-in kinds: kopf.on.event("batch", "v1", "cronjobs", ...) lists and watches.
KOPF_HANDLER = re.compile(r"kopf\.(?:on\.\w+|daemon|timer|index)\(\s*\"([^\"]*)\"\s*,\s*\"([^\"]*)\"\s*,\s*\"([a-z]+)\"")


def operator_code() -> dict[Path, str]:
    # The product only: the emulator and the demo are kits (kits/modelmon_kits), outside PACKAGE.
    return {path: path.read_text() for path in PACKAGE.rglob("*.py")}


def required_by_typed_calls() -> dict[tuple[str, str, str], list[str]]:
    needed: dict[tuple[str, str, str], list[str]] = {}
    for path, text in operator_code().items():
        for verb, stem, sub in TYPED_CALL.findall(text):
            assert stem in TYPED_RESOURCES, f"{path}: add {stem!r} to TYPED_RESOURCES (and the chart's RBAC)"
            group, plural = TYPED_RESOURCES[stem]
            resource = plural + ("/status" if sub == "_status" else "/log" if sub == "_log" else "")
            needed.setdefault((group, resource, VERBS[verb]), []).append(str(path.relative_to(PACKAGE)))
        for stem in ALL_NAMESPACES_CALL.findall(text):
            assert stem in TYPED_RESOURCES, f"{path}: add {stem!r} to TYPED_RESOURCES (and the chart's RBAC)"
            group, plural = TYPED_RESOURCES[stem]
            needed.setdefault((group, plural, "list"), []).append(str(path.relative_to(PACKAGE)))
        for group, _version, plural in KOPF_HANDLER.findall(text):
            for verb in ("list", "watch"):
                needed.setdefault(("" if group == "v1" else group, plural, verb), []).append(
                    str(path.relative_to(PACKAGE)))
    return needed


#: Plain JSON requests (k8s/client.request_json, used by k8s/apply.py) name their HTTP method; the
#: paths they reach are apply.py's collections of the kinds it applies.
JSON_CALL = re.compile(r"request_json\(\s*\"(POST|GET|PATCH|PUT|DELETE)\"")
HTTP_VERBS = {"POST": "create", "GET": "get", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}


def required_by_json_requests() -> dict[tuple[str, str, str], list[str]]:
    from modelmon.k8s import apply

    needed: dict[tuple[str, str, str], list[str]] = {}
    for path, text in operator_code().items():
        methods = JSON_CALL.findall(text)
        if not methods:
            continue
        assert path == PACKAGE / "k8s" / "apply.py", f"{path}: a plain JSON request outside k8s/apply.py: name its path here"
        for collection in apply.COLLECTIONS.values():
            parts = collection.strip("/").split("/")  # api/v1/... or apis/GROUP/VERSION/...
            group, plural = ("" if parts[0] == "api" else parts[1]), parts[-1]
            for method in methods:
                needed.setdefault((group, plural, HTTP_VERBS[method]), []).append(str(path.relative_to(PACKAGE)))
    return needed


def custom_resources() -> list[str]:
    """Plurals of this project's custom resources: the CRDs the chart ships."""
    plurals = []
    for path in sorted((ROOT / "charts" / "modelmon" / "files" / "crds").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                plurals.append(document["spec"]["names"]["plural"])
    return plurals


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin, from the module's `from X import Y [as Z]` statements."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _plural_of_call(call: ast.Call, imported: dict[str, str]) -> str | None:
    """The plural a custom-object call names through a `PLURAL` constant, if it can be told."""
    for argument in call.args:
        origin = None
        if isinstance(argument, ast.Attribute) and argument.attr == "PLURAL" and isinstance(argument.value, ast.Name):
            origin = imported.get(argument.value.id)
        elif isinstance(argument, ast.Name) and argument.id == "PLURAL":
            origin = (imported.get("PLURAL") or "").rpartition(".")[0] or None
        if origin:
            return str(importlib.import_module(origin).PLURAL)
    return None


def required_by_custom_object_calls() -> dict[tuple[str, str, str], list[str]]:
    """Custom-object calls name their plural through a module's PLURAL constant, resolved
    here; a call that hides it (e.g. `*args`) is assumed to touch every project CRD."""
    needed: dict[tuple[str, str, str], list[str]] = {}
    for path, text in operator_code().items():
        tree = ast.parse(text)
        imported = _imported_names(tree)
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            match = CUSTOM_CALL.fullmatch("." + call.func.attr)
            if not match:
                continue
            verb, status = match.groups()
            # kopf's peering objects (k8s/peering.py) are named by literal plurals of kopf.dev.
            peerings = [a.value for a in call.args if isinstance(a, ast.Constant) and a.value in KOPF_PEERINGS]
            if peerings:
                needed.setdefault(("kopf.dev", peerings[0], VERBS[verb]), []).append(str(path.relative_to(PACKAGE)))
                continue
            plural = _plural_of_call(call, imported)
            for name in [plural] if plural else custom_resources():
                resource = name + ("/status" if status else "")
                needed.setdefault(("modelmon.io", resource, VERBS[verb]), []).append(str(path.relative_to(PACKAGE)))
    return needed


KOPF_PEERINGS = ("clusterkopfpeerings", "kopfpeerings")

#: What kopf itself does with the resources the operator handles (watching, its annotations,
#: the status patch of handlers, Events it posts).
KOPF_NEEDS = {("modelmon.io", plural, verb) for plural in ("modelmonitors", "retrainingjobs")
              for verb in ("list", "watch", "patch")} | {
    ("modelmon.io", "modelmonitors/status", "patch"), ("modelmon.io", "retrainingjobs/status", "patch"),
    ("batch", "cronjobs", "list"), ("batch", "cronjobs", "watch"), ("", "events", "create")} | {
    # kopf's peering: it watches the peering object and patches its own record into it.
    ("kopf.dev", plural, verb) for plural in KOPF_PEERINGS for verb in ("get", "list", "watch", "patch")}


@pytest.mark.parametrize("values", [{}, EVERYTHING_ON], ids=["cluster-wide", "namespaced"])
def test_every_api_call_in_the_operator_is_allowed(values):
    documents = render(values)
    rights = granted((watched_namespace_roles(documents) or [operator_cluster_role(documents)])[0]["rules"])
    needed = {**required_by_typed_calls(), **required_by_custom_object_calls(), **required_by_json_requests()}
    # One peering kind per install: a ClusterKopfPeering cluster-wide, KopfPeerings per watched namespace.
    other_peering = "clusterkopfpeerings" if values.get("watchNamespaces") else "kopfpeerings"
    rights |= {right for right in needed if right[:2] == ("kopf.dev", other_peering)}
    if not values.get("watchNamespaces"):
        rights |= granted(operator_cluster_role(documents)["rules"])
    # Secrets are granted by name, one Role per namespace (templates/secret-access.yaml), never
    # in the operator's main role: the per-name grant is tested in test_chart_render.py.
    rights |= {("", "secrets", "get")}
    missing = {right: where for right, where in needed.items() if right not in rights}
    assert not missing, f"the chart's RBAC lacks rights the code uses: {missing}"
    assert {r for r in KOPF_NEEDS if r[:2] != ("kopf.dev", other_peering)} <= rights, KOPF_NEEDS - rights
    assert required_by_typed_calls(), "the scan found no API calls: its pattern is broken"
    assert ("batch", "cronjobs", "create") in required_by_json_requests(), "the JSON request scan is broken"


#: Cluster-scoped discovery kopf does on its own (its resource and namespace observers).
KOPF_DISCOVERY = {("apiextensions.k8s.io", "customresourcedefinitions", v) for v in ("list", "watch")} | {
    ("", "namespaces", v) for v in ("list", "watch")}


def checker_grants() -> set[tuple[str, str, str]]:
    """What the operator hands to drift-check jobs, which it must therefore hold."""
    spec = monitor_api.parse_spec({
        "model": {"name": "m"}, "schedule": "*/15 * * * *",
        "reference": {"configMapKeyRef": {"name": "ref-data", "key": "ref.csv"}},
        "current": {"configMapKeyRef": {"name": "cur-data", "key": "cur.csv"}}})
    return granted(checkjob.build_role(monitor="m", namespace="team-a", uid="u", spec=spec)["rules"])


@pytest.mark.parametrize("values", [{}, EVERYTHING_ON], ids=["cluster-wide", "namespaced"])
def test_no_right_that_no_code_uses(values):
    """Least privilege, the other way round: every right the chart grants is used by the
    code (or kopf, or handed on to check jobs)."""
    documents = render(values)
    rights = set().union(*(granted(role["rules"]) for role in
                           select(documents, "Role") + [operator_cluster_role(documents)]))
    needed = set(required_by_typed_calls()) | set(required_by_custom_object_calls()) | set(required_by_json_requests())
    unused = rights - needed - KOPF_NEEDS - KOPF_DISCOVERY - checker_grants()
    assert not unused, f"the chart grants rights nothing uses: {sorted(unused)}"


def test_kopf_can_discover_crds_and_namespaces():
    cluster_wide = granted(operator_cluster_role(render())["rules"])
    assert {("apiextensions.k8s.io", "customresourcedefinitions", v) for v in ("list", "watch")} <= cluster_wide
    namespaced = render(EVERYTHING_ON)
    discovery = granted(operator_cluster_role(namespaced)["rules"])
    assert {("", "namespaces", "list"), ("", "namespaces", "watch")} <= discovery


def test_operator_holds_every_right_it_grants_to_drift_check_jobs():
    """RBAC refuses to create a Role granting rights the creator lacks (unless it may
    escalate, which the chart never grants): the operator must hold what checkers get."""
    spec = monitor_api.parse_spec({
        "model": {"name": "m", "deploymentRef": {"name": "m"}},
        "schedule": "*/15 * * * *",
        "reference": {"configMapKeyRef": {"name": "ref-data", "key": "ref.csv"}},
        "current": {"configMapKeyRef": {"name": "cur-data", "key": "cur.csv"}},
    })
    checker = checkjob.build_role(monitor="m", namespace="team-a", uid="u", spec=spec)
    for values in ({}, EVERYTHING_ON):
        documents = render(values)
        holder = (watched_namespace_roles(documents) or [operator_cluster_role(documents)])[0]
        assert granted(checker["rules"]) <= granted(holder["rules"])
