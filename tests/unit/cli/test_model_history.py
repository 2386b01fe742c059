"""``kubectl modelmon history MONITOR``: the models a monitor judged and its RetrainingJobs, newest first."""

from __future__ import annotations

from modelmon.cli import model_history

MONITOR = {
    "metadata": {"name": "credit"},
    "spec": {"model": {"name": "credit-model", "version": "1"}},
    "status": {
        "activeModel": {
            "version": "3",
            "uri": "s3://m/3",
            "promotedAt": "2026-12-01T10:00:00Z",
            "retrainingJob": "rt-3",
        },
        "previousModels": [
            {"version": "2", "uri": "s3://m/2", "promotedAt": "2026-11-30T10:00:00Z", "retrainingJob": "rt-2"},
            {"version": "1"},
        ],
    },
}


def job(name, created, phase, *, monitor="credit", version=None, reason="drift", message=""):
    status = {"phase": phase, "message": message, **({"model": {"version": version}} if version else {})}
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {"monitorRef": {"name": monitor}, "reason": reason},
        "status": status,
    }


def test_models_then_retrainings_newest_first_and_only_this_monitors():
    jobs = [
        job("rt-2", "2026-11-30T09:00:00Z", "Succeeded", version="2"),
        job("rt-3", "2026-12-01T09:00:00Z", "Succeeded", version="3"),
        job("rt-4", "2026-12-01T11:00:00Z", "RolledBack", version="4", message="rolled back (AnalysisFailed)"),
        job("other", "2026-12-01T12:00:00Z", "Training", monitor="fraud"),
    ]
    lines = model_history.render(MONITOR, jobs).splitlines()
    assert lines[0] == "ModelMonitor credit: model credit-model"
    models = lines[lines.index("MODELS (newest first)") + 2 : lines.index("RETRAININGS (newest first)") - 1]
    assert [row.split()[:2] for row in models] == [["active", "3"], ["previous", "2"], ["previous", "1"]]
    assert "(spec)" in models[2]
    retrainings = lines[lines.index("RETRAININGS (newest first)") + 2 :]
    assert [row.split()[0] for row in retrainings] == ["rt-4", "rt-3", "rt-2"]
    assert retrainings[0].split()[1:4] == ["drift", "RolledBack", "4"] and "AnalysisFailed" in retrainings[0]


def test_a_monitor_that_never_promoted():
    text = model_history.render({"metadata": {"name": "new"}, "spec": {"model": {"name": "m", "version": "7"}}}, [])
    assert text.splitlines() == [
        "ModelMonitor new: model m",
        "  no model promoted yet: checks judge spec.model (version 7)",
        "",
        "RETRAININGS (newest first)",
        "  none",
    ]
