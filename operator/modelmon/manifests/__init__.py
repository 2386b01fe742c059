"""Kubernetes manifests of the operator's children, built by pure functions (dicts out)."""
