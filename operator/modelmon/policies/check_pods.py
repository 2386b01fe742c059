"""A ModelMonitor's Ready condition from its drift-check pods (pure).

A check pod whose image cannot be pulled waits in ``ImagePullBackOff`` until the Job's
``activeDeadlineSeconds`` (an hour by default) before the Job's own verdict
(policies/check_jobs.py) says anything; meanwhile the monitor showed ``Ready=True``. The kubelet
says what is wrong within seconds, in the pod's container status: this planner turns a waiting
reason that will not resolve by itself into ``Ready=False`` naming the pod, the image (or the
missing object), the kubelet's message (trimmed, URLs' credentials and tokens removed) and the
fix; a later check pod that starts a container clears it.

Worked example: pod credit-drift-check-1-x7 waits with ErrImagePull for ``localhost:1/absent:1``
(set in ``spec.checkJob.image``), Ready True since 10:00, the pod created 10:05: Ready False,
reason ImagePullFailed, one Warning Event. Its next event (ImagePullBackOff, same image): nothing
(already said). Pod credit-drift-check-2-k3, created 10:20 after the image was fixed, running:
Ready True, reason CheckPodStarted. A failing pod created 10:05, seen again after Ready became
True at 10:21: stale, nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from modelmon import timestamps
from modelmon.api.base import Condition
from modelmon.conditions import ConditionType, MonitorReason
from modelmon.policies import conditions as cond
from modelmon.policies.monitor_state import MonitorState, status_patch

#: Waiting reasons of a container that the kubelet retries forever without a change of the pod:
#: the image cannot be pulled, or its reference cannot even be parsed.
IMAGE_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
#: The container cannot be created from what the pod references (a ConfigMap or Secret key).
#: Not CreateContainerError: that one is often the runtime's passing trouble, and says nothing to fix.
CONFIG_REASONS = frozenset({"CreateContainerConfigError"})
#: Ready=False reasons this planner owns; any other (InvalidSpec, MissingSecret, ...) is the
#: reconciler's word and stands.
POD_REASONS = frozenset({MonitorReason.IMAGE_PULL_FAILED.value, MonitorReason.CHECK_POD_FAILING.value})
#: How much of the kubelet's message is quoted (it can carry a registry's whole reply).
MESSAGE_LIMIT = 240
#: Credentials a registry or a URL may carry in a kubelet message: a URL's user-info, its query,
#: bearer/basic tokens and ``token=``/``password=`` pairs. Names of missing objects (``secret "x" not
#: found``) stay: they are what to fix.
_USERINFO = re.compile(r"(?<=://)[^/\s@]{1,256}@")
_QUERY = re.compile(r"(?<=[^\s?])\?[^\s\"']{1,4096}")
_TOKEN = re.compile(r"(?i)\b(bearer \s{0,2}|basic \s{0,2}|token[=:]\s?|password[=:]\s?)[^\s\"',&]{1,4096}")
REDACTED = "[redacted]"


@dataclasses.dataclass(frozen=True)
class PodVerdict:
    conditions: list[Condition]
    """The monitor's conditions with the verdict merged in."""
    event: tuple[str, str, str] | None
    """(type, reason, message) of the Event to post once the status is stored, if any."""
    monitor: MonitorState
    """The monitor it was planned from."""

    @property
    def status(self) -> dict[str, Any]:
        """The status patch (the merged conditions)."""
        return status_patch(self.monitor.status.model_copy(update={"conditions": self.conditions}), {"conditions"})


def scrub(message: str) -> str:
    """The kubelet's message without credentials, on one line and at most MESSAGE_LIMIT characters
    (redacted first, cut after: a cut token would no longer match)."""
    text = _USERINFO.sub(REDACTED + "@", message)
    text = _QUERY.sub("?" + REDACTED, text)
    text = _TOKEN.sub(lambda m: m.group(1) + REDACTED, text)
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1].rstrip() + "…"


