"""A pyarrow filesystem that records what is opened and how many bytes are read, over any other.

Wrapped as ``pyarrow.fs.PyFileSystem(Counting(base))``, it is what the dataset layer reads
through in tests, so "files outside the window are never opened" and "a column is read, not the
whole object" are observed, not assumed.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

import pyarrow as pa
import pyarrow.fs as pa_fs


class Counting(pa_fs.FileSystemHandler):
    def __init__(self, base: pa_fs.FileSystem) -> None:
        self.base = base
        self.opened: collections.Counter[str] = collections.Counter()
        self.bytes_read = 0
        self._lock = threading.Lock()

    def _read(self, count: int) -> None:
        with self._lock:
            self.bytes_read += count

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Counting) and other.base == self.base

    def __ne__(self, other: object) -> bool:
        return not self == other

    def get_type_name(self) -> str:
        return f"counting+{self.base.type_name}"

    def normalize_path(self, path: str) -> str:
        return self.base.normalize_path(path)

    def get_file_info(self, paths: list[str]) -> list[pa_fs.FileInfo]:
        return self.base.get_file_info(paths)

    def get_file_info_selector(self, selector: pa_fs.FileSelector) -> list[pa_fs.FileInfo]:
        return self.base.get_file_info(selector)

    def open_input_file(self, path: str) -> Any:
        with self._lock:
            self.opened[path] += 1
        return pa.PythonFile(_CountedFile(self.base.open_input_file(path), self), mode="r")

    def open_input_stream(self, path: str) -> Any:
        with self._lock:
            self.opened[path] += 1
        return pa.PythonFile(_CountedFile(self.base.open_input_stream(path), self), mode="r")

    # Writing is not what these tests observe: refused, so a test cannot write through it by mistake.
    def create_dir(self, path: str, recursive: bool) -> None:
        raise NotImplementedError

    def delete_dir(self, path: str) -> None:
        raise NotImplementedError

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        raise NotImplementedError

    def delete_root_dir_contents(self) -> None:
        raise NotImplementedError

    def delete_file(self, path: str) -> None:
        raise NotImplementedError

    def move(self, src: str, dest: str) -> None:
        raise NotImplementedError

    def copy_file(self, src: str, dest: str) -> None:
        raise NotImplementedError

    def open_output_stream(self, path: str, metadata: Any) -> Any:
        raise NotImplementedError

    def open_append_stream(self, path: str, metadata: Any) -> Any:
        raise NotImplementedError


class _CountedFile:
    """A Python file object over an arrow one, counting the bytes handed out."""

    def __init__(self, inner: pa.NativeFile, owner: Counting) -> None:
        self.inner = inner
        self.owner = owner
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(None if size is None or size < 0 else size)
        self.owner._read(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def size(self) -> int:
        return self.inner.size()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True
        self.inner.close()


def counting(base: pa_fs.FileSystem) -> tuple[pa_fs.PyFileSystem, Counting]:
    handler = Counting(base)
    return pa_fs.PyFileSystem(handler), handler
