"""Copying an ``s3://`` object to a local file with pyarrow's S3 filesystem.

Credentials come from the standard AWS chain pyarrow's SDK walks (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, a web identity token such as IRSA, the instance profile); they are
never passed around here, so no message can carry them. The endpoint of an S3-compatible store
comes from the spec or, as with the AWS tools, from ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.

The object is copied in chunks to the caller's scratch directory, so memory stays bounded
whatever its size and the table readers see an ordinary file.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import urllib.parse
from pathlib import PurePosixPath

import pyarrow.fs as pa_fs

from modelmon.data.errors import DataError

CHUNK_BYTES = 1 << 20
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 60.0
MAX_ATTEMPTS = 3
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


@dataclasses.dataclass(frozen=True)
class Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_uri(uri: str) -> Location:
    parsed = urllib.parse.urlsplit(uri)
    key = parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not parsed.netloc or not key or key.endswith("/"):
        raise DataError(f"{uri}: write s3://BUCKET/KEY naming one object")
    return Location(bucket=parsed.netloc, key=key)


def endpoint_from_environment() -> str | None:
    return next((os.environ[name] for name in ENDPOINT_VARIABLES if os.environ.get(name)), None)


def explain(error: OSError, location: Location, *, endpoint: str | None) -> str:
    """What went wrong, in words a person can act on; never the SDK's request details."""
    text = str(error)
    where = _where(endpoint)
    if "ACCESS_DENIED" in text or "AccessDenied" in text or "response code: 403" in text:
        return (f"access denied to key {location.key!r} in bucket {location.bucket!r}: the check's credentials "
                f"(its ServiceAccount's cloud identity or AWS_* environment) need s3:GetObject on it")
    if "NETWORK_CONNECTION" in text or "curlCode" in text or "resolve host" in text.lower():
        return f"cannot reach {where}: {_network_reason(text)}"
    if "INVALID_ACCESS_KEY_ID" in text or "SIGNATURE_DOES_NOT_MATCH" in text or "InvalidAccessKeyId" in text:
        return f"{where} rejected the check's credentials (unknown access key or wrong secret)"
    if "NO_SUCH_BUCKET" in text or "NoSuchBucket" in text:
        return f"bucket {location.bucket!r} does not exist at {where}"
    if "NO_SUCH_KEY" in text or "NoSuchKey" in text or isinstance(error, FileNotFoundError):
        return f"no object with key {location.key!r} in bucket {location.bucket!r}"
    # Unknown SDK errors: the first line names the operation and the AWS error code.
    return f"cannot read key {location.key!r} in bucket {location.bucket!r}: {text.splitlines()[0][:300]}"


def _where(endpoint: str | None) -> str:
    if not endpoint:
        return "AWS S3"
    # An endpoint from the environment is not validated like the spec's: show only its address.
    parsed = urllib.parse.urlsplit(endpoint)
    port = f":{parsed.port}" if parsed.port else ""
    return f"endpoint {parsed.scheme}://{parsed.hostname}{port}"


def _network_reason(text: str) -> str:
    match = re.search(r"Details: (.+)", text)
    return (match.group(1) if match else text.splitlines()[0]).strip()[:300]


def _filesystem(location: Location, *, endpoint: str | None, region: str | None) -> pa_fs.S3FileSystem:
    return filesystem(location.bucket, endpoint=endpoint, region=region)


def filesystem(bucket: str, *, endpoint: str | None, region: str | None) -> pa_fs.S3FileSystem:
    """pyarrow's S3 filesystem for ``bucket``: bounded timeouts and retries, path-style addressing
    for an S3-compatible ``endpoint``, the bucket's own region on AWS."""
    options: dict[str, object] = {
        "connect_timeout": CONNECT_TIMEOUT, "request_timeout": REQUEST_TIMEOUT,
        "retry_strategy": pa_fs.AwsStandardS3RetryStrategy(max_attempts=MAX_ATTEMPTS),
    }
    if endpoint:
        parsed = urllib.parse.urlsplit(endpoint)
        # host[:port] only: user:password@ in an endpoint variable is no credential the SDK takes,
        # and would otherwise be taken for the host name (and shown in its errors).
        options["endpoint_override"] = f"{parsed.hostname}:{parsed.port}" if parsed.port else f"{parsed.hostname}"
        options["scheme"] = parsed.scheme
        # Most S3-compatible stores serve buckets under the path, not as virtual hosts.
        options["force_virtual_addressing"] = False
    if region:
        options["region"] = region
    elif not endpoint:
        # A bucket in another region than the pod's default answers only with a redirect.
        try:
            options["region"] = pa_fs.resolve_s3_region(bucket)
        except (OSError, ValueError):
            pass  # left to the SDK's default; the read itself will then report what is wrong
    return pa_fs.S3FileSystem(**options)


def download(uri: str, *, scratch: str, prefix: str, endpoint: str | None = None,
             region: str | None = None) -> str:
    """A local copy of the object at ``uri`` in ``scratch``; raises DataError saying what failed."""
    location = parse_uri(uri)
    endpoint = endpoint or endpoint_from_environment()
    try:
        filesystem = _filesystem(location, endpoint=endpoint, region=region)
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read {location.uri}: {_where(endpoint)}: {error}") from error
    suffix = "".join(PurePosixPath(location.key).suffixes[-2:])
    handle, path = tempfile.mkstemp(prefix=f"{prefix}-", suffix=suffix, dir=scratch)
    try:
        with os.fdopen(handle, "wb") as out, \
                filesystem.open_input_stream(f"{location.bucket}/{location.key}") as source:
            while chunk := source.read(CHUNK_BYTES):
                out.write(chunk)
    except OSError as error:
        os.unlink(path)
        reason = explain(error, location, endpoint=endpoint)
        if isinstance(error, FileNotFoundError) and _bucket_missing(filesystem, location):
            reason = f"bucket {location.bucket!r} does not exist at {_where(endpoint)}"
        raise DataError(f"cannot read {location.uri}: {reason}") from error
    return path


def _bucket_missing(filesystem: pa_fs.S3FileSystem, location: Location) -> bool:
    try:
        return filesystem.get_file_info(location.bucket).type == pa_fs.FileType.NotFound
    except OSError:
        return False  # not allowed to look: the key's message stands
