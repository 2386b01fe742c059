"""``modelmon run``'s in-cluster login finds the API server as client-go does."""

import pytest

from modelmon.cli.run_command import in_cluster_server


@pytest.mark.parametrize("environ,expected", [
    ({"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}, "https://10.0.0.1:443"),
    ({"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}, "https://[fd00::1]:6443"),
    ({"KUBERNETES_SERVICE_HOST": "api.internal", "KUBERNETES_SERVICE_PORT": "443"}, "https://api.internal:443"),
    ({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, "https://kubernetes.default.svc"),
    ({}, "https://kubernetes.default.svc"),
], ids=["ipv4", "ipv6-bracketed", "name", "no-port", "outside-a-pod"])
def test_in_cluster_server_comes_from_the_services_environment(environ, expected):
    assert in_cluster_server(environ, default="https://kubernetes.default.svc") == expected
