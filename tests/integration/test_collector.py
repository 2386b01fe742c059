"""``modelmon collect`` as a process, against a real HTTP client sending KServe-shaped CloudEvents.

Binary and structured content modes, v1 and v2 payloads, pairing by id, malformed events (400 and a
metric), a full buffer (503), unpaired events, a store outage on a real S3-compatible server (moto's,
on loopback: 503 while it is down, everything acknowledged written once it is back), and SIGTERM in the
middle of flushes with senders still sending: every event answered 200 is in the store afterwards.
"""

from __future__ import annotations

import datetime
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pyarrow.dataset as ds
import pyarrow.fs as pa_fs
import pytest
from moto.server import ThreadedMotoServer

from modelmon.api.monitor import CurrentData
from modelmon.data import datasets, filesystems
from support.kserve_events import binary, get, metric, post, start_collector, structured
from support.waiting import wait_for

KEY_ID, SECRET = "AKIAMODELMONCOLLECT1", "collector-test-secret-never-shown"


def read(root: Path | str, filesystem: pa_fs.FileSystem | None = None) -> list[dict]:
    dataset = ds.dataset(str(root), format="parquet", partitioning="hive", filesystem=filesystem)
    return sorted(dataset.to_table().to_pylist(), key=lambda row: row["id"])


def parts(root: Path) -> list[Path]:
    return sorted(root.rglob("part-*.parquet"))


def test_binary_v1_and_structured_v2_pairs_land_in_hourly_partitions(tmp_path):
    collector = start_collector(str(tmp_path), "--flush-rows", "3", "--flush-interval", "3600")
    try:
        # The response first: KServe's workers may deliver them in either order.
        assert post(collector.url, binary("r1", "response", {"predictions": [1, 0]})) == (200, "accepted\n")
        assert post(collector.url, binary("r1", "request", {"instances": [[5.1, 3.5], [6.2, 2.9]]}))[0] == 200
        v2_request = {
            "inputs": [
                {"name": "age", "shape": [1], "datatype": "INT64", "data": [41]},
                {"name": "income", "shape": [1, 1], "datatype": "FP32", "data": [[52.5]]},
            ]
        }
        v2_response = {
            "model_name": "credit",
            "outputs": [
                {"name": "label", "shape": [1], "datatype": "INT64", "data": [1]},
                {"name": "probability", "shape": [1, 2], "datatype": "FP32", "data": [0.25, 0.75]},
            ],
        }
        assert post(collector.url, structured("s1", "request", v2_request, model="credit"))[0] == 200
        assert post(collector.url, structured("s1", "response", v2_response, model="credit"))[0] == 200
        # Three rows of iris were ready (flush-rows 3 counts all models): written before any shutdown.
        wait_for(lambda: parts(tmp_path / "ml" / "iris" / "predictor"), timeout=10)
    finally:
        code, out = collector.stop()
    assert code == 0, out
    iris_files = parts(tmp_path / "ml" / "iris" / "predictor")
    assert [p.parent.relative_to(tmp_path / "ml" / "iris" / "predictor").as_posix() for p in iris_files] == [
        "date=2026-12-01/hour=13"
    ]
    iris = read(tmp_path / "ml" / "iris" / "predictor")
    assert [(r["id"], r["feature_0"], r["feature_1"], r["prediction"]) for r in iris] == [
        ("r1-0", 5.1, 3.5, 1.0),
        ("r1-1", 6.2, 2.9, 0.0),
    ]
    assert str(iris[0]["timestamp"]) == "2026-12-01 13:05:09.123456+00:00"
    credit = read(tmp_path / "ml" / "credit" / "predictor")
    assert [{k: v for k, v in row.items() if k not in ("timestamp", "date", "hour")} for row in credit] == [
        {"id": "s1", "age": 41, "income": 52.5, "label": 1, "probability_0": 0.25, "probability_1": 0.75}
    ]


def test_malformed_events_get_400_with_a_reason_and_are_counted(tmp_path):
    collector = start_collector(str(tmp_path))
    try:
        cases = {
            "bad_data": (binary("m1", "request", None)[0], b"{not json"),
            "unknown_type": ({**binary("m2", "request", {})[0], "ce-type": "com.example.other"}, b"{}"),
            "no_model": (
                {**binary("m3", "request", {})[0], "ce-inferenceservicename": "../../etc"},
                b'{"instances": [[1]]}',
            ),
            "bad_payload": binary(
                "m4", "request", {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3]}]}
            ),
            "not_a_cloudevent": ({"Content-Type": "application/json"}, b'{"instances": [[1]]}'),
        }
        answers = {reason: post(collector.url, message) for reason, message in cases.items()}
        assert post(collector.url, binary("m5", "request", {"instances": [[1], [2]]}))[0] == 200
        answers["unpairable"] = post(collector.url, binary("m5", "response", {"predictions": [1]}))
        for reason, (status, text) in answers.items():
            assert status == 400, (reason, status, text)
            assert text.count("\n") == 1 and len(text) < 300, text
            assert metric(collector.url, "modelmon_collector_events_malformed_total", reason=reason) == 1, reason
        assert "no_model" in answers and "'../../etc' is not a Kubernetes name" in answers["no_model"][1]
        assert "shape [2, 2] holds 4" in answers["bad_payload"][1]
        assert metric(collector.url, "modelmon_collector_events_total", type="request", outcome="malformed") == 3
    finally:
        code, out = collector.stop()
    assert code == 0, out
    # Nothing malformed reached the store; the request of the unpairable response waits as unanswered.
    rows = read(tmp_path / "ml" / "iris" / "predictor")
    assert [r["id"] for r in rows] == ["m5-0", "m5-1"] and "prediction" not in rows[0]


