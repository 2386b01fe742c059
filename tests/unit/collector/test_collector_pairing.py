"""Pairing requests with responses in a bounded buffer, and the rows it makes (collector.pairing, capture)."""

from __future__ import annotations

import dataclasses
import datetime

import pyarrow as pa
import pytest

from modelmon.collector import capture, layout, pairing
from modelmon.collector.events import EventError, InferenceEvent, Kind, ModelKey

T0 = datetime.datetime(2026, 12, 1, 13, 59, 59, tzinfo=datetime.UTC)
MODEL = ModelKey("ml", "iris")


def event(event_id: str, kind: Kind, *rows: dict, time: datetime.datetime = T0, model: ModelKey = MODEL):
    return InferenceEvent(id=event_id, kind=kind, model=model, time=time, rows=tuple(rows))


def buffer(capacity: int = 100, timeout: float = 30) -> pairing.PairingBuffer:
    return pairing.PairingBuffer(capacity=capacity, pair_timeout=datetime.timedelta(seconds=timeout))


@pytest.mark.parametrize("response_first", [False, True], ids=["request-first", "response-first"])
def test_a_pair_becomes_rows_in_the_request_hour(response_first):
    held = buffer()
    request = event("a", Kind.REQUEST, {"x": 1.0}, {"x": 2.0})
    response = event(
        "a", Kind.RESPONSE, {"prediction": 0.0}, {"prediction": 1.0}, time=T0 + datetime.timedelta(seconds=2)
    )
    for item in (response, request) if response_first else (request, response):
        held.add(item, now=T0)
    assert held.events == 2 and held.ready_rows == 2
    [batch] = held.take()
    assert (batch.model, batch.partition, batch.events) == (MODEL, "date=2026-12-01/hour=13", 2)
    assert batch.rows == [
        {"id": "a-0", "x": 1.0, "prediction": 0.0, "timestamp": T0},
        {"id": "a-1", "x": 2.0, "prediction": 1.0, "timestamp": T0},
    ]
    assert held.events == 2  # taken, not yet confirmed
    held.done(batch)
    assert held.events == 0


def test_a_single_instance_keeps_the_event_id_and_a_name_clash_is_prefixed():
    held = buffer()
    held.add(event("b", Kind.REQUEST, {"score": 3.0}), now=T0)
    held.add(event("b", Kind.RESPONSE, {"score": 0.5}), now=T0)
    assert held.take()[0].rows == [{"id": "b", "score": 3.0, "prediction_score": 0.5, "timestamp": T0}]


def test_a_response_with_another_row_count_is_refused_and_the_request_waits():
    held = buffer()
    held.add(event("c", Kind.REQUEST, {"x": 1.0}, {"x": 2.0}), now=T0)
    with pytest.raises(EventError, match="has 1 predictions but its request has 2 instances"):
        held.add(event("c", Kind.RESPONSE, {"prediction": 1.0}), now=T0)
    assert held.events == 1 and held.ready_rows == 0


def test_unpaired_requests_are_written_with_null_predictions_and_responses_dropped_after_the_timeout():
    held = buffer(timeout=30)
    held.add(event("a", Kind.REQUEST, {"x": 1.0}), now=T0)
    held.add(event("a", Kind.RESPONSE, {"prediction": 1.0}), now=T0)
    held.take()
    held.add(event("lonely", Kind.REQUEST, {"x": 5.0}), now=T0)
    held.add(event("orphan", Kind.RESPONSE, {"prediction": 0.0}), now=T0)
    held.expire(now=T0 + datetime.timedelta(seconds=29))
    assert held.ready_rows == 0
    held.expire(now=T0 + datetime.timedelta(seconds=30))
    assert (held.unanswered_requests, held.dropped_responses) == (1, 1)
    [batch] = held.take()
    assert batch.rows == [{"id": "lonely", "x": 5.0, "timestamp": T0}]
    # The model's prediction columns are kept for the file, as nulls.
    table = capture.build_table(batch.rows, columns=batch.columns)
    assert table.column("prediction").to_pylist() == [None]


def test_everything_is_settled_at_shutdown():
    held = buffer(timeout=3600)
    held.add(event("a", Kind.REQUEST, {"x": 1.0}), now=T0)
    held.expire(now=T0, everything=True)
    assert held.ready_rows == 1


