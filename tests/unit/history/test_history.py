"""The history of checks: records from a check's summary, day partitions, retention, reading newest first."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from modelmon.history import records, store

UTC = datetime.UTC


def at(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, 1, day, hour, tzinfo=UTC)


LAST_CHECK = {
    "time": "2026-01-05T12:00:00Z",
    "dataset": {"drifted": True, "driftedFeatures": 1, "judgedFeatures": 2},
    "features": [
        {
            "name": "income",
            "method": "wasserstein",
            "score": 0.67,
            "severity": "critical",
            "severityScore": 93.0,
            "drifted": True,
        },
        {
            "name": "age",
            "method": "wasserstein",
            "score": 0.01,
            "severity": "stable",
            "severityScore": 2.0,
            "drifted": False,
        },
    ],
    "qualityIssues": [{"column": "region", "severity": "critical"}, {"column": "x", "severity": "warning"}],
    "performance": {"severity": "warning", "metrics": [{"metric": "accuracy", "window": "last 50", "value": 0.6}]},
}


def record(time: str = "2026-01-05T12:00:00Z", score: float = 93.0) -> records.CheckRecord:
    check = dict(LAST_CHECK, time=time)
    check["features"] = [dict(LAST_CHECK["features"][0], severityScore=score), LAST_CHECK["features"][1]]
    return records.plan_record(check, health="Critical", model_version="v2")


def test_a_record_holds_what_the_status_said_and_survives_its_stored_form() -> None:
    made = record()
    assert (made.health, made.drifted, made.drifted_features, made.judged_features) == ("Critical", True, 1, 2)
    assert (made.quality_issues, made.critical_quality_issues, made.performance) == (2, 1, "warning")
    assert made.metrics == (("accuracy", "last 50", 0.6),) and made.model_version == "v2"
    assert records.from_document(json.loads(json.dumps(records.to_document(made)))) == made


def test_retention_the_docstring_example() -> None:
    partitions = [f"date=2026-01-{d:02d}" for d in range(1, 11)] + ["notes", "date=garbage"]
    dropped = records.plan_retention(partitions, now=at(10), keep=datetime.timedelta(days=7))
    assert dropped == ["date=2026-01-01", "date=2026-01-02"]


def test_a_feature_series_skips_checks_without_it() -> None:
    other = records.CheckRecord(
        time="t2",
        health="Healthy",
        drifted=False,
        drifted_features=0,
        judged_features=0,
        quality_issues=0,
        critical_quality_issues=0,
        performance=None,
    )
    series = records.feature_series([record("t1", 10.0), other, record("t3", 80.0)], "income")
    assert series == [("t1", 10.0, "critical"), ("t3", 80.0, "critical")]


def test_append_is_one_file_per_check_in_its_day_and_read_is_newest_last_bounded(tmp_path: Path) -> None:
    for day, score in ((3, 10.0), (4, 20.0), (4, 30.0), (5, 40.0)):
        store.append(str(tmp_path), record(f"2026-01-{day:02d}", score), now=at(day, 10 + int(score) // 10))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["date=2026-01-03", "date=2026-01-04", "date=2026-01-05"]
    assert len(list((tmp_path / "date=2026-01-04").iterdir())) == 2
    newest = store.read(f"file://{tmp_path}", last=3)
    assert [r.features[0].severity_score for r in newest] == [20.0, 30.0, 40.0]
    assert [r.features[0].severity_score for r in store.read(str(tmp_path), last=100)] == [10.0, 20.0, 30.0, 40.0]


def test_retention_drops_whole_old_days_when_appending(tmp_path: Path) -> None:
    store.append(str(tmp_path), record(), now=at(1))
    store.append(str(tmp_path), record(), now=at(9))
    store.append(str(tmp_path), record(), now=at(10), retention=datetime.timedelta(days=7))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["date=2026-01-09", "date=2026-01-10"]


def test_half_written_files_are_not_read_and_a_bad_record_names_its_file(tmp_path: Path) -> None:
    store.append(str(tmp_path), record(), now=at(5))
    (tmp_path / "date=2026-01-05" / ".235959.000000Z-x.json.tmp").write_text("{")
    assert len(store.read(str(tmp_path), last=10)) == 1
    bad = tmp_path / "date=2026-01-06" / "000000.000000Z-bad.json"
    bad.parent.mkdir()
    bad.write_text('{"time": 1}')
    with pytest.raises(store.HistoryError, match="000000.000000Z-bad.json"):
        store.read(str(tmp_path), last=10)


@pytest.mark.parametrize(
    "uri, message",
    [("s3://bucket/history", "local folder"), ("{file}", "not a folder")],
    ids=["object-store", "a-file"],
)
def test_stores_that_cannot_be_used_say_why(tmp_path: Path, uri: str, message: str) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(store.HistoryError, match=message):
        store.read(uri.format(file=tmp_path / "f"), last=1)


def test_a_missing_store_is_an_empty_history(tmp_path: Path) -> None:
    assert store.read(str(tmp_path / "none"), last=5) == []