def test_a_full_buffer_answers_503_and_unpaired_events_are_settled(tmp_path):
    collector = start_collector(
        str(tmp_path), "--max-buffered-events", "3", "--pair-timeout", "3", "--flush-interval", "0.5"
    )
    try:
        for event_id in ("u1", "u2"):
            assert post(collector.url, binary(event_id, "request", {"instances": [[1.0]]}))[0] == 200
        assert post(collector.url, binary("u3", "response", {"predictions": [7]}))[0] == 200
        status, text = post(collector.url, binary("u4", "request", {"instances": [[1.0]]}))
        assert status == 503 and "buffer is full" in text
        assert metric(collector.url, "modelmon_collector_events_total", type="request", outcome="buffer_full") == 1
        # After the pair timeout the requests are written with null predictions, the response is dropped.
        wait_for(
            lambda: (
                metric(collector.url, "modelmon_collector_rows_written_total", namespace="ml", inferenceservice="iris")
                == 2
            ),
            timeout=15,
        )
        assert metric(collector.url, "modelmon_collector_unpaired_total", type="response") == 1
        assert metric(collector.url, "modelmon_collector_unpaired_total", type="request") == 2
        assert post(collector.url, binary("u4", "request", {"instances": [[1.0]]}))[0] == 200
    finally:
        code, out = collector.stop()
    assert code == 0, out
    assert [r["id"] for r in read(tmp_path / "ml" / "iris" / "predictor")] == ["u1", "u2", "u4"]


