"""The check job appends each check to the monitor's history store and publishes its report there."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from modelmon import check_history, check_job
from modelmon.api import history as history_api
from modelmon.api import monitor as api
from modelmon.cli import main
from modelmon.history import store
from modelmon.manifests import checkjob

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "examples" / "data"
NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)


def monitor_spec(*, history: dict[str, Any] | None, current: str = "current-drifted.csv") -> api.ModelMonitorSpec:
    spec = yaml.safe_load((ROOT / "examples" / "classifier" / "modelmonitor.yaml").read_text())["spec"]
    spec["reference"] = {"uri": (DATA / "reference.csv").as_uri()}
    spec["current"] = {"uri": (DATA / current).as_uri(), "window": {"rows": 5000}}
    spec["history"] = history
    return api.parse_spec(spec)


@pytest.fixture
def job(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Runs the check job's body against ``state["spec"]``, its status write captured, the claim at tmp_path."""
    state: dict[str, Any] = {"written": []}
    monkeypatch.setattr(history_api, "MOUNT_PATH", str(tmp_path))
    monkeypatch.setattr(check_job, "read_spec", lambda *, namespace, name: state["spec"])
    monkeypatch.setattr(check_job, "write_last_check", lambda **kw: state["written"].append(kw["last_check"]))
    return state


def test_each_check_appends_a_record_and_publishes_a_report_linked_from_status(
    job: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job["spec"] = monitor_spec(history={"volumeClaim": "credit-history", "reportURL": "https://reports.example/mm/"})
    clock = iter([NOW.timestamp() + s for s in range(0, 3600 * 2, 60)])
    for _ in range(2):
        check_job.run_monitor_check(namespace="risk", name="credit-default", clock=lambda: next(clock))
    first, second = (written["history"] for written in job["written"])
    folder = tmp_path / "credit-default"  # path defaults to the monitor's name
    for published in (first, second):
        assert (folder / published["record"]).is_file() and published["record"].startswith("date=2026-12-01/")
        assert (folder / published["report"]).is_file() and published["report"].startswith("reports/date=2026-12-01/")
        assert published["reportURL"] == "https://reports.example/mm/" + published["report"]
    page = (folder / second["report"]).read_text()
    assert "<title>Drift report: ModelMonitor credit-default</title>" in page and page.count("<svg") >= 8
    recorded = store.read(str(folder), last=10)
    assert [r.health for r in recorded] == ["Critical", "Critical"]
    assert recorded[0].drifted and {f.name for f in recorded[0].features} >= {"debt_ratio", "income"}

    # a person reads it back through the monitor, where the claim is mounted
    assert main(["history", "--monitor", "risk/credit-default", "--mount", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert table.count("Critical") == 2 and "debt_ratio" in table


def test_a_store_path_and_no_reports(job: dict[str, Any], tmp_path: Path) -> None:
    job["spec"] = monitor_spec(history={"volumeClaim": "h", "path": "team-a/credit", "reports": False})
    check_job.run_monitor_check(namespace="risk", name="credit-default", clock=NOW.timestamp)
    published = job["written"][0]["history"]
    assert set(published) == {"record"} and (tmp_path / "team-a" / "credit" / published["record"]).is_file()
    assert not (tmp_path / "team-a" / "credit" / "reports").exists()


def test_unreadable_data_is_recorded_without_a_report(job: dict[str, Any], tmp_path: Path) -> None:
    job["spec"] = monitor_spec(history={"volumeClaim": "h"}, current="absent.csv")
    check_job.run_monitor_check(namespace="risk", name="credit-default", clock=NOW.timestamp)
    last_check = job["written"][0]
    assert last_check["error"] and set(last_check["history"]) == {"record"}
    assert [r.health for r in store.read(str(tmp_path / "credit-default"), last=5)] == ["Unknown"]


def test_a_store_that_cannot_be_written_keeps_the_verdict(job: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "credit-default").write_text("a file where the store's folder should be")
    job["spec"] = monitor_spec(history={"volumeClaim": "credit-history"})
    check_job.run_monitor_check(namespace="risk", name="credit-default", clock=NOW.timestamp)
    last_check = job["written"][0]
    assert last_check["dataset"]["drifted"] is True  # the verdict stands
    error = last_check["history"]["error"]
    assert "cannot" in error and "PersistentVolumeClaim credit-history" in error and "\n" not in error


def test_reports_older_than_the_retention_are_removed(tmp_path: Path) -> None:
    history = history_api.HistorySpec.model_validate({"volumeClaim": "h", "retention": "2d"})
    old = tmp_path / "reports" / "date=2026-11-20"
    old.mkdir(parents=True)
    (old / "100000Z-aaaa.html").write_text("old")
    checked = None
    published = check_history.publish(
        history,
        folder=str(tmp_path),
        monitor="m",
        last_check={"time": "t", "durationSeconds": 0.0},
        checked=checked,
        model_version="1",
        now=NOW,
    )
    assert "error" not in published and not old.exists()
    assert store.read(str(tmp_path), last=1)[0].model_version == "1"


def test_the_check_job_mounts_the_claim_read_write_only_with_history() -> None:
    def mounts(spec: api.ModelMonitorSpec) -> tuple[list[Any], list[Any]]:
        cron = checkjob.build_cronjob(monitor="m", namespace="ns", uid="u", spec=spec, image="i")
        pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return pod["volumes"], pod["containers"][0]["volumeMounts"]

    volumes, claim_mounts = mounts(monitor_spec(history={"volumeClaim": "credit-history"}))
    assert {"name": "history", "persistentVolumeClaim": {"claimName": "credit-history"}} in volumes
    assert {"name": "history", "mountPath": "/history"} in claim_mounts  # not readOnly
    volumes, _ = mounts(monitor_spec(history=None))
    assert not [v for v in volumes if v["name"] == "history"]


@pytest.mark.parametrize(
    "history, message",
    [
        ({"volumeClaim": "h", "path": "../other-team"}, "must stay inside the claim"),
        ({"volumeClaim": "Bad_Claim"}, "volumeClaim"),
        ({"volumeClaim": "h", "reportURL": "javascript:alert(1)"}, "reportURL"),
        ({"volumeClaim": "h", "retention": "forever"}, "not a duration"),
    ],
)
def test_bad_history_specs_name_the_field(history: dict[str, Any], message: str) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        monitor_spec(history=history)
    assert message in str(raised.value)


def test_history_of_a_monitor_without_one_or_not_mounted_is_one_line(
    job: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job["spec"] = monitor_spec(history=None)
    assert main(["history", "--monitor", "risk/credit-default"]) == 2
    assert capsys.readouterr().err.strip().endswith("keeps no history: set spec.history.volumeClaim")
    job["spec"] = monitor_spec(history={"volumeClaim": "credit-history"})
    assert main(["history", "--monitor", "risk/credit-default", "--mount", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err
    assert "PersistentVolumeClaim credit-history" in err and "--mount" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["history", "--monitor", "risk/credit-default"],
        ["report", "--monitor", "risk/credit-default", "--output", "r.html"],
    ],
)
def test_without_a_cluster_a_monitor_command_says_so_in_one_line(
    command: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from modelmon.k8s import client

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setattr(client, "_client", None)  # an earlier test may have configured one
    assert main(command) == 1
    err = capsys.readouterr().err
    assert "no cluster to talk to" in err and "set KUBECONFIG" in err and len(err.strip().splitlines()) == 1
