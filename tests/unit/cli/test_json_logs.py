"""JSON log lines (``modelmon run --log-format json``) through python-json-logger: a failure's traceback is
kept (the hand-written formatter dropped it), the object kopf tagged is named, kopf's settings are not dumped."""

from __future__ import annotations

import json
import logging
import re

import pytest

from modelmon.cli import run_command


def lines(capsys: pytest.CaptureFixture[str], emit) -> list[dict]:
    run_command.configure_logging("json")
    try:
        emit(logging.getLogger("modelmon.test"))
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def fail_deep():
    raise ValueError("the data source answered 503")


def test_an_exceptions_traceback_is_kept(capsys):
    def emit(log):
        try:
            fail_deep()
        except ValueError:
            log.exception("check of %s failed", "credit")

    [entry] = lines(capsys, emit)
    assert entry["message"] == "check of credit failed" and entry["level"] == "ERROR"
    assert entry["logger"] == "modelmon.test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"]), entry["time"]
    trace = entry["exc_info"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "in fail_deep" in trace and trace.rstrip().endswith("ValueError: the data source answered 503")


def test_kopfs_object_is_named_and_its_settings_are_not_dumped(capsys):
    def emit(log):
        log.warning(
            "Handler failed",
            extra={
                "k8s_ref": {"kind": "ModelMonitor", "namespace": "risk", "name": "credit", "uid": "u"},
                "k8s_skip": False,
                "settings": object(),
            },
        )

    [entry] = lines(capsys, emit)
    assert entry["object"] == {"kind": "ModelMonitor", "namespace": "risk", "name": "credit"}
    assert not {"k8s_ref", "k8s_skip", "settings"} & set(entry)


def test_a_records_own_fields_are_kept(capsys):
    [entry] = lines(capsys, lambda log: log.info("delivered", extra={"sink": "pager", "attempts": 2}))
    assert (entry["sink"], entry["attempts"]) == ("pager", 2)
