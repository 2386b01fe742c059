"""RetrainingJobs on the real control plane: a body for the tests to create."""

from __future__ import annotations

from typing import Any

GROUP, VERSION = "modelmon.io", "v1alpha1"


def retraining_job_body(
    name: str,
    pod: dict[str, Any],
    *,
    monitor: str = "credit",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A manual RetrainingJob of ``monitor`` whose training pod is ``pod`` (its spec), with the pod
    template's ``annotations`` (kwok's termination message) and any further ``spec`` fields."""
    template: dict[str, Any] = {"spec": pod}
    if annotations is not None:
        template["metadata"] = {"annotations": annotations}
    metadata: dict[str, Any] = {"name": name}
    if labels is not None:
        metadata["labels"] = labels
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "RetrainingJob",
        "metadata": metadata,
        "spec": {
            "monitorRef": {"name": monitor},
            "reason": "manual",
            "jobTemplate": {"spec": {"template": template}},
            **spec,
        },
    }