@pytest.fixture
def s3_endpoint() -> Iterator[tuple[str, list[ThreadedMotoServer]]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    servers = [server]
    yield f"http://{host}:{port}", servers
    for running in servers:
        running.stop()


def test_a_store_outage_gets_503_and_everything_acknowledged_is_written_once_it_is_back(s3_endpoint, tmp_path):
    endpoint, servers = s3_endpoint
    port = int(endpoint.rsplit(":", 1)[1])

    def make_bucket() -> None:
        boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
        ).create_bucket(Bucket="preds")

    make_bucket()
    env = {
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    collector = start_collector("s3://preds/kserve", "--flush-rows", "1", "--flush-interval", "0.5", env=env)
    acknowledged = []

    def send(event_id: str) -> int:
        status = post(collector.url, binary(event_id, "request", {"instances": [[1.0, 2.0]]}))[0]
        if status == 200:
            status = post(collector.url, binary(event_id, "response", {"predictions": [3]}))[0]
            if status == 200:
                acknowledged.append(event_id)
        return status

    try:
        assert send("before") == 200
        wait_for(lambda: metric(collector.url, "modelmon_collector_files_written_total") == 1, timeout=15)
        servers[0].stop()
        # Accepted while the outage is not yet seen, then refused with 503 once a write failed.
        statuses = []
        for index in range(200):
            statuses.append(send(f"during-{index}"))
            if statuses[-1] == 503:
                break
            time.sleep(0.05)
        assert statuses[-1] == 503, statuses
        assert get(f"{collector.url}/readyz")[0] == 503
        assert metric(collector.url, "modelmon_collector_store_up") == 0
        assert metric(collector.url, "modelmon_collector_write_failures_total") >= 1
        # The store comes back (empty: moto keeps nothing) and the collector recovers on its own.
        revived = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        revived.start()
        servers.append(revived)
        make_bucket()
        wait_for(lambda: get(f"{collector.url}/readyz")[0] == 200, timeout=60)
        assert send("after") == 200
    finally:
        code, out = collector.stop()
    assert code == 0, out
    assert SECRET not in out
    filesystem = pa_fs.S3FileSystem(
        endpoint_override=endpoint.split("//")[1],
        scheme="http",
        access_key=KEY_ID,
        secret_key=SECRET,
        region="us-east-1",
    )
    written = {row["id"] for row in read("preds/kserve/ml/iris/predictor", filesystem)}
    # "before" was written to the first server, whose objects went with it; every event acknowledged
    # after that first write is in the revived store.
    assert set(acknowledged) - {"before"} <= written and "after" in written, (acknowledged, written)


def test_sigterm_in_the_middle_of_flushes_loses_no_acknowledged_event(tmp_path):
    collector = start_collector(
        str(tmp_path), "--flush-rows", "25", "--flush-interval", "3600", "--pair-timeout", "3600"
    )
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop_sending = threading.Event()

    def sender(worker: int) -> None:
        index = 0
        while not stop_sending.is_set():
            event_id = f"w{worker}-{index}"
            index += 1
            try:
                if (
                    post(collector.url, binary(event_id, "request", {"instances": [[index, worker]]}), timeout=5)[0]
                    != 200
                ):
                    continue
                with lock:
                    acknowledged.append(event_id)  # the request alone is acknowledged: it must be written
                post(collector.url, binary(event_id, "response", {"predictions": [index % 2]}), timeout=5)
            except OSError:
                return  # the collector stopped listening

    threads = [threading.Thread(target=sender, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(parts(tmp_path)) >= 3, timeout=30)  # flushes are under way
        code, out = collector.stop(signal.SIGTERM)
    finally:
        stop_sending.set()
        for thread in threads:
            thread.join(timeout=30)
    assert code == 0, out
    assert "every acknowledged event is written" in out
    rows = read(tmp_path / "ml" / "iris" / "predictor")
    written = {row["id"] for row in rows}
    assert len(acknowledged) > 50
    assert set(acknowledged) <= written, sorted(set(acknowledged) - written)[:10]
    assert len(rows) == len(written)  # each once
    assert not list(tmp_path.rglob(".*.tmp"))


def test_a_monitors_window_reads_what_the_collector_wrote(tmp_path):
    """End to end: KServe-shaped events in, the collector's hourly dataset out, read back through a
    ModelMonitor's current source (modelmon.data.datasets) with a 2-hour window pruned by partition."""
    collector = start_collector(str(tmp_path), "--flush-rows", "50")
    try:
        for hour in range(10, 14):  # 10:00 to 13:59, ten inferences an hour
            for index in range(10):
                event_id, time_ = f"h{hour}-{index}", f"2026-12-01T{hour}:{index * 5:02d}:00Z"
                instance = {"age": 30.0 + index, "region": "west" if index % 2 else "east"}
                assert (
                    post(
                        collector.url,
                        binary(event_id, "request", {"instances": [instance]}, model="credit", time_=time_),
                    )[0]
                    == 200
                )
                assert (
                    post(collector.url, binary(event_id, "response", {"predictions": [index % 2]}, model="credit"))[0]
                    == 200
                )
    finally:
        code, out = collector.stop()
    assert code == 0, out
    source = CurrentData.model_validate(
        {
            "uri": f"file://{tmp_path}/ml/credit/predictor/",
            "format": "parquet",
            "timePartitions": {},
            "window": {"duration": "2h", "timestampColumn": "timestamp"},
        }
    )
    now = datetime.datetime(2026, 12, 1, 14, 0, tzinfo=datetime.UTC).timestamp()
    table = datasets.current_window(datasets.open_dataset(filesystems.locate(source), count=False), source, now=now)
    ids = sorted(table.column("id").to_pylist())
    assert ids == sorted(f"h{hour}-{index}" for hour in (12, 13) for index in range(10))
    assert {"age", "region", "prediction", "timestamp"} <= set(table.columns)
    assert table.kind("age") != table.kind("region")  # numeric and categorical, as the check will judge them


def test_sigkill_after_acknowledging_loses_nothing_with_the_write_ahead_log(tmp_path):
    """Killed without warning in the middle of flushes, with senders still sending: the next collector on
    the same write-ahead log writes every event the killed one answered 200 (at least once)."""
    store, wal = tmp_path / "store", tmp_path / "wal"
    flags = ("--wal-dir", str(wal), "--flush-rows", "25", "--flush-interval", "3600", "--pair-timeout", "3600")
    collector = start_collector(str(store), *flags)
    acknowledged: list[str] = []
    lock = threading.Lock()

    def sender(worker: int) -> None:
        for index in range(100_000):
            event_id = f"k{worker}-{index}"
            try:
                request = binary(event_id, "request", {"instances": [[index, worker]]})
                if post(collector.url, request, timeout=5)[0] != 200:
                    continue
                with lock:
                    acknowledged.append(event_id)
                if index % 7:  # every seventh inference never gets its response: written without prediction
                    post(collector.url, binary(event_id, "response", {"predictions": [index % 2]}), timeout=5)
            except OSError:
                return

    threads = [threading.Thread(target=sender, args=(worker,)) for worker in range(3)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(parts(store)) >= 3, timeout=30)
        collector.process.send_signal(signal.SIGKILL)
        collector.process.communicate(timeout=30)
    finally:
        for thread in threads:
            thread.join(timeout=30)
    assert len(acknowledged) > 50
    assert list(wal.glob("wal-*.jsonl")), "the killed collector left its log"
    restarted = start_collector(str(store), *flags)
    assert "replayed" in restarted.startup
    code, out = restarted.stop()
    assert code == 0, out
    written = {row["id"] for row in read(store / "ml" / "iris" / "predictor")}
    assert set(acknowledged) <= written, sorted(set(acknowledged) - written)[:10]
    assert not list(wal.glob("wal-*.jsonl")), "a clean stop leaves no log behind"
