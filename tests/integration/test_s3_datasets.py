"""A partitioned prediction log on an S3-compatible store (moto's server on loopback), read as a
ModelMonitor source: the check job's code lists it, prunes it to the window and reads it column by
column through pyarrow's S3 filesystem.

Objects outside the window hold garbage, so a check that passes never read them; bytes are
counted through a recording filesystem wrapped around the real S3 one.
"""

from __future__ import annotations

import datetime
import io
import os
from collections.abc import Iterator

import boto3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from modelmon import check_job
from modelmon.api.monitor import parse_spec
from modelmon.api.sources import DataSource
from modelmon.data import datasets, filesystems

from support.counting_fs import counting

BUCKET = "ml-logs"
SECRET = "s3-dataset-secret-never-shown-0001"
KEY_ID = "AKIAMODELMONDATASET1"
START = datetime.datetime(2026, 12, 1, 0, tzinfo=datetime.UTC)
HOURS = 6
PER_HOUR = 2000


def parquet_bytes(table: pa.Table, **options: object) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


@pytest.fixture(scope="module")
def store() -> Iterator[dict[str, object]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
    )
    client.create_bucket(Bucket=BUCKET)
    rng = np.random.default_rng(5)
    written = []
    for hour in range(HOURS):
        moment = START + datetime.timedelta(hours=hour)
        base = int(moment.timestamp() * 1e6)
        table = pa.table(
            {
                "timestamp": pa.array(
                    base + np.sort(rng.integers(0, 3_600_000_000, PER_HOUR)), pa.timestamp("us", "UTC")
                ),
                "id": [f"h{hour}-{i}" for i in range(PER_HOUR)],
                **{f"f{i}": rng.normal(0 if hour < 4 else 2, 1, PER_HOUR) for i in range(8)},
            }
        )
        key = f"preds/date={moment:%Y-%m-%d}/hour={moment:%H}/part-{hour}.parquet"
        # Before 04:00 the objects are garbage: only a read outside the window would touch them.
        body = parquet_bytes(table, row_group_size=500) if hour >= 4 else b"outside the window: never read"
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
        written.append(table)
    reference = pa.table({f"f{i}": rng.normal(0, 1, 5000) for i in range(8)})
    client.put_object(Bucket=BUCKET, Key="reference/train.parquet", Body=parquet_bytes(reference))
    wide = pa.table({f"c{i}": rng.normal(size=200_000) for i in range(10)})
    client.put_object(Bucket=BUCKET, Key="wide/one.parquet", Body=parquet_bytes(wide, row_group_size=50_000))
    try:
        yield {"endpoint": endpoint, "written": written, "wide_size": len(parquet_bytes(wide, row_group_size=50_000))}
    finally:
        server.stop()


@pytest.fixture
def aws_env(store: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> str:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return str(store["endpoint"])


def test_a_monitor_checks_the_window_of_a_partitioned_log_on_s3(store, aws_env):
    s3 = {"endpoint": aws_env}
    spec = parse_spec(
        {
            "model": {"name": "m"},
            "reference": {"uri": f"s3://{BUCKET}/reference/train.parquet", "s3": s3},
            "current": {
                "uri": f"s3://{BUCKET}/preds/",
                "s3": s3,
                "timePartitions": {"dateKey": "date", "hourKey": "hour"},
                "window": {"duration": "90m", "timestampColumn": "timestamp"},
            },
        }
    )
    now = (START + datetime.timedelta(hours=HOURS)).timestamp()
    report, _, _ = check_job.check_data(spec, namespace="ns", clock=lambda: now)
    stamps = pa.concat_tables(store["written"][4:]).column("timestamp").cast(pa.int64()).to_numpy() / 1e6
    assert report.current_rows == int((stamps >= now - 5400).sum()) > PER_HOUR
    assert report.dataset.drifted  # every feature moved from 0 to 2
    assert SECRET not in repr(report)


def test_last_rows_of_a_log_on_s3(store, aws_env):
    source = DataSource.model_validate({"uri": f"s3://{BUCKET}/preds/", "s3": {"endpoint": aws_env}})
    table = datasets.open_dataset(filesystems.locate(source), count=False)
    window = datasets.window(table, rows=2500, now=0)
    expected = pa.concat_tables(store["written"][4:]).column("f3").to_numpy()[-2500:]
    np.testing.assert_array_equal(window.numeric("f3"), expected)


def test_an_s3_parquet_object_is_read_column_by_column(store, aws_env):
    located = filesystems.locate(
        DataSource.model_validate({"uri": f"s3://{BUCKET}/wide/one.parquet", "s3": {"endpoint": aws_env}})
    )
    recording, handler = counting(located.filesystem)
    table = datasets.open_dataset(filesystems.Located(recording, located.path, located.uri))
    assert table.num_rows == 200_000
    before = handler.bytes_read
    values = table.numeric("c7")
    assert values.size == 200_000
    read = handler.bytes_read - before
    # One column of ten (1.6 MB of 16 MB) plus the footer: ranges of the object, not the object.
    assert read < store["wide_size"] / 5, (read, store["wide_size"])
