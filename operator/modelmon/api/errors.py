"""Turning pydantic validation errors into one line that names each field and the fix."""

from __future__ import annotations

import pydantic


def describe(error: pydantic.ValidationError, *, prefix: str = "spec") -> str:
    parts = []
    for item in error.errors():
        path = ".".join([prefix, *(str(p) for p in item["loc"])]) if item["loc"] else prefix
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (misspelled?); see `kubectl explain modelmonitor.spec`"
        parts.append(f"{path}: {message}")
    return "; ".join(parts)
