"""Base models for specs and status (camelCase field names as in Kubernetes, unknown fields rejected), and the
metav1.Condition both resources report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import pydantic
from pydantic.alias_generators import to_camel


class SpecModel(pydantic.BaseModel):
    """Strict spec model: a misspelled field is an error naming the field, never ignored."""

    model_config = pydantic.ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_attribute_docstrings=True,
        # A validation error printed anywhere (a log, an Event, status) must never repeat what
        # was written in the spec: someone may have pasted a token where a SecretRef belongs.
        hide_input_in_errors=True,
    )


class StatusModel(SpecModel):
    """A part of status the planners change as they go: the same strict, camelCase model, but mutable,
    so a planner works on its own copy (``model_copy(deep=True)``) with type-checked assignments. It is
    written back as :meth:`wire` gives it, the one serialisation status gets."""

    model_config = pydantic.ConfigDict(frozen=False)

    def wire(self, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The JSON object stored in status: camelCase keys, no nulls (a merge patch would read a null as
        a deletion). ``fields`` (model field names): only those, for a patch that writes them (the rest,
        a check's thousand features say, is not serialised for nothing)."""
        include = None if fields is None else set(fields)
        return self.model_dump(by_alias=True, exclude_none=True, mode="json", include=include)


class Condition(SpecModel):
    """A metav1.Condition."""

    type: str = pydantic.Field(pattern=r"^[A-Z][A-Za-z0-9]*$", max_length=316)
    """Condition type: Ready, Drifted, DataQualityDegraded, DataUnavailable, Degraded (ModelMonitor);
    Complete, Failed, Suspended, Validated, Paused (RetrainingJob)."""
    status: Literal["True", "False", "Unknown"]
    """Whether the condition holds."""
    reason: str = pydantic.Field(pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", max_length=1024)
    """CamelCase reason, for machines."""
    message: str = pydantic.Field(default="", max_length=32768)
    """Human-readable detail."""
    last_transition_time: str
    """When status last changed (RFC 3339)."""
    observed_generation: int | None = pydantic.Field(default=None, ge=0)
    """The spec generation the condition was computed for."""
