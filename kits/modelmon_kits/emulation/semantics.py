"""What an API server does to an object on a write, as pure functions on dicts.

kmock's emulator stores JSON as it is sent. A real kube-apiserver owns some fields
(uid, resourceVersion, generation, creationTimestamp), keeps ``status`` and the rest of
the object apart when a status subresource exists, refuses stale writes, and applies the
three patch formats. The operator depends on each of these, so they live here, free of
HTTP and of the store, where they are easy to read and to test.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

import jsonpatch

from modelmon_kits.emulation.errors import ApiError

from modelmon import timestamps

Body = dict[str, Any]

# The alphabet kube-apiserver uses for generateName suffixes (no vowels, no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# Fields the server owns: a client's write never changes them.
_SERVER_OWNED = (
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


def now_rfc3339() -> str:
    return timestamps.format_time(timestamps.now())


def generated_name(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: dicts merge, ``null`` removes, everything else replaces.

    Strategic-merge patches are applied this way too (lists are replaced, not merged by key),
    which is all the operator needs: it always sends whole lists.
    """
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_patch(current: Body, patch: Any, content_type: str) -> Body:
    """The object after a PATCH of any of the three JSON formats (422 when a ``test`` op fails)."""
    if "json-patch" in content_type:
        if not isinstance(patch, list):
            raise ApiError(400, "BadRequest", "a JSON patch must be a list of operations")
        try:
            return jsonpatch.apply_patch(copy.deepcopy(current), patch, in_place=False)
        except jsonpatch.JsonPatchTestFailed as error:
            raise ApiError(
                422, "Invalid", f"the server rejected our request due to an error in our request: {error}"
            ) from error
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
            raise ApiError(422, "Invalid", f"cannot apply the JSON patch: {error}") from error
    if not isinstance(patch, Mapping):
        raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
    return merge_patch(current, patch)


def check_precondition(current: Body, incoming: Any) -> None:
    """A resourceVersion in a write's body is a precondition: stale means 409 Conflict."""
    if not isinstance(incoming, Mapping):
        return
    wanted = (incoming.get("metadata") or {}).get("resourceVersion")
    if wanted and wanted != current["metadata"].get("resourceVersion"):
        name = current["metadata"].get("name")
        raise ApiError(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
        )


def _content(body: Body, *, with_status: bool) -> Body:
    """The part of an object whose change bumps metadata.generation."""
    skipped = {"metadata"} if with_status else {"metadata", "status"}
    return {key: value for key, value in body.items() if key not in skipped}


def prepare_create(
    body: Body, *, api_version: str, kind: str, namespace: str | None, status_subresource: bool, revision: int
) -> Body:
    """A new object as the server stores it: name, uid, timestamps, versions; status dropped."""
    obj = copy.deepcopy(dict(body))
    obj.setdefault("apiVersion", api_version)
    obj.setdefault("kind", kind)
    meta = obj.setdefault("metadata", {})
    if not meta.get("name"):
        if not meta.get("generateName"):
            raise ApiError(422, "Invalid", "metadata.name: Required value: name or generateName is required")
        meta["name"] = generated_name(meta["generateName"])
    if namespace is not None:
        if meta.get("namespace") not in (None, "", namespace):
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    for server_owned in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
        meta.pop(server_owned, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now_rfc3339()
    meta["generation"] = 1
    meta["resourceVersion"] = str(revision)
    if status_subresource:
        obj.pop("status", None)
    return obj


def prepare_update(current: Body, candidate: Body, *, subresource: str | None, status_subresource: bool) -> Body:
    """The stored object after a write of ``candidate`` (a patched or replaced body).

    Through ``/status`` only the status changes; through the main endpoint the status is
    kept as it was when the resource has a status subresource. Server-owned metadata is
    kept; the generation is bumped when anything but metadata (and status) changed.
    Returns the object without a new resourceVersion: the caller sets it only on a change.
    """
    if subresource == "status":
        new = copy.deepcopy(current)
        if "status" in candidate:
            new["status"] = copy.deepcopy(candidate["status"])
        else:
            new.pop("status", None)
        return new
    new = copy.deepcopy(candidate)
    new["apiVersion"], new["kind"] = current.get("apiVersion"), current.get("kind")
    if status_subresource:
        if "status" in current:
            new["status"] = copy.deepcopy(current["status"])
        else:
            new.pop("status", None)
    meta, old_meta = new.setdefault("metadata", {}), current["metadata"]
    for key in _SERVER_OWNED:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    meta["resourceVersion"] = old_meta.get("resourceVersion")
    if _content(new, with_status=status_subresource) != _content(current, with_status=status_subresource):
        meta["generation"] = int(old_meta.get("generation") or 0) + 1
    return new


def mark_deleted(current: Body, *, revision: int) -> Body:
    """The object with a deletionTimestamp: what a delete does while finalizers remain."""
    new = copy.deepcopy(current)
    meta = new["metadata"]
    meta["deletionTimestamp"] = now_rfc3339()
    meta["deletionGracePeriodSeconds"] = 0
    meta["generation"] = int(meta.get("generation") or 0) + 1
    meta["resourceVersion"] = str(revision)
    return new


def releasable(obj: Body) -> bool:
    """Marked for deletion and no finalizer left: the server removes it now."""
    meta = obj.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers")


def owner_uids(obj: Body) -> set[str]:
    return {ref.get("uid") for ref in (obj.get("metadata") or {}).get("ownerReferences") or [] if ref.get("uid")}


def matches_labels(obj: Body, selector: str | None) -> bool:
    """Equality- and existence-based label selectors: ``a=b,c!=d,e,!f`` (no set-based ``in``)."""
    if not selector:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        if "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.split("=", 1))
            if labels.get(key.rstrip("=")) != value.lstrip("="):
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def matches_fields(obj: Body, selector: str | None) -> bool:
    """Field selectors on metadata.name and metadata.namespace, as kubectl and clients use them."""
    if not selector:
        return True
    meta = obj.get("metadata") or {}
    for term in (t.strip() for t in selector.split(",") if t.strip()):
        negate = "!=" in term
        key, value = (s.strip().lstrip("=") for s in term.split("!=" if negate else "=", 1))
        actual = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace")}.get(key)
        if (actual == value) == negate:
            return False
    return True
