"""Deterministic child names: the same monitor always owns the same children."""

from __future__ import annotations

import hashlib

MAX_NAME = 52  # CronJob names are limited to 52 characters (the Job name gets a suffix)


def child_name(owner: str, suffix: str, *, limit: int = MAX_NAME) -> str:
    """``<owner>-<suffix>``, shortened with a stable hash when it would exceed ``limit``."""
    name = f"{owner}-{suffix}"
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(owner.encode()).hexdigest()[:8]
    keep = limit - len(suffix) - len(digest) - 2
    return f"{owner[:keep].rstrip('-')}-{digest}-{suffix}"
