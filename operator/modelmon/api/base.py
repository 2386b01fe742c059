"""Base model for specs: camelCase field names as in Kubernetes, unknown fields rejected."""

from __future__ import annotations

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
