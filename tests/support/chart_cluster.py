"""The chart on the real control plane: its CRDs, its RBAC with a token of its ServiceAccount, and the
objects the chart tests (RBAC, least privilege, HA) share."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kopf
import kubernetes
import yaml

from unit.chart.chart_rendering import render

GROUP, VERSION, PLURAL = "modelmon.io", "v1alpha1", "modelmonitors"
RELEASE_NAMESPACE = "modelmon-system"


def kubectl(control_plane: Any, *args: str, input: str | None = None) -> None:
    subprocess.run(
        ["kubectl", "--kubeconfig", str(control_plane.kubeconfig), *args],
        check=True,
        capture_output=True,
        text=True,
        input=input,
    )


def install_chart_crds(control_plane: Any) -> None:
    """The CRDs the chart renders, applied and Established (other modules' copies of the
    same CRDs were applied by other field managers: the chart's wins, as Helm's would)."""
    crds = [d for d in render({}) if d["kind"] == "CustomResourceDefinition"]
    kubectl(control_plane, "apply", "--server-side", "--force-conflicts", "-f", "-", input=yaml.safe_dump_all(crds))
    for crd in crds:
        kubectl(control_plane, "wait", "--for=condition=Established", f"crd/{crd['metadata']['name']}", "--timeout=60s")


def chart_admin(control_plane: Any) -> kubernetes.client.ApiClient:
    """The admin client of a chart test: the chart's CRDs installed and the release namespace there."""
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(control_plane.kubeconfig), client_configuration=configuration)
    api = kubernetes.client.ApiClient(configuration)
    # What `helm install` does first: the chart's CRDs (templates; kopf's peering CRDs too).
    install_chart_crds(control_plane)
    core = kubernetes.client.CoreV1Api(api)
    try:
        core.create_namespace({"metadata": {"name": RELEASE_NAMESPACE}})
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise
    return api


class TokenCluster:
    """The cluster as the chart's ServiceAccount sees it: a bound token, the cluster's CA."""

    def __init__(self, admin: kubernetes.client.ApiClient, token: str) -> None:
        source = admin.configuration
        self.server, self.ca_path, self.token = source.host, source.ssl_ca_cert, token

    def connection_info(self) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(server=self.server, ca_path=self.ca_path, scheme="Bearer", token=self.token)

    def api_client(self) -> kubernetes.client.ApiClient:
        configuration = kubernetes.client.Configuration()
        configuration.host, configuration.ssl_ca_cert = self.server, self.ca_path
        configuration.api_key = {"authorization": self.token}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        return kubernetes.client.ApiClient(configuration)


def install_rbac(control_plane: Any, admin: kubernetes.client.ApiClient, values: dict[str, Any]) -> TokenCluster:
    """Apply the rendered ServiceAccount and RBAC (the Deployment would run a container, which
    kwok does not), then mint a token for the account as the kubelet would for the pod."""
    documents = [
        d
        for d in render(values, namespace=RELEASE_NAMESPACE)
        if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    ]
    kubectl(control_plane, "apply", "-f", "-", input=yaml.safe_dump_all(documents))
    account = next(d for d in documents if d["kind"] == "ServiceAccount")["metadata"]["name"]
    request = kubernetes.client.CoreV1Api(admin).create_namespaced_service_account_token(
        account, RELEASE_NAMESPACE, {"spec": {"expirationSeconds": 3600}}
    )
    return TokenCluster(admin, request.status.token)


def get_monitor(admin, namespace: str, name: str) -> dict[str, Any]:
    return kubernetes.client.CustomObjectsApi(admin).get_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, name
    )


def condition(body: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in (body.get("status") or {}).get("conditions") or [] if c["type"] == kind), None)


def token_kubeconfig(path: Path, identity: TokenCluster) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "modelmon",
                "clusters": [
                    {"name": "test", "cluster": {"server": identity.server, "certificate-authority": identity.ca_path}}
                ],
                "users": [{"name": "modelmon", "user": {"token": identity.token}}],
                "contexts": [{"name": "modelmon", "context": {"cluster": "test", "user": "modelmon"}}],
            }
        )
    )
    return path


def downward_api(source: dict[str, Any]) -> str:
    """What the kubelet would put in an env var from the pod's own fields."""
    assert source == {"fieldRef": {"fieldPath": "metadata.namespace"}}, f"teach the test {source}"
    return RELEASE_NAMESPACE
