"""Which ServiceAccount a training Job may run as (the rule the operator enforces).

The operator creates training Jobs with its own rights, on behalf of whoever may create a
RetrainingJob (or a ModelMonitor whose retraining policy creates one). Without a rule, anyone
allowed to create a RetrainingJob in a namespace could run a pod there as any of its
ServiceAccounts, including ones far more privileged than they are. The rule:

- a training pod whose template names no ServiceAccount runs as the namespace's ``default``
  account, as any pod would;
- any other account must exist in the RetrainingJob's namespace and carry the annotation
  ``modelmon.io/training: allowed``, which only someone who may edit ServiceAccounts there (a
  namespace admin) can set. A training Job always runs in the RetrainingJob's own namespace,
  so no other namespace's accounts are ever reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ANNOTATION = "modelmon.io/training"
ALLOWED = "allowed"
DEFAULT = "default"
FIELD = "spec.jobTemplate.spec.template.spec.serviceAccountName"


def requested_account(pod_spec: Mapping[str, Any]) -> str:
    """The account the pod would run as (``serviceAccount`` is the deprecated alias)."""
    return str(pod_spec.get("serviceAccountName") or pod_spec.get("serviceAccount") or DEFAULT)


def refusal(account: str, namespace: str, annotations: Mapping[str, str] | None) -> str | None:
    """Why the training Job may not run as ``account``, or None when it may.

    ``annotations`` are the account's (None: it does not exist)."""
    if account == DEFAULT:
        return None
    if annotations is None:
        return f"{FIELD}: ServiceAccount {namespace}/{account} does not exist"
    if annotations.get(ANNOTATION) != ALLOWED:
        return (
            f"{FIELD}: ServiceAccount {namespace}/{account} is not allowed to run training Jobs; a namespace "
            f"admin allows it with `kubectl annotate serviceaccount {account} -n {namespace} "
            f"{ANNOTATION}={ALLOWED}`, or leave serviceAccountName empty to run as the namespace's default account"
        )
    return None
