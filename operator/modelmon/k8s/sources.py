"""Fetching a monitor's data sources to local files the check can read.

``file://`` is read in place (a mounted volume); ``http(s)://`` and ``s3://`` are downloaded
to the job's scratch directory; a ConfigMap key is written there. Secrets never pass through
here: S3 credentials stay with the SDK's own chain (environment, web identity, instance profile).
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import kubernetes

from modelmon.api.monitor import DataSource
from modelmon.data import s3
from modelmon.data.errors import DataError
from modelmon.k8s import client

DOWNLOAD_TIMEOUT = 60


def fetch_source(source: DataSource, *, namespace: str, label: str, scratch: str | None = None) -> str:
    """A local path holding the data of ``source``; raises DataError saying what failed."""
    scratch = scratch or tempfile.gettempdir()
    if source.config_map_key_ref is not None:
        return _from_config_map(source, namespace=namespace, label=label, scratch=scratch)
    assert source.uri is not None
    parsed = urllib.parse.urlparse(source.uri)
    if parsed.scheme == "file":
        return parsed.path
    if parsed.scheme in ("http", "https"):
        return _download(source.uri, label=label, scratch=scratch)
    if parsed.scheme == "s3":
        options = source.s3
        try:
            return s3.download(source.uri, scratch=scratch, prefix=label,
                               endpoint=options.endpoint if options else None,
                               region=options.region if options else None)
        except DataError as error:
            raise DataError(f"{label}.uri: {error}") from error
    raise DataError(f"{label}.uri: scheme {parsed.scheme}:// is not supported; "
                    f"use file://, http(s)://, s3:// or configMapKeyRef")


def _download(uri: str, *, label: str, scratch: str) -> str:
    suffix = Path(urllib.parse.urlparse(uri).path).suffix
    handle, path = tempfile.mkstemp(prefix=f"{label}-", suffix=suffix, dir=scratch)
    shown = urllib.parse.urlparse(uri)._replace(query="", fragment="", netloc=urllib.parse.urlparse(uri).hostname or "")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(uri, timeout=DOWNLOAD_TIMEOUT) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        # The URL may carry credentials in its query or user-info: only the host and path are shown.
        raise DataError(f"{label}.uri: cannot download {shown.geturl()}: {getattr(error, 'reason', error)}") from error
    return path


def _from_config_map(source: DataSource, *, namespace: str, label: str, scratch: str) -> str:
    ref = source.config_map_key_ref
    assert ref is not None
    try:
        config_map = client.core().read_namespaced_config_map(ref.name, namespace)
    except kubernetes.client.ApiException as error:
        raise DataError(f"{label}.configMapKeyRef: cannot read ConfigMap {namespace}/{ref.name}: "
                        f"{error.status} {error.reason}") from error
    data = (config_map.data or {}).get(ref.key)
    if data is None:
        raise DataError(f"{label}.configMapKeyRef: ConfigMap {namespace}/{ref.name} has no key {ref.key!r}")
    path = os.path.join(scratch, f"{label}-{ref.key}")
    Path(path).write_text(data)
    return path