def _statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status") or {}
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def _failing(pod: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(waiting reason, kubelet message, image) of the first container stuck for good, else None."""
    for container in _statuses(pod):
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in IMAGE_REASONS | CONFIG_REASONS:
            return waiting["reason"], waiting.get("message") or "", container.get("image") or ""
    return None


def _started(pod: Mapping[str, Any]) -> bool:
    """A container of the pod ran (its image was pulled and its configuration found)."""
    return any(
        "running" in (c.get("state") or {}) or "terminated" in (c.get("state") or {})
        for c in (pod.get("status") or {}).get("containerStatuses") or []
    )


def _image_field(check_image: str | None) -> str:
    if check_image:
        return "spec.checkJob.image"
    return "the chart's operator.checkImage (repository/tag; empty: the operator's image)"


def _message(pod_name: str, reason: str, detail: str, image: str, check_image: str | None) -> tuple[str, str]:
    """(condition reason, message) for a stuck container."""
    said = f" ({scrub(detail)})" if detail else ""
    if reason in IMAGE_REASONS:
        return MonitorReason.IMAGE_PULL_FAILED.value, (
            f"check pod {pod_name} cannot pull image {image!r}: {reason}{said}. Fix {_image_field(check_image)}: an "
            f"image that exists in a registry the nodes can reach"
        )
    return MonitorReason.CHECK_POD_FAILING.value, (
        f"check pod {pod_name} cannot start its container: {reason}{said}. Create the ConfigMap or Secret "
        f"(and key) it names, or fix spec.checkJob.env"
    )


def _created_before(pod: Mapping[str, Any], when: str | None) -> bool:
    created = timestamps.to_epoch((pod.get("metadata") or {}).get("creationTimestamp"))
    since = timestamps.to_epoch(when)
    return created is not None and since is not None and created < since


def plan_check_pod(monitor: MonitorState, pod: Mapping[str, Any], *, now: str) -> PodVerdict | None:
    """The Ready condition a drift-check pod's state calls for; None when it changes nothing."""
    conditions = monitor.status.conditions
    ready = cond.find_condition(conditions, ConditionType.READY.value)
    said_false = ready is not None and ready.status == "False"
    ours = ready is not None and said_false and ready.reason in POD_REASONS
    since = ready.last_transition_time if ready is not None else None
    pod_name = (pod.get("metadata") or {}).get("name", "")
    if _started(pod):
        if not ours or _created_before(pod, since):
            return None
        update = cond.condition_update(
            type=ConditionType.READY.value,
            status=True,
            reason=MonitorReason.CHECK_POD_STARTED.value,
            message=f"check pod {pod_name} started",
            generation=monitor.generation,
        )
        return PodVerdict(cond.merge(conditions, [update], now=now), None, monitor)
    failing = _failing(pod)
    if failing is None:
        return None
    if said_false and not ours:
        return None  # the reconciler's reason (InvalidSpec, MissingSecret, ...) says more
    if ready is not None and ready.status == "True" and _created_before(pod, since):
        return None  # a pod from before the monitor became Ready again: history
    reason, message = _message(pod_name, *failing, check_image=monitor.check_image)
    subject = failing[2] if reason == MonitorReason.IMAGE_PULL_FAILED.value else scrub(failing[1])
    if ready is not None and ours and ready.reason == reason and subject in ready.message:
        return None  # already said (the same image, or the same missing object)
    update = cond.condition_update(
        type=ConditionType.READY.value, status=False, reason=reason, message=message, generation=monitor.generation
    )
    return PodVerdict(cond.merge(conditions, [update], now=now), ("Warning", reason, message), monitor)


def holds_ready(monitor: MonitorState) -> Condition | None:
    """The pod-told Ready=False condition that reconciling the same spec keeps (a resume, an
    annotation change), else None: a spec change (new generation) may fix it and is Ready again
    until its own check pod says otherwise."""
    ready = cond.find_condition(monitor.status.conditions, ConditionType.READY.value)
    if ready is None or ready.status != "False" or ready.reason not in POD_REASONS:
        return None
    if ready.observed_generation != monitor.generation:
        return None
    return ready
