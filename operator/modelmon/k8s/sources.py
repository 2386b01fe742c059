"""Opening a monitor's data sources as tables the check can read.

Parquet, directories, globs and partitioned datasets on ``file://``, ``s3://``, ``gs://`` and
``az://`` are read in place through pyarrow's dataset layer (column by column, the window
pushed down: :mod:`modelmon.data.datasets`). A single CSV or JSON Lines file is read whole
anyway: ``file://`` in place, ``http(s)://`` and ``s3://`` downloaded to the job's scratch
directory first; a ConfigMap key is written there. Secrets never pass through
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
from modelmon.data import datasets, filesystems, s3, tables
from modelmon.data.errors import DataError
from modelmon.k8s import client

DOWNLOAD_TIMEOUT = 60


def open_source(source: DataSource, *, namespace: str, label: str, scratch: str, count: bool = True) -> tables.Table:
    """The data of ``source`` as a table; raises DataError naming the field and what failed.
    ``count=False`` for data about to be windowed (:func:`datasets.open_dataset`)."""
    if _is_dataset(source):
        try:
            table = datasets.open_dataset(filesystems.locate(source), format=source.format, count=count)
        except DataError as error:
            raise DataError(f"{label}.{error}" if str(error).startswith("uri:") else f"{label}.uri: {error}") from error
        if table.format != "parquet":  # text formats parse whole: once, not once per column
            return datasets.materialise(table)
        return table
    return tables.open_table(fetch_source(source, namespace=namespace, label=label, scratch=scratch),
                             format=source.format)


def _is_dataset(source: DataSource) -> bool:
    """Read through the dataset layer: everything on a filesystem pyarrow reads in place, except a
    single CSV/JSON Lines file on a volume or S3, which keeps its established readers."""
    if source.uri is None:
        return False
    scheme, _, path = source.uri.partition("://")
    if scheme not in filesystems.SCHEMES:
        return False
    if scheme in ("gs", "az"):
        return True
    if scheme == "file" and os.path.isdir(path):
        return True
    single_text = not datasets.is_glob(path) and not path.endswith("/") and \
        (source.format or _extension_format(path)) in ("csv", "jsonl")
    return not single_text


def _extension_format(path: str) -> str | None:
    try:
        return tables.detect_format(path)
    except DataError:
        return None


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
