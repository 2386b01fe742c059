"""kopf's diff base ("last-handled-configuration") that fits in an annotation whatever the spec.

kopf keeps the essence of the last handled object (its spec, labels and annotations) as JSON in
an annotation, to tell what changed. Annotations share a 256 KiB budget per object, so a spec the
API server admits (9,000 features came to ~300 KiB) made every patch of that annotation fail
with "metadata.annotations: Too long": no condition, no Event, a traceback on every event, and a
monitor never reconciled.

Our handlers reconcile from the whole body (level-triggered) and never read kopf's ``old``/``diff``:
the diff base only has to say *whether* the spec changed. So a spec whose essence is larger than
:data:`INLINE_LIMIT` is kept as its SHA-256 digest and size (a change of spec is a change of
digest, so update handlers still fire once per change); smaller ones are kept as kopf keeps them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import kopf

#: Essences up to this many bytes are stored whole; larger specs as a digest. Well below the
#: 256 KiB annotation budget, which kopf's progress annotations and the user's share.
INLINE_LIMIT = 64 * 1024
DIGEST_KEY = "modelmon.io/sha256"
#: The prefix of kopf's annotations on our objects (controller/handlers.py), and its diff base's key.
PREFIX = "kopf.modelmon.io"
LAST_HANDLED = f"{PREFIX}/last-handled-configuration"


def is_handled(body: Mapping[str, Any]) -> bool:
    """Whether kopf has handled this object's spec once (its diff base is stored)."""
    return LAST_HANDLED in ((body.get("metadata") or {}).get("annotations") or {})


def digest_large_spec(essence: dict[str, Any], *, limit: int = INLINE_LIMIT) -> dict[str, Any]:
    """``essence`` itself, or with its spec replaced by the spec's digest when the essence is too large."""
    encoded = json.dumps(essence, separators=(",", ":"))  # its length: key order does not change it
    if len(encoded.encode()) <= limit or "spec" not in essence:
        return essence
    spec = json.dumps(essence["spec"], separators=(",", ":"), sort_keys=True).encode()
    return {**essence, "spec": {DIGEST_KEY: hashlib.sha256(spec).hexdigest(), "bytes": len(spec)}}


class DigestingDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    """kopf's annotation diff base, with large specs kept as a digest (see the module docstring)."""

    def build(self, *, body: kopf.Body, extra_fields: Iterable[Any] | None = None) -> kopf.BodyEssence:
        if not extra_fields:
            body = kopf.Body(essential_fields(body))  # type: ignore[arg-type]  # a RawBody is a dict
        essence = super().build(body=body, extra_fields=extra_fields)
        return digest_large_spec(dict(essence))  # type: ignore[return-value]


#: The metadata kopf's essence keeps (labels, annotations) or reads to name its keys (owners).
KEPT_METADATA = ("labels", "annotations", "ownerReferences")


def essential_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` without what kopf's essence drops anyway: kopf deep-copies the whole body on every
    event before dropping the status and most of the metadata, and that copy was a tenth of the
    operator's CPU at scale (bench/operator_scale.py); the status grows with the features checked."""
    meta = body.get("metadata") or {}
    slim = {key: value for key, value in body.items() if key not in ("status", "metadata")}
    slim["metadata"] = {key: meta[key] for key in KEPT_METADATA if key in meta}
    return slim
