"""The operator's text log lines start with a UTC timestamp (the attack run found none), and
name the object kopf tagged the record with; JSON lines keep their ``time`` field."""

from __future__ import annotations

import datetime
import json
import logging
import re

import pytest

from modelmon.cli import run_command

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) WARNING modelmon\.test (.*)$")


def emit(capsys: pytest.CaptureFixture[str], log_format: str, **extra: object) -> str:
    run_command.configure_logging(log_format)
    try:
        logging.getLogger("modelmon.test").warning("sink %s failed", "pager", extra=extra)
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    return capsys.readouterr().err.strip()


def test_a_text_line_starts_with_the_utc_time_it_was_logged(capsys):
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    line = emit(capsys, "text")
    match = STAMP.match(line)
    assert match is not None, line
    logged = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%f%z")
    assert before <= logged <= datetime.datetime.now(datetime.UTC)
    assert match.group(2) == "sink pager failed"


def test_a_text_line_names_the_object_kopf_tagged(capsys):
    line = emit(capsys, "text", k8s_ref={"kind": "ModelMonitor", "namespace": "risk", "name": "credit"})
    match = STAMP.match(line)
    assert match is not None and match.group(2) == "[risk/credit] sink pager failed", line


def test_json_lines_keep_their_time(capsys):
    entry = json.loads(emit(capsys, "json"))
    assert entry["message"] == "sink pager failed" and entry["level"] == "WARNING" and entry["time"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_line_gives_its_time_as_status_writes_times(log_format):
    """Both formats stamp a record with timestamps.format_epoch to the millisecond, like a check's time."""
    record = logging.LogRecord("modelmon.test", logging.WARNING, __file__, 1, "sink %s failed", ("pager",), None)
    record.created, record.msecs = 1795428005.25, 250.0  # 2026-11-23T10:00:05.250 UTC
    run_command.configure_logging(log_format)
    try:
        line = logging.getLogger().handlers[0].format(record)
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    stamp = line.split(" ", 1)[0] if log_format == "text" else json.loads(line)["time"]
    assert stamp == "2026-11-23T10:00:05.250Z", line
