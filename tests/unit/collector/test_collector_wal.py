"""The collector's write-ahead log (modelmon.collector.wal): recorded, replayed, drained."""

from __future__ import annotations

import collections
import datetime

from modelmon.collector.events import InferenceEvent, Kind, ModelKey
from modelmon.collector.wal import WriteAheadLog

T0 = datetime.datetime(2026, 12, 1, 13, 5, 9, 123456, tzinfo=datetime.UTC)


def event(event_id: str, kind: Kind = Kind.REQUEST) -> InferenceEvent:
    rows = ({"x": 1.5, "n": 3, "b": True, "s": "west", "none": None},)
    return InferenceEvent(id=event_id, kind=kind, model=ModelKey("ml", "iris", "predictor"), time=T0, rows=rows)


def segments(path):
    return sorted(p.name for p in path.iterdir())


def test_recorded_events_come_back_identical_after_a_kill(tmp_path):
    log = WriteAheadLog(tmp_path)
    assert log.recover() == []
    log.append(event("a"))
    log.append(event("a", Kind.RESPONSE))
    # killed: no close(); a new process on the same directory
    again = WriteAheadLog(tmp_path)
    assert again.recover() == [event("a"), event("a", Kind.RESPONSE)]


def test_a_line_cut_short_is_skipped(tmp_path):
    log = WriteAheadLog(tmp_path)
    log.recover()
    log.append(event("a"))
    [name] = segments(tmp_path)
    with open(tmp_path / name, "ab") as damaged:
        damaged.write(b'{"id":"b","ki')
    assert [e.id for e in WriteAheadLog(tmp_path).recover()] == ["a"]


def test_segments_go_once_everything_in_them_is_released(tmp_path):
    log = WriteAheadLog(tmp_path)
    log.recover()
    first = log.append(event("a"))
    log.append(event("b"))
    log.rotate()
    second = log.append(event("c"))
    assert first != second and len(segments(tmp_path)) == 2
    log.release(collections.Counter({first: 1}))
    assert len(segments(tmp_path)) == 2 and log.held == 2
    log.release(collections.Counter({first: 1}))
    assert len(segments(tmp_path)) == 1 and log.held == 1
    log.release(collections.Counter({second: 1}))
    log.close()
    assert segments(tmp_path) == []


def test_replayed_events_are_recorded_again_before_the_old_segments_go(tmp_path):
    log = WriteAheadLog(tmp_path)
    log.recover()
    log.append(event("a"))
    restarted = WriteAheadLog(tmp_path)
    recovered = restarted.recover()
    marks = collections.Counter(restarted.append(e) for e in recovered)
    assert len(segments(tmp_path)) == 2
    restarted.forget_recovered()
    assert len(segments(tmp_path)) == 1
    assert [e.id for e in WriteAheadLog(tmp_path).recover()] == ["a"]
    assert sum(marks.values()) == 1
