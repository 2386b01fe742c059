"""Saving and loading reference profiles (``.npz``), so repeated checks skip the reference.

One file: each numeric column's sorted finite values as an array, and a JSON header with
everything else. Loading never unpickles (``allow_pickle=False``): a profile is data, not code.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from modelmon.data.errors import DataError
from modelmon.drift import profile

FORMAT_VERSION = 1


def save_profile(ref: profile.ReferenceProfile, path: str) -> None:
    header: dict[str, object] = {"version": FORMAT_VERSION, "source": ref.source, "bins": ref.bins, "columns": []}
    arrays: dict[str, np.ndarray] = {}
    columns: list[dict[str, object]] = []
    for index, (name, column) in enumerate(ref.columns.items()):
        if isinstance(column, profile.NumericProfile):
            key = f"c{index}"
            arrays[key] = column.sample.finite
            columns.append({"name": name, "kind": "numeric", "array": key, "rows": column.sample.rows,
                            "missing": column.sample.missing, "nonFinite": column.sample.non_finite})
        elif isinstance(column, profile.IdentifierProfile):
            columns.append({"name": name, "kind": "identifier", "rows": column.rows, "reason": column.reason})
        else:
            columns.append({"name": name, "kind": "categorical", "rows": column.rows,
                            "missing": column.missing, "counts": column.counts})
    header["columns"] = columns
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    try:
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds wrongly
    except OSError as error:
        raise DataError(f"{path}: cannot write the profile ({error.strerror}); choose a writable --output") from error


def load_profile(path: str) -> profile.ReferenceProfile:
    if not Path(path).is_file():
        raise DataError(f"{path}: no such profile file; build one with `modelmon profile`")
    try:
        with np.load(path, allow_pickle=False) as stored:
            header = json.loads(bytes(stored["header"]).decode())
            if header.get("version") != FORMAT_VERSION:
                raise DataError(f"{path}: profile format {header.get('version')} is not {FORMAT_VERSION}; rebuild it")
            bins = int(header["bins"])
            columns: dict[str, profile.ColumnProfile] = {}
            for column in header["columns"]:
                if column["kind"] == "numeric":
                    finite = stored[column["array"]]
                    sample = profile.SortedSample(rows=column["rows"], missing=column["missing"],
                                                  non_finite=column["nonFinite"], finite=finite)
                    columns[column["name"]] = profile.profile_sorted(column["name"], sample, bins=bins)
                elif column["kind"] == "identifier":
                    columns[column["name"]] = profile.IdentifierProfile(
                        name=column["name"], rows=int(column["rows"]), reason=str(column["reason"]))
                else:
                    columns[column["name"]] = profile.CategoricalProfile(
                        name=column["name"], rows=column["rows"], missing=column["missing"], counts=column["counts"])
            return profile.ReferenceProfile(source=str(header["source"]), bins=bins, columns=columns)
    except DataError:
        raise
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            zipfile.BadZipFile) as error:
        # np.load of a truncated, empty or foreign file fails in many ways (BadZipFile, EOFError,
        # "pickled data" ValueError, ...); a header of the wrong shape in KeyError/TypeError.
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{path}: not a readable modelmon profile ({type(error).__name__}: {detail}); "
                        f"rebuild it with `modelmon profile`") from error
