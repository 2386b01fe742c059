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

DataFormat = Literal["csv", "jsonl", "parquet"]
"""A dataset's file format, as spec'd (a source's ``format``) and as the readers in modelmon.data take it."""


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


class GcsOptions(SpecModel):
    """Where a gs:// bucket's store is, for an emulator.

    Credentials are not part of the spec: the check uses Google's default credentials (GKE
    Workload Identity, or GOOGLE_APPLICATION_CREDENTIALS naming a key file mounted from a Secret).
    """

    endpoint: str | None = pydantic.Field(default=None, max_length=2048)
    """http(s)://host[:port] of a GCS emulator (fake-gcs-server), read anonymously; Google when absent."""

    @pydantic.field_validator("endpoint")
    @classmethod
    def _address_only(cls, value: str | None) -> str | None:
        return S3Options._address_only(value)


class AzureOptions(SpecModel):
    """The storage account of an az://CONTAINER/PATH uri.

    Credentials are not part of the spec: the check reads AZURE_STORAGE_ACCOUNT_KEY,
    AZURE_STORAGE_SAS_TOKEN or AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID from its
    environment (checkJob.env, from a Secret), else Azure's default credential (Workload Identity).
    """

    account_name: str = pydantic.Field(pattern=r"^[a-z0-9]{3,24}$")
    """The storage account's name."""
    endpoint: str | None = pydantic.Field(default=None, max_length=2048)
    """http(s)://host[:port] of the blob service, e.g. an Azurite emulator; Azure's when absent."""

    @pydantic.field_validator("endpoint")
    @classmethod
    def _address_only(cls, value: str | None) -> str | None:
        return S3Options._address_only(value)


class TimePartitions(SpecModel):
    """The hive partition keys that hold each file's date and hour (``date=2026-12-01/hour=13/``),
    so that a duration window skips, unopened, every partition older than the window."""

    date_key: str = pydantic.Field(default="date", min_length=1, max_length=128)
    """Key whose value is the UTC date, YYYY-MM-DD."""
    hour_key: str | None = pydantic.Field(default="hour", min_length=1, max_length=128)
    """Key whose value is the UTC hour, 0-23; none when partitions are daily."""


_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^?#]+$")


class DataSource(SpecModel):
    """Where a dataset is: a URI or a ConfigMap key (exactly one)."""

    uri: str | None = pydantic.Field(default=None, pattern=r"^(file|https?|s3|gs|az)://.+")
    """file:///path on a mounted volume, http(s)://host/path, s3://bucket/key, gs://bucket/key or
    az://container/path. With file://, s3://, gs:// and az://, the path may be a file, a directory
    (a hive-partitioned dataset, e.g. .../date=2026-12-01/hour=13/part-0.parquet) or a glob
    (``*``, ``?``, ``[...]``, ``**`` for any depth)."""
    config_map_key_ref: ConfigMapKeyRef | None = None
    """A small dataset kept in a ConfigMap key."""
    format: DataFormat | None = None
    """Data format; inferred from the URI's or key's extension when absent."""
    s3: S3Options | None = None
    """Endpoint and region for an s3:// uri (only with s3://)."""
    gcs: GcsOptions | None = None
    """Endpoint of a gs:// uri's store (only with gs://)."""
    azure: AzureOptions | None = None
    """Storage account of an az:// uri (required with az://)."""
    time_partitions: TimePartitions | None = None
    """Hive keys of a dataset partitioned by time, used to prune a duration window."""

    def _given(self) -> dict[str, bool]:
        """The ways this source may be given, and which are: exactly one must be."""
        return {"uri": self.uri is not None, "configMapKeyRef": self.config_map_key_ref is not None}

    @pydantic.model_validator(mode="after")
    def _exactly_one(self) -> DataSource:
        given = self._given()
        if sum(given.values()) != 1:
            *first, last = given
            raise ValueError(f"set exactly one of {', '.join(first)} or {last}")
        if self.uri is None and self.config_map_key_ref is None:
            return self  # a reference resolved into a uri later (spec.current.inferenceService), checked then
        is_s3 = self.uri is not None and self.uri.startswith("s3://")
        if is_s3 and not _S3_URI.match(self.uri or ""):
            raise ValueError("uri: write s3://BUCKET/KEY, with a valid bucket name (3-63 lowercase letters, "
                             "digits, dots or hyphens) and an object key")
        if self.s3 is not None and not is_s3:
            raise ValueError("s3 applies only to an s3:// uri")
        scheme = (self.uri or "").split("://", 1)[0]
        if self.gcs is not None and scheme != "gs":
            raise ValueError("gcs applies only to a gs:// uri")
        if (self.azure is not None) != (scheme == "az"):
            raise ValueError("an az:// uri needs azure.accountName, and azure applies only to an az:// uri")
        return self
