"""Writing one Parquet file into the store, whole or not at all.

A store is a local directory (a volume: ``/data/preds`` or ``file:///data/preds``) or an object store
URI pyarrow's filesystems know (``s3://bucket/prefix``; ``gs://`` and ``abfs://`` as pyarrow supports
them). On a directory the file is written under a hidden temporary name, flushed to disk and renamed,
so a reader never sees half a file and a crash leaves at most a hidden temporary file; on an object
store the object appears only when its upload completes (on S3 one PutObject: ``allow_delayed_open``
makes pyarrow send a file smaller than a multipart part in one request). An S3-compatible store's address comes from
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``, credentials from the standard AWS chain, as for the
check's sources.

Errors are :class:`StoreError` with one line that never carries credentials.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.fs as pa_fs
import pyarrow.parquet as pq

from modelmon.data import s3

#: Seconds pyarrow's S3 client waits: the flusher retries on its own schedule.
_S3_TIMEOUT = 10.0


class StoreError(Exception):
    """The store cannot be written; the message says which and why, in one line."""


class Store(Protocol):
    uri: str

    def write(self, directory: str, name: str, table: pa.Table) -> str:
        """Write ``table`` as ``<directory>/<name>`` below the store's root; the written file's URI."""

    def check(self) -> None:
        """Raise StoreError if the store cannot be reached."""


def open_store(uri: str) -> Store:
    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme in ("", "file"):
        return LocalStore(Path(parsed.path if parsed.scheme else uri))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise StoreError(f"store {uri}: write s3://BUCKET[/PREFIX]")
        endpoint = s3.endpoint_from_environment()
        options: dict[str, object] = {
            "connect_timeout": _S3_TIMEOUT,
            "request_timeout": _S3_TIMEOUT,
            "allow_delayed_open": True,
        }
        if endpoint:
            address = urllib.parse.urlsplit(endpoint)
            options.update(endpoint_override=address.netloc, scheme=address.scheme, force_virtual_addressing=False)
        try:
            filesystem = pa_fs.S3FileSystem(**options)
        except (OSError, ValueError) as error:
            raise StoreError(f"store {uri}: {_first_line(error)}") from error
        return ObjectStore(uri=uri, filesystem=filesystem, base=f"{parsed.netloc}{parsed.path}".rstrip("/"))
    try:
        filesystem, base = pa_fs.FileSystem.from_uri(uri)
    except (OSError, ValueError) as error:
        raise StoreError(
            f"store {uri}: not a directory or an object store pyarrow can write ({_first_line(error)})"
        ) from error
    return ObjectStore(uri=uri, filesystem=filesystem, base=base.rstrip("/"))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = str(root)

    def write(self, directory: str, name: str, table: pa.Table) -> str:
        folder = self.root / directory
        final, temporary = folder / name, folder / f".{name}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, temporary)
            with open(temporary, "rb") as written:
                os.fsync(written.fileno())
            os.replace(temporary, final)
            # The rename is durable once the directory itself is on disk.
            descriptor = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise StoreError(f"cannot write {final}: {error.strerror or _first_line(error)}") from error
        return str(final)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise StoreError(f"store {self.root} is not writable by this process")
        except OSError as error:
            raise StoreError(f"store {self.root}: {error.strerror or _first_line(error)}") from error


class ObjectStore:
    def __init__(self, *, uri: str, filesystem: pa_fs.FileSystem, base: str) -> None:
        self.uri = uri.rstrip("/")
        self.filesystem = filesystem
        self.base = base

    def write(self, directory: str, name: str, table: pa.Table) -> str:
        path = f"{self.base}/{directory}/{name}"
        # Serialised first, then sent as one buffer: an error while encoding must not reach close(),
        # which would complete the upload of half a file.
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        data = sink.getvalue()
        try:
            with self.filesystem.open_output_stream(path) as stream:
                stream.write(data)
        except (OSError, pa.ArrowException) as error:
            raise StoreError(f"cannot write {self.uri}/{directory}/{name}: {_first_line(error)}") from error
        return f"{self.uri}/{directory}/{name}"

    def check(self) -> None:
        bucket = self.base.split("/")[0]
        try:
            info = self.filesystem.get_file_info(bucket)
        except (OSError, pa.ArrowException) as error:
            raise StoreError(f"store {self.uri}: {_first_line(error)}") from error
        if info.type == pa_fs.FileType.NotFound:
            raise StoreError(f"store {self.uri}: bucket {bucket!r} does not exist")
