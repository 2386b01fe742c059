"""The chart rendered by Helm's own engine: what a default install creates, what every option
changes, and that each rendered object is valid against Kubernetes 1.34's own schemas."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

import modelmon
from modelmon.cli import build_parser
from modelmon.settings import OperatorSettings
from chart_rendering import (CHART, EVERYTHING_ON, KUBERNETES_VERSION, NAMESPACE, RELEASE, ROOT, env, env_sources,
                             is_user_role, one, operator_cluster_role, operator_container, render, select,
                             watched_namespace_roles)


def chart_metadata() -> dict[str, Any]:
    return yaml.safe_load((CHART / "Chart.yaml").read_text())


# --- a default install -------------------------------------------------------------------------

def test_default_install_creates_the_operator_and_its_cluster_wide_rights():
    documents = render()
    kinds = sorted(d["kind"] for d in documents if not is_user_role(d) and d["kind"] != "CustomResourceDefinition")
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount",
                     "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    cluster_scoped = ("ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "ValidatingAdmissionPolicy",
                      "ValidatingAdmissionPolicyBinding")
    for document in documents:
        if document["kind"] not in cluster_scoped:
            assert document["metadata"]["namespace"] == NAMESPACE
        assert document["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE


def test_chart_app_version_is_the_package_version_and_the_default_image_is_the_project_image():
    app_version = chart_metadata()["appVersion"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert app_version == project["version"] == modelmon.__version__
    container = operator_container(render())
    assert container["image"] == f"ghcr.io/modelmon/modelmon:{app_version}"
    # The drift-check jobs run the same image, which is also the operator's built-in default.
    assert env(render())["MODELMON_CHECK_IMAGE"] == container["image"] == OperatorSettings().check_image


def test_two_peering_replicas_by_default_rolled_one_at_a_time():
    documents = render()
    deployment = one(documents, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    args = build_parser(command="run").parse_args(operator_container(documents)["args"])
    assert (args.peering, args.peering_lifetime) == ("modelmon", 30)
    # A new pod starts as a standby (lower priority by seniority) before an old one stops.
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    spread = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    term = spread["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
    assert term["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]


def test_one_replica_without_peering_recreated_never_two_at_once():
    documents = render({"replicaCount": 1, "operator": {"peering": {"enabled": False}}})
    deployment = one(documents, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert "affinity" not in deployment["spec"]["template"]["spec"]
    assert build_parser(command="run").parse_args(operator_container(documents)["args"]).peering is None
    assert not [r for r in operator_cluster_role(documents)["rules"] if r["apiGroups"] == ["kopf.dev"]]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_operator_arguments_are_understood_by_the_real_cli():
    args = build_parser(command="run").parse_args(operator_container(render())["args"])
    assert args.command == "run"
    assert args.namespace is None  # cluster-wide
    assert args.metrics_port == 9090
    assert args.liveness == "http://0.0.0.0:8080/healthz"
    assert args.log_format == "text"
    assert args.peering == "modelmon"


def test_probes_and_ports_point_at_kopfs_health_endpoint_and_the_metrics_port():
    container = operator_container(render())
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": 9090, "health": 8080}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    service = one(render(), "Service")
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}]
    assert service["spec"]["selector"].items() <= one(render(), "Deployment")["spec"]["template"]["metadata"]["labels"].items()


def test_every_modelmon_environment_variable_is_an_operator_setting(monkeypatch):
    documents = render(EVERYTHING_ON)
    variables = {name: value for name, value in env(documents).items() if name.startswith("MODELMON_")}
    sources = env_sources(documents)
    fields = set(OperatorSettings.model_fields)
    unknown = sorted(name for name in [*variables, *sources]
                     if name.startswith("MODELMON_") and name.removeprefix("MODELMON_").lower() not in fields)
    assert not unknown, f"the chart sets {unknown}, which settings.OperatorSettings does not read"
    # The downward API gives the pod its namespace (where default alert sinks' Secrets live).
    assert sources["MODELMON_OPERATOR_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    for name, value in {**variables, "MODELMON_OPERATOR_NAMESPACE": NAMESPACE}.items():
        monkeypatch.setenv(name, value)
    settings = OperatorSettings()
    assert settings.operator_namespace == NAMESPACE
    assert settings.check_image == "registry.example.com/ml/modelmon-check:7"
    assert settings.check_image_pull_policy == "Always"
    assert settings.max_training_jobs == 5
    assert settings.retraining_poll_seconds == 2.5
    assert (settings.training_active_deadline_seconds, settings.training_backoff_limit) == (3600, 0)
    defaults = settings.default_alerts
    assert defaults is not None and defaults.cooldown == "2h"
    assert [(s.name, s.min_severity, s.slack.webhook_url_secret_ref.name) for s in defaults.sinks] == [
        ("oncall", "critical", "slack-webhook")]


def test_chart_defaults_are_the_operators_own_defaults():
    variables = env(render())
    defaults = OperatorSettings()
    assert int(variables["MODELMON_MAX_TRAINING_JOBS"]) == defaults.max_training_jobs
    assert float(variables["MODELMON_RETRAINING_POLL_SECONDS"]) == defaults.retraining_poll_seconds
    assert int(variables["MODELMON_TRAINING_ACTIVE_DEADLINE_SECONDS"]) == defaults.training_active_deadline_seconds
    assert int(variables["MODELMON_TRAINING_BACKOFF_LIMIT"]) == defaults.training_backoff_limit
    assert "MODELMON_DEFAULT_ALERTS" not in variables  # no operator-wide alert defaults unless given
    assert variables["MODELMON_CHECK_IMAGE_PULL_POLICY"] == defaults.check_image_pull_policy


# --- every option ------------------------------------------------------------------------------

def test_watched_namespaces_get_a_role_each_and_the_operator_is_told_which():
    documents = render(EVERYTHING_ON)
    args = build_parser(command="run").parse_args(operator_container(documents)["args"])
    assert args.namespace == ["team-a", "team-b"]
    roles = watched_namespace_roles(documents)
    bindings = [b for b in select(documents, "RoleBinding") if b["metadata"]["name"] == f"{RELEASE}-modelmon"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b"]
    account = one(documents, "ServiceAccount")["metadata"]
    for binding in bindings:
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                      "name": roles[0]["metadata"]["name"]}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["name"],
                                        "namespace": account["namespace"]}]
    # What stays cluster-wide is read-only discovery: no namespaced resource at all.
    cluster_rules = operator_cluster_role(documents)["rules"]
    assert {r for rule in cluster_rules for r in rule["resources"]} == {"customresourcedefinitions", "namespaces"}
    assert {v for rule in cluster_rules for v in rule["verbs"]} == {"list", "watch"}


def test_custom_image_resources_and_scheduling_are_passed_through():
    documents = render(EVERYTHING_ON)
    container = operator_container(documents)
    pod = one(documents, "Deployment")["spec"]["template"]["spec"]
    assert container["image"] == "registry.example.com/ml/modelmon:0.2.0-rc1"
    assert container["imagePullPolicy"] == "Always"
    assert container["resources"] == EVERYTHING_ON["resources"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"] == EVERYTHING_ON["tolerations"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert {"name": "HTTPS_PROXY", "value": "http://proxy.example.com:3128"} in container["env"]
    args = build_parser(command="run").parse_args(container["args"])
    assert (args.metrics_port, args.liveness, args.log_format) == (9100, "http://0.0.0.0:8081/healthz", "json")
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"metrics": 9100, "health": 8081}


def test_a_digest_pins_the_image():
    digest = "sha256:" + "ab" * 32
    container = operator_container(render({"image": {"digest": digest}}))
    assert container["image"] == f"ghcr.io/modelmon/modelmon@{digest}"


def test_service_monitor_scrapes_the_metrics_service():
    documents = render(EVERYTHING_ON)
    monitor, service = one(documents, "ServiceMonitor"), one(documents, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "15s",
                                             "scrapeTimeout": "10s", "honorLabels": True}]
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]


def test_service_monitor_takes_honor_labels_and_relabelings_from_values():
    relabel = [{"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node", "action": "replace"}]
    drop = [{"sourceLabels": ["__name__"], "regex": "python_gc_.*", "action": "drop"}]
    values = {"metrics": {"serviceMonitor": {"enabled": True, "honorLabels": False, "relabelings": relabel,
                                             "metricRelabelings": drop}}}
    (endpoint,) = one(render(values), "ServiceMonitor")["spec"]["endpoints"]
    assert endpoint["honorLabels"] is False
    assert endpoint["relabelings"] == relabel and endpoint["metricRelabelings"] == drop


def test_dashboard_config_map_carries_the_dashboard_for_grafanas_sidecar():
    config_map = one(render(EVERYTHING_ON), "ConfigMap")
    assert config_map["metadata"]["namespace"] == "monitoring"
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "ML"}
    shipped = json.loads((CHART / "dashboards" / "modelmon.json").read_text())
    assert json.loads(config_map["data"]["modelmon.json"]) == shipped


def test_pod_disruption_budget_selects_the_operator_pod():
    documents = render(EVERYTHING_ON)
    budget = one(documents, "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"] == one(documents, "Deployment")["spec"]["selector"]["matchLabels"]


def test_peering_allows_several_replicas_with_the_peering_rights():
    documents = render({"replicaCount": 2, "operator": {"peering": {"enabled": True, "name": "modelmon-peers"}}})
    assert one(documents, "Deployment")["spec"]["replicas"] == 2
    assert build_parser(command="run").parse_args(operator_container(documents)["args"]).peering == "modelmon-peers"
    peering = [r for r in operator_cluster_role(documents)["rules"] if r["apiGroups"] == ["kopf.dev"]]
    assert peering == [{"apiGroups": ["kopf.dev"], "resources": ["clusterkopfpeerings"],
                        "verbs": ["get", "list", "watch", "patch", "create"]}]
    namespaced = render({"watchNamespaces": ["team-a"], "operator": {"peering": {"enabled": True}}})
    (role,) = watched_namespace_roles(namespaced)
    role_groups = [r["resources"] for r in role["rules"] if r["apiGroups"] == ["kopf.dev"]]
    assert role_groups == [["kopfpeerings"]]


def test_existing_service_account_and_no_rbac():
    documents = render({"serviceAccount": {"create": False, "name": "platform-operator"},
                        "rbac": {"create": False, "aggregateToDefaultRoles": True}})
    assert sorted(d["kind"] for d in documents if d["kind"] != "CustomResourceDefinition") == ["Deployment", "Service"]
    assert one(documents, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "platform-operator"


def test_people_who_may_edit_a_namespace_may_apply_monitors_in_it():
    user_roles = {d["metadata"]["name"]: d for d in select(render(), "ClusterRole") if is_user_role(d)}
    view, edit = user_roles[f"{RELEASE}-modelmon-view"], user_roles[f"{RELEASE}-modelmon-edit"]
    assert {k for k in view["metadata"]["labels"] if k.startswith("rbac.")} == {
        f"rbac.authorization.k8s.io/aggregate-to-{r}" for r in ("view", "edit", "admin")}
    assert {k for k in edit["metadata"]["labels"] if k.startswith("rbac.")} == {
        f"rbac.authorization.k8s.io/aggregate-to-{r}" for r in ("edit", "admin")}
    assert {v for rule in view["rules"] for v in rule["verbs"]} == {"get", "list", "watch"}
    # Writing status is the operator's alone: people never get a verb on */status but reads.
    for rule in edit["rules"]:
        assert not [r for r in rule["resources"] if r.endswith("/status")]
    assert not [d for d in select(render({"rbac": {"aggregateToDefaultRoles": False}}), "ClusterRole") if is_user_role(d)]


def test_the_default_sinks_secrets_are_readable_by_name_in_the_release_namespace_only():
    documents = render(EVERYTHING_ON)
    (role,) = [r for r in select(documents, "Role") if r["metadata"]["namespace"] == NAMESPACE]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["slack-webhook"],
                              "verbs": ["get"]}]
    (binding,) = [b for b in select(documents, "RoleBinding") if b["metadata"]["namespace"] == NAMESPACE]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == one(documents, "ServiceAccount")["metadata"]["name"]
    # Nowhere else a Secret: the watched namespaces' Roles grant none.
    for other in watched_namespace_roles(documents):
        assert not [r for r in other["rules"] if "secrets" in r["resources"]]


def test_secrets_are_readable_by_name_unless_every_secret_is_asked_for():
    def secret_rules(values: dict[str, Any]) -> list[dict[str, Any]]:
        documents = render(values)
        return [r for d in [operator_cluster_role(documents), *select(documents, "Role")]
                for r in d["rules"] if "secrets" in r["resources"]]

    assert secret_rules({}) == []
    named = {"rbac": {"create": True, "secrets": [{"namespace": "team-a", "names": ["slack", "token"]},
                                                  {"namespace": "team-b", "names": ["hook"]},
                                                  {"namespace": "team-a", "names": ["slack"]}]}}
    assert {(d["metadata"]["namespace"], tuple(d["rules"][0]["resourceNames"]))
            for d in select(render(named), "Role")} == {("team-a", ("slack", "token")), ("team-b", ("hook",))}
    assert secret_rules({"rbac": {"create": True, "readSecrets": True}}) == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]


# --- validity ----------------------------------------------------------------------------------

VALUE_SETS = {"defaults": {}, "everything-on": EVERYTHING_ON,
              "peering": {"replicaCount": 2, "operator": {"peering": {"enabled": True}}},
              "namespaced-peering": {"watchNamespaces": ["a"], "operator": {"peering": {"enabled": True}}}}


def minimum_kubernetes() -> str:
    """The oldest Kubernetes the chart claims (Chart.yaml kubeVersion ">=1.27.0-0")."""
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)\.\d+(-0)?", chart_metadata()["kubeVersion"])
    assert match, chart_metadata()["kubeVersion"]
    return f"{match.group(1)}.{match.group(2)}"


KUBERNETES_VERSIONS = [minimum_kubernetes(), KUBERNETES_VERSION]


@pytest.mark.parametrize("kubernetes", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_rendered_object_is_valid_for_kubernetes(values, kubernetes):
    for document in render(values):
        if document["apiVersion"] == "monitoring.coreos.com/v1":
            continue  # not a built-in kind; its shape is asserted in test_service_monitor_*
        if document["kind"].startswith("ValidatingAdmissionPolicy") and kubernetes < "1.30":
            continue  # rendered only when the cluster is >= 1.30 (templates/check-result-policy.yaml)
        kubernetes_validate.validate(document, kubernetes, strict=True)


@pytest.mark.parametrize("kubernetes", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_helm_lint_finds_nothing_to_warn_about(values, kubernetes):
    report = helm_python.lint(CHART, values, strict=True, namespace=NAMESPACE, kube_version=f"v{kubernetes}.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


# --- refusals ------------------------------------------------------------------------------------

BAD_VALUES = {
    "misspelt-top-level-key": ({"watchNamespace": ["a"]}, "additional properties 'watchNamespace' not allowed"),
    "misspelt-nested-key": ({"operator": {"logformat": "json"}}, "additional properties 'logformat' not allowed"),
    "log-format-enum": ({"operator": {"logFormat": "xml"}}, "/operator/logFormat"),
    "pull-policy-enum": ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    "replicas-type": ({"replicaCount": "one"}, "/replicaCount"),
    "zero-replicas": ({"replicaCount": 0}, "/replicaCount"),
    "training-jobs-below-one": ({"operator": {"maxTrainingJobs": 0}}, "/operator/maxTrainingJobs"),
    "port-out-of-range": ({"operator": {"metricsPort": 70000}}, "/operator/metricsPort"),
    "namespace-not-a-dns-label": ({"watchNamespaces": ["Team_A"]}, "/watchNamespaces/0"),
    "duplicate-namespaces": ({"watchNamespaces": ["a", "a"]}, "/watchNamespaces"),
    "digest-format": ({"image": {"digest": "latest"}}, "/image/digest"),
    "interval-format": ({"metrics": {"serviceMonitor": {"interval": "30 seconds"}}},
                        "/metrics/serviceMonitor/interval"),
    "relabeling-field": ({"metrics": {"serviceMonitor": {"relabelings": [{"source_labels": ["pod"]}]}}},
                         "/metrics/serviceMonitor/relabelings/0"),
    "extra-env-secret-as-unknown-field": ({"operator": {"extraEnv": [{"name": "A", "secret": "x"}]}},
                                          "/operator/extraEnv/0"),
    "resource-quantity": ({"resources": {"limits": {"memory": "lots"}}}, "/resources/limits/memory"),
    "misspelt-alert-field": ({"alerts": {"defaults": {"coldown": "1h"}}},
                             "additional properties 'coldown' not allowed"),
    "alert-cooldown-format": ({"alerts": {"defaults": {"cooldown": "an hour"}}}, "/alerts/defaults/cooldown"),
    "alert-sink-severity": ({"alerts": {"defaults": {"sinks": [{"name": "s", "minSeverity": "page",
                                                                "webhook": {"urlSecretRef": {"name": "w", "key": "u"}}}]}}},
                            "/alerts/defaults/sinks/0/minSeverity"),
    "poll-not-positive": ({"operator": {"retraining": {"pollSeconds": 0}}}, "/operator/retraining/pollSeconds"),
}


@pytest.mark.parametrize(("values", "names"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_the_values_schema_refuses_bad_values_naming_the_key(values, names):
    with pytest.raises(helm_python.HelmValuesError) as refused:
        render(values)
    assert names in str(refused.value)


def test_a_plain_text_credential_in_alert_defaults_is_refused_without_being_echoed():
    email = {"host": "smtp.example.com", "from": "modelmon@example.com", "to": ["oncall@example.com"],
             "password": "hunter2-very-secret"}
    with pytest.raises(helm_python.HelmValuesError) as refused:
        render({"alerts": {"defaults": {"sinks": [{"name": "mail", "email": email}]}}})
    assert "additional properties 'password' not allowed" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_alert_defaults_schema_is_the_monitors_spec_alerts_made_strict():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_values_schema", ROOT / "charts" / "sync_values_schema.py")
    assert spec and spec.loader
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    current = json.loads((CHART / "values.schema.json").read_text())
    assert sync.synced(current) == current, "values.schema.json is stale: run `make crds`"
    defaults = current["properties"]["alerts"]["properties"]["defaults"]
    assert defaults["additionalProperties"] is False
    assert defaults["properties"]["sinks"]["items"]["additionalProperties"] is False


REFUSED_BY_TEMPLATES = {
    "replicas-without-peering": ({"operator": {"peering": {"enabled": False}}},
                                 "replicaCount > 1 needs operator.peering.enabled=true"),
    "service-monitor-without-service": ({"metrics": {"service": {"enabled": False},
                                                     "serviceMonitor": {"enabled": True}}},
                                        "metrics.serviceMonitor.enabled needs metrics.service.enabled=true"),
    "same-ports": ({"operator": {"metricsPort": 8080}}, "operator.metricsPort and operator.healthPort must differ"),
    "no-account-name": ({"serviceAccount": {"create": False}}, "serviceAccount.name: name an existing ServiceAccount"),
}


@pytest.mark.parametrize(("values", "message"), REFUSED_BY_TEMPLATES.values(), ids=REFUSED_BY_TEMPLATES.keys())
def test_combinations_that_cannot_work_are_refused_with_the_fix(values, message):
    with pytest.raises(helm_python.HelmRenderError) as refused:
        render(values)
    assert message in str(refused.value)


def test_values_yaml_is_valid_against_the_schema_and_documents_every_key():
    with helm_python.Chart.load(CHART) as chart:
        chart.validate_schema(chart.values)
        schema = chart.schema
    assert schema is not None
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(defaults) == set(schema["properties"]) - {"global"}


def test_the_packaged_chart_renders_the_same_and_carries_no_stray_files(tmp_path):
    archive = helm_python.package(CHART, destination=tmp_path)
    with helm_python.Chart.load(archive) as packaged, helm_python.Chart.load(CHART) as source:
        assert packaged.render(EVERYTHING_ON, name=RELEASE, namespace=NAMESPACE) == source.render(
            EVERYTHING_ON, name=RELEASE, namespace=NAMESPACE)
        files = sorted(f["name"] for f in packaged.files)
    assert "dashboards/modelmon.json" in files
    stray = [f for f in files if "__pycache__" in f or f.endswith((".pyc", ".swp", "~", ".orig"))]
    assert stray == []
