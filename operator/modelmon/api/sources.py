"""Where a dataset is: a URI or a ConfigMap key.

Shared by the monitor's reference and current data and by the performance section's
ground truth, so every source is written, validated and fetched the same way.
"""

from __future__ import annotations

from typing import Literal

import pydantic

from modelmon.api.base import SpecModel


class ConfigMapKeyRef(SpecModel):
    name: str = pydantic.Field(min_length=1, max_length=253)
    """ConfigMap in the monitor's namespace."""
    key: str = pydantic.Field(min_length=1, max_length=253)
    """Key holding the data file's text."""


class DataSource(SpecModel):
    """Where a dataset is: a URI or a ConfigMap key (exactly one)."""

    uri: str | None = pydantic.Field(default=None, pattern=r"^(file|https?|s3)://.+")
    """file:///path on a mounted volume, http(s)://host/path, or s3://bucket/key."""
    config_map_key_ref: ConfigMapKeyRef | None = None
    """A small dataset kept in a ConfigMap key."""
    format: Literal["csv", "jsonl", "parquet"] | None = None
    """Data format; inferred from the URI's or key's extension when absent."""

    @pydantic.model_validator(mode="after")
    def _exactly_one(self) -> DataSource:
        if (self.uri is None) == (self.config_map_key_ref is None):
            raise ValueError("set exactly one of uri or configMapKeyRef")
        return self
