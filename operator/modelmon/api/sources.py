"""Where a dataset is: a URI or a ConfigMap key.

Shared by the monitor's reference and current data and by the performance section's
ground truth, so every source is written, validated and fetched the same way.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Literal

import pydantic

from modelmon.api.base import SpecModel


class ConfigMapKeyRef(SpecModel):
    name: str = pydantic.Field(min_length=1, max_length=253)
    """ConfigMap in the monitor's namespace."""
    key: str = pydantic.Field(min_length=1, max_length=253)
    """Key holding the data file's text."""


class S3Options(SpecModel):
    """Where an s3:// object's store is, for S3-compatible stores and pinned regions.

    Credentials are not part of the spec: the check uses the standard AWS chain (environment,
    web identity such as IRSA, instance profile) of the pod it runs in.
    """

    endpoint: str | None = pydantic.Field(default=None, max_length=2048)
    """http(s)://host[:port] of an S3-compatible store (MinIO, Ceph, ...); AWS when absent."""
    region: str | None = pydantic.Field(default=None, pattern=r"^[a-z0-9-]{1,64}$")
    """The bucket's region; found from the bucket itself (AWS) when absent."""

    @pydantic.field_validator("endpoint")
    @classmethod
    def _address_only(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parsed = urllib.parse.urlsplit(value)
        # The spec is readable by anyone who can get the monitor: keys belong in the pod's
        # environment or its cloud identity, never in an address.
        if parsed.username is not None or parsed.password is not None:
            raise ValueError("endpoint must not embed credentials (user:password@); the check reads them "
                             "from the pod's environment or cloud identity")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("endpoint must be http(s)://host[:port], e.g. https://minio.example:9000")
        if parsed.path.strip("/") or parsed.query or parsed.fragment:
            raise ValueError("endpoint must be http(s)://host[:port] only, without a path or query; "
                             "the bucket belongs in the s3:// uri")
        try:
            parsed.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError as error:
            raise ValueError(f"endpoint has an invalid port: {error}") from None
        return value


_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^?#]+$")


class DataSource(SpecModel):
    """Where a dataset is: a URI or a ConfigMap key (exactly one)."""

    uri: str | None = pydantic.Field(default=None, pattern=r"^(file|https?|s3)://.+")
    """file:///path on a mounted volume, http(s)://host/path, or s3://bucket/key."""
    config_map_key_ref: ConfigMapKeyRef | None = None
    """A small dataset kept in a ConfigMap key."""
    format: Literal["csv", "jsonl", "parquet"] | None = None
    """Data format; inferred from the URI's or key's extension when absent."""
    s3: S3Options | None = None
    """Endpoint and region for an s3:// uri (only with s3://)."""

    @pydantic.model_validator(mode="after")
    def _exactly_one(self) -> DataSource:
        if (self.uri is None) == (self.config_map_key_ref is None):
            raise ValueError("set exactly one of uri or configMapKeyRef")
        is_s3 = self.uri is not None and self.uri.startswith("s3://")
        if is_s3 and not _S3_URI.match(self.uri or ""):
            raise ValueError("uri: write s3://BUCKET/KEY, with a valid bucket name (3-63 lowercase letters, "
                             "digits, dots or hyphens) and an object key")
        if self.s3 is not None and not is_s3:
            raise ValueError("s3 applies only to an s3:// uri")
        return self
