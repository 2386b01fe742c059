"""Reading columns: dictionary-encoded Parquet text counts exactly like plain text."""

import pyarrow as pa
import pyarrow.parquet as pq

from modelmon.data import tables


def test_parquet_text_is_counted_through_its_dictionary(tmp_path):
    values = ["b", None, "a", "b", "c", None, "b"] * 100
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"c": values}), path, row_group_size=250)  # several chunks
    table = tables.open_table(str(path))
    assert pa.types.is_dictionary(table.column("c").type)
    counts, missing = table.category_counts("c")
    assert counts == {"b": 300, "a": 100, "c": 100}
    assert list(counts) == ["b", "a", "c"]
    assert missing == 200
    assert tables.category_counts(pa.chunked_array([values])) == (counts, missing)