def test_the_buffer_is_bounded_in_events_including_those_being_written():
    held = buffer(capacity=3)
    held.add(event("a", Kind.REQUEST, {"x": 1.0}), now=T0)
    held.add(event("a", Kind.RESPONSE, {"p": 1.0}), now=T0)
    [batch] = held.take()
    held.add(event("b", Kind.REQUEST, {"x": 1.0}), now=T0)
    with pytest.raises(pairing.BufferFull):
        held.add(event("c", Kind.REQUEST, {"x": 1.0}), now=T0)
    # The partner of a waiting event still pairs: refusing it would only turn a whole row into a half one.
    held.add(event("b", Kind.RESPONSE, {"p": 1.0}), now=T0)
    assert held.events == 4
    held.done(batch)
    held.take()
    held.add(event("c", Kind.REQUEST, {"x": 1.0}), now=T0)
    # A resent event replaces the held one instead of taking room.
    held.add(event("c", Kind.REQUEST, {"x": 9.0}), now=T0)
    assert held.events == 3


def test_a_failed_write_is_restored_for_the_next_take():
    held = buffer()
    held.add(event("a", Kind.REQUEST, {"x": 1.0}), now=T0)
    held.add(event("a", Kind.RESPONSE, {"p": 1.0}), now=T0)
    [batch] = held.take()
    held.add(event("b", Kind.REQUEST, {"x": 2.0}), now=T0)
    held.add(event("b", Kind.RESPONSE, {"p": 0.0}), now=T0)
    held.restore(batch, now=T0)
    [again] = held.take()
    assert [row["id"] for row in again.rows] == ["a", "b"] and again.events == 4


def test_rows_of_two_hours_and_two_models_go_to_four_files():
    held = buffer()
    other = ModelKey("ml", "credit")
    for model in (MODEL, other):
        for index, time in enumerate((T0, T0 + datetime.timedelta(seconds=1))):
            held.add(event(f"{model.name}{index}", Kind.REQUEST, {"x": 1.0}, time=time, model=model), now=T0)
            held.add(event(f"{model.name}{index}", Kind.RESPONSE, {"p": 1.0}, model=model), now=T0)
    assert sorted((b.model.name, b.partition) for b in held.take()) == [
        ("credit", "date=2026-12-01/hour=13"),
        ("credit", "date=2026-12-01/hour=14"),
        ("iris", "date=2026-12-01/hour=13"),
        ("iris", "date=2026-12-01/hour=14"),
    ]


def test_table_types_are_stable():
    rows = [
        {"id": "a", "timestamp": T0, "f": 1.0, "n": 3, "b": True, "s": "x", "mixed": 1, "empty": None},
        {"id": "b", "timestamp": T0, "f": None, "n": None, "b": False, "s": None, "mixed": "y"},
    ]
    table = capture.build_table(rows)
    assert table.schema == pa.schema(
        [
            ("id", pa.string()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            ("f", pa.float64()),
            ("n", pa.int64()),
            ("b", pa.bool_()),
            ("s", pa.string()),
            ("mixed", pa.string()),
            ("empty", pa.float64()),
        ]
    )
    assert table.column("mixed").to_pylist() == ["1", "y"]


def test_layout():
    assert layout.model_root(ModelKey("ml", "iris", "transformer")) == "ml/iris/transformer"
    assert (
        layout.partition(datetime.datetime(2026, 12, 1, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-2))))
        == "date=2026-12-02/hour=01"
    )
    name = capture.part_name(now=T0, writer="collector-7f/x")
    assert name.startswith("part-20261201T135959000000-collector-7f_x-") and name.endswith(".parquet")
    assert name != capture.part_name(now=T0, writer="collector-7f/x")
    for hours in range(0, 48, 5):
        time = T0 + datetime.timedelta(hours=hours, minutes=1)
        assert layout.partition(time) == capture.partition(time)


def test_the_buffer_is_bounded_in_bytes_too():
    held = pairing.PairingBuffer(capacity=100, pair_timeout=datetime.timedelta(seconds=30), capacity_bytes=1000)
    big = dataclasses.replace(event("a", Kind.REQUEST, {"x": 1.0}), size=900)
    held.add(big, now=T0)
    with pytest.raises(pairing.BufferFull, match="900 bytes"):
        held.add(dataclasses.replace(event("b", Kind.REQUEST, {"x": 1.0}), size=200), now=T0)
    held.add(dataclasses.replace(event("a", Kind.RESPONSE, {"p": 1.0}), size=50), now=T0)  # its partner pairs
    [batch] = held.take()
    assert held.size == batch.size == 950
    held.done(batch)
    assert held.size == 0
    held.add(dataclasses.replace(event("b", Kind.REQUEST, {"x": 1.0}), size=200), now=T0)
    held.expire(now=T0, everything=True)
    [batch] = held.take()
    held.restore(batch, now=T0)
    assert held.size == 200
