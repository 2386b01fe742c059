"""modelmon rollout undo NAME (#17): sets modelmon.io/undo on the ModelMonitor NAME names -- the monitor itself,
or the monitorRef of a RetrainingJob of that name -- with a fresh value; one line and exit 1 when neither exists."""

from __future__ import annotations

import argparse

from modelmon.cli import rollout_command
from modelmon.k8s import objects

MONITOR = {
    "metadata": {"name": "credit", "namespace": "ml"},
    "status": {"activeModel": {"version": "3.0"}, "previousModels": [{"version": "2.0"}]},
}


def args(name: str) -> argparse.Namespace:
    return argparse.Namespace(action="undo", name=name, namespace="ml", watch=False, full=False, interval=0.0)


def fake(monkeypatch, *, monitors: dict, rtjs: dict) -> list:
    set_ = []
    monkeypatch.setattr(objects, "get_monitor", lambda namespace, name: monitors.get(name))
    monkeypatch.setattr(objects, "get_retraining_job", lambda namespace, name: rtjs.get(name))
    monkeypatch.setattr(objects, "annotate_monitor", lambda *a: set_.append(a))
    return set_


def test_undo_annotates_the_monitor_named(monkeypatch, capsys):
    set_ = fake(monkeypatch, monitors={"credit": MONITOR}, rtjs={})
    assert rollout_command._undo(args("credit")) == rollout_command.EXIT_OK
    ((namespace, name, key, value),) = set_
    assert (namespace, name, key) == ("ml", "credit", "modelmon.io/undo") and value
    assert "(active 3.0, previous 2.0)" in capsys.readouterr().out


def test_undo_by_a_retraining_job_annotates_its_monitor(monkeypatch):
    set_ = fake(
        monkeypatch,
        monitors={"credit": MONITOR},
        rtjs={"credit-retrain-1": {"spec": {"monitorRef": {"name": "credit"}}}},
    )
    assert rollout_command._undo(args("credit-retrain-1")) == rollout_command.EXIT_OK
    assert [a[1] for a in set_] == ["credit"]


def test_undo_of_nothing_says_so_in_one_line(monkeypatch, capsys):
    set_ = fake(monkeypatch, monitors={}, rtjs={})
    assert rollout_command._undo(args("nope")) == rollout_command.EXIT_NOT_FOUND == 1
    assert not set_
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no ModelMonitor ml/nope" in err
