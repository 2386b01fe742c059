"""Writes the bad-data corpus next to this file: small inputs that broke the check job in the
attack run (#20), each with the column the error must name. Deterministic; rerun after changing
it (``python tests/bad_data/make_corpus.py``) and commit the files. The good files are the
other side of each check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROWS = 400


def good_table() -> pa.Table:
    rng = np.random.default_rng(20)
    return pa.table({"x": rng.normal(size=ROWS).round(6), "city": pa.array(rng.choice(["oslo", "lima", "pune"], ROWS))})


def corrupt_pages(table: pa.Table) -> bytes:
    """A Parquet file whose footer is intact (it opens) but whose first data page of ``x`` is
    overwritten: pyarrow fails only when the column is read."""
    pq.write_table(table, HERE / "good.parquet", compression="NONE")
    raw = bytearray((HERE / "good.parquet").read_bytes())
    start = pq.ParquetFile(HERE / "good.parquet").metadata.row_group(0).column(0).data_page_offset
    raw[start + 8 : start + 200] = b"\xab" * 192
    return bytes(raw)


def main() -> None:
    table = good_table()
    pa_csv.write_csv(table, HERE / "good.csv")
    (HERE / "corrupt-pages.parquet").write_bytes(corrupt_pages(table))
    # Latin-1 bytes in a text column of a CSV: pyarrow reads the column as binary.
    text = (HERE / "good.csv").read_bytes().replace(b'"lima"', b'"lim\xe1"', 3)
    (HERE / "not-utf8.csv").write_bytes(text)
    # The same in JSON Lines: the reader keeps it as a string that fails when decoded.
    lines = [f'{{"x": {x}, "city": "{c}"}}'.encode() for x, c in zip(table["x"].to_pylist(), table["city"].to_pylist())]
    lines[7] = b'{"x": 0.5, "city": "s\xe3o paulo"}'
    (HERE / "not-utf8.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    blob = pa.array([bytes([255, i % 256]) for i in range(ROWS)], pa.binary())
    pq.write_table(table.append_column("blob", blob), HERE / "binary-column.parquet")
    pq.write_table(
        pa.table([table["x"], table["x"], table["city"]], names=["x", "x", "city"]), HERE / "duplicate-names.parquet"
    )
    (HERE / "duplicate-names.csv").write_text("x,city,x\n1.0,oslo,2.0\n3.0,lima,4.0\n")


if __name__ == "__main__":
    main()
