"""Where a source's bytes are: a pyarrow filesystem and a path in it, built from the source's URI.

Local volumes, S3-compatible stores, Google Cloud Storage and Azure Blob Storage are all read
through ``pyarrow.fs``, so the dataset layer above lists, prunes and reads ranges of objects
the same way everywhere (an object is never downloaded whole to be read).

Credentials never appear in the spec: each store's SDK finds them in the check pod's
environment, which the kubelet fills from Secrets (``checkJob.env``), or in the pod's cloud
identity (IRSA, GKE Workload Identity, Azure Workload Identity). ``environ`` is passed in, so
building a filesystem from a spec and a Secret's values is tested without a network.
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.fs as pa_fs

from modelmon.api.sources import DataSource
from modelmon.data import s3
from modelmon.data.errors import DataError

#: The Azure SDK's own variable names, so a Secret made for other Azure tools works unchanged.
AZURE_ACCOUNT_KEY = "AZURE_STORAGE_ACCOUNT_KEY"
AZURE_SAS_TOKEN = "AZURE_STORAGE_SAS_TOKEN"
AZURE_CLIENT = ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID")
SCHEMES = ("file", "s3", "gs", "az")


@dataclasses.dataclass(frozen=True)
class Located:
    """A source's filesystem and its path there (``bucket/key`` on an object store)."""

    filesystem: pa_fs.FileSystem
    path: str
    uri: str


def locate(source: DataSource, *, environ: Mapping[str, str] | None = None) -> Located:
    """The filesystem holding ``source.uri``; raises DataError naming the field and the fix."""
    environ = os.environ if environ is None else environ
    uri = source.uri or ""
    # Split by hand, not as a URL: a glob's ``?`` and ``[...]`` are part of the path, not a query.
    scheme, _, rest = uri.partition("://")
    if scheme == "file":
        return Located(filesystem=pa_fs.LocalFileSystem(), path=rest, uri=uri)
    if scheme not in SCHEMES:
        raise DataError(f"uri: scheme {scheme}:// is not read as a dataset; use file://, s3://, gs:// or az://")
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise DataError(f"uri: {uri} names no bucket or container; write {scheme}://BUCKET/PATH")
    path = f"{bucket}/{key.strip('/')}".rstrip("/")
    try:
        if scheme == "s3":
            return Located(filesystem=_s3(source, bucket=bucket, environ=environ), path=path, uri=uri)
        if scheme == "gs":
            return Located(filesystem=_gcs(source), path=path, uri=uri)
        return Located(filesystem=_azure(source, environ=environ), path=path, uri=uri)
    except (OSError, ValueError, TypeError) as error:
        # The SDK's own words, first line only: they name what is missing, never a key's value.
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"uri: cannot set up the {scheme}:// filesystem for {uri}: {first}") from error


def _s3(source: DataSource, *, bucket: str, environ: Mapping[str, str]) -> pa_fs.S3FileSystem:
    options = source.s3
    endpoint = (options.endpoint if options else None) or next(
        (environ[name] for name in s3.ENDPOINT_VARIABLES if environ.get(name)), None
    )
    return s3.filesystem(bucket, endpoint=endpoint, region=options.region if options else None)


def _gcs(source: DataSource) -> pa_fs.GcsFileSystem:
    """Google's default credentials: GKE Workload Identity, or ``GOOGLE_APPLICATION_CREDENTIALS``
    naming a key file (a Secret mounted on the check's volume)."""
    options = source.gcs
    if options is None or options.endpoint is None:
        return pa_fs.GcsFileSystem()
    parsed = urllib.parse.urlsplit(options.endpoint)
    # An emulator (fake-gcs-server) takes no credentials.
    return pa_fs.GcsFileSystem(anonymous=True, scheme=parsed.scheme, endpoint_override=parsed.netloc)


def _azure(source: DataSource, *, environ: Mapping[str, str]) -> pa_fs.AzureFileSystem:
    """An account key, a SAS token or a service principal from the environment; otherwise the
    SDK's DefaultAzureCredential (Workload Identity, managed identity)."""
    options = source.azure
    if options is None:
        raise DataError("uri: an az:// uri needs azure.accountName (the storage account)")
    if not hasattr(pa_fs, "AzureFileSystem"):  # Python bindings since pyarrow 16, and only in builds with Azure
        raise DataError(
            f"uri: this check's pyarrow {pa.__version__} has no Azure filesystem; run the check with "
            f"pyarrow 16 or later (the image modelmon ships has it)"
        )
    kwargs: dict[str, str] = {}
    if options.endpoint:
        parsed = urllib.parse.urlsplit(options.endpoint)
        kwargs["blob_storage_authority"] = parsed.netloc
        kwargs["blob_storage_scheme"] = parsed.scheme
        kwargs["dfs_storage_authority"] = parsed.netloc
        kwargs["dfs_storage_scheme"] = parsed.scheme
    if environ.get(AZURE_ACCOUNT_KEY):
        kwargs["account_key"] = environ[AZURE_ACCOUNT_KEY]
    elif environ.get(AZURE_SAS_TOKEN):
        kwargs["sas_token"] = environ[AZURE_SAS_TOKEN]
    elif all(environ.get(name) for name in AZURE_CLIENT):
        client_id, client_secret, tenant_id = (environ[name] for name in AZURE_CLIENT)
        kwargs.update(client_id=client_id, client_secret=client_secret, tenant_id=tenant_id)
    return pa_fs.AzureFileSystem(options.account_name, **kwargs)
