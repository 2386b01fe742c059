"""Reconciling a ModelMonitor: its children, its health from the last check, check-now.

Each function loads, calls the pure core (manifests, policies), and applies the result.
"""

from __future__ import annotations

import hashlib
from typing import Any

import kubernetes
import pydantic

from modelmon.api import errors as api_errors
from modelmon.api import monitor as api
from modelmon.k8s import apply, client
from modelmon.manifests import checkjob, limits
from modelmon.manifests.naming import child_name
from modelmon.policies import collected_source
from modelmon.settings import OperatorSettings

CHECK_NOW = "modelmon.io/check-now"


class InvalidSpec(Exception):
    """The spec cannot work; retrying will not help until it changes."""


def parse(body: dict[str, Any]) -> api.ModelMonitorSpec:
    try:
        return api.parse_spec(dict(body.get("spec") or {}))
    except pydantic.ValidationError as error:
        raise InvalidSpec(api_errors.describe(error)) from error


def desired_children(body: dict[str, Any], spec: api.ModelMonitorSpec, settings: OperatorSettings) -> list[dict[str, Any]]:
    """The children, or InvalidSpec for what the API server would refuse in them (a name too long
    for a label): one condition naming the field instead of a 422 on every child, every retry."""
    meta = body["metadata"]
    unresolvable = collected_source.problem(spec.current, store=settings.collector_store,
                                            claim=settings.collector_store_claim)
    if unresolvable:
        raise InvalidSpec(unresolvable)
    children = checkjob.build_children(monitor=meta["name"], namespace=meta["namespace"], uid=meta["uid"], spec=spec,
                                       image=settings.check_image, pull_policy=settings.check_image_pull_policy,
                                       collector_store=settings.collector_store)
    problems = limits.plan_problems(children, monitor=meta["name"])
    if problems:
        raise InvalidSpec("; ".join(problems))
    return children


def reconcile_children(
    body: dict[str, Any], settings: OperatorSettings, *, spec: api.ModelMonitorSpec | None = None
) -> dict[str, str]:
    """Apply every child; returns kind -> created | patched | unchanged. Raises InvalidSpec.
    ``spec``: the body's spec, when the caller has parsed it already."""
    spec = spec if spec is not None else parse(body)
    return {m["kind"]: apply.apply_child(m) for m in desired_children(body, spec, settings)}


def missing_env_secrets(body: dict[str, Any], spec: api.ModelMonitorSpec) -> list[str]:
    """One line per ``spec.checkJob.env`` entry whose Secret or key does not exist: the kubelet would
    keep the check pod in CreateContainerConfigError until its deadline, and nothing would be written.
    A Secret the operator may not read (403) is not judged."""
    namespace = body["metadata"]["namespace"]
    found: list[str] = []
    for index, env in enumerate(spec.check_job.env):
        ref = env.secret_key_ref
        try:
            secret = client.core().read_namespaced_secret(ref.name, namespace)
        except kubernetes.client.ApiException as error:
            if error.status == 404:
                found.append(f"spec.checkJob.env[{index}].secretKeyRef: Secret {namespace}/{ref.name} does not exist; "
                             f"create it with the key {ref.key!r}")
            continue
        if ref.key not in (secret.data or {}):
            found.append(f"spec.checkJob.env[{index}].secretKeyRef: Secret {namespace}/{ref.name} has no key "
                         f"{ref.key!r}; add it")
    return found


def start_check_now(body: dict[str, Any], settings: OperatorSettings) -> str:
    """Start a Job from the drift-check CronJob's template; returns the Job's name."""
    spec = parse(body)
    meta = body["metadata"]
    token = (meta.get("annotations") or {}).get(CHECK_NOW, "")
    digest = hashlib.sha256(f"{meta['uid']}/{token}".encode()).hexdigest()[:8]
    cronjob = next(m for m in desired_children(body, spec, settings) if m["kind"] == "CronJob")
    name = child_name(meta["name"], f"check-{digest}", limit=63)
    apply.apply_child(checkjob.build_job_from_cronjob(cronjob, name=name))
    return name
