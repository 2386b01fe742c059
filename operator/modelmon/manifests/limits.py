"""What the API server would refuse in a child manifest, found before it is sent.

The API server admits a ModelMonitor whose name is up to 253 characters (a CRD schema cannot
bound ``metadata.name``), but every child carries that name as the value of the
``modelmon.io/monitor`` label, and label values are limited to 63 characters: the children
would all fail with "422 Unprocessable Entity", on every retry. Checked here on the manifests
themselves, so any label or name a child derives from the monitor is covered, and reported
once as an invalid spec naming the field (``metadata.name``) and the fix.
"""

from __future__ import annotations

import re
from typing import Any

LABEL_VALUE_MAX = 63
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
#: CronJob names are limited to 52 characters: the controller appends an 11-character suffix for its Jobs.
_NAME_MAX = {"CronJob": 52, "Job": 63}


def label_problems(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(label key, value) pairs that are not valid label values."""
    found: list[tuple[str, str]] = []
    spec = manifest.get("spec") or {}
    job_template = spec.get("jobTemplate") or {}
    pod = ((job_template.get("spec") or spec).get("template") or {}).get("metadata") or {}
    for labels in (
        manifest.get("metadata", {}).get("labels"),
        (job_template.get("metadata") or {}).get("labels"),
        pod.get("labels"),
    ):
        for key, value in (labels or {}).items():
            if len(value) > LABEL_VALUE_MAX or not _LABEL_VALUE.match(value):
                found.append((key, value))
    return found


def name_problem(manifest: dict[str, Any]) -> str | None:
    name = manifest.get("metadata", {}).get("name", "")
    limit = _NAME_MAX.get(manifest.get("kind", ""), 253)
    if len(name) > limit or not _DNS_SUBDOMAIN.match(name):
        return f"{manifest.get('kind')} name {name!r} is not a DNS-1123 name of at most {limit} characters"
    return None


def plan_problems(children: list[dict[str, Any]], *, monitor: str) -> list[str]:
    """One line per thing the API server would refuse, each naming the field of the monitor to change."""
    problems: list[str] = []
    for child in children:
        for key, value in label_problems(child):
            if value == monitor:
                problems.append(
                    f"metadata.name is {len(monitor)} characters, but the children carry it as the value of the "
                    f"label {key}, which Kubernetes limits to {LABEL_VALUE_MAX}: recreate the ModelMonitor with "
                    f"a name of at most {LABEL_VALUE_MAX} characters"
                )
            else:
                problems.append(f"the {child.get('kind')}'s label {key}={value!r} is not a valid label value")
        problem = name_problem(child)
        if problem is not None:
            problems.append(problem)
    return list(dict.fromkeys(problems))  # the same label on every child: said once
