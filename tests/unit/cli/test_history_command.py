"""``modelmon check/report --history STORE`` record each check; ``modelmon history`` prints them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modelmon import cli

DATA = Path(__file__).resolve().parents[3] / "examples" / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def check(capsys: pytest.CaptureFixture[str], current: str, store: Path, *more: str) -> int:
    code, _, _ = run(
        capsys, "check", "--reference", DATA / "reference.csv", "--current", DATA / current, "--history", store, *more
    )
    return code


def test_checks_are_recorded_and_printed_oldest_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "history"
    assert check(capsys, "current-stable.csv", store) == 0
    assert check(capsys, "current-drifted.csv", store) == 3
    code, out, _ = run(capsys, "history", "--store", store)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("TIME") and len(lines) == 3
    assert "Healthy" in lines[1] and "0/9" in lines[1] and "Critical" in lines[2] and "7/9" in lines[2]
    code, out, _ = run(capsys, "history", "--store", store, "--feature", "income")
    assert code == 0 and out.splitlines()[1].split()[1] == "stable" and out.splitlines()[2].split()[1] == "critical"
    code, out, _ = run(capsys, "history", "--store", store, "--format", "json", "--last", "1")
    assert code == 0 and [r["health"] for r in json.loads(out)] == ["Critical"]


def test_the_report_plots_each_feature_over_the_recorded_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, page = tmp_path / "history", tmp_path / "r.html"
    code, _, _ = run(
        capsys,
        "report",
        "--reference",
        DATA / "reference.csv",
        "--current",
        DATA / "current-stable.csv",
        "--history",
        store,
        "--output",
        page,
    )
    assert code == 0 and "over the last" not in page.read_text()  # nothing recorded before: no history plot
    code, _, _ = run(
        capsys,
        "report",
        "--reference",
        DATA / "reference.csv",
        "--current",
        DATA / "current-drifted.csv",
        "--history",
        store,
        "--output",
        page,
    )
    html = page.read_text()
    assert code == 3 and len(re.findall(r'aria-label="[^"]*severity score \(0-100\) over the last 2 checks', html)) == 9
    assert len(list((store).glob("date=*/*.json"))) == 2


def test_an_empty_store_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "--store", tmp_path / "none")
    assert code == 0 and "no checks recorded" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "--history", "{tmp}/h", "--retention", "soon"], "--retention"),
        (["check", "--history", "{tmp}/file"], "cannot write the history"),
        (["history", "--store", "s3://bucket/h"], "local folder"),
        (["history", "--store", "{tmp}/h", "--last", "0"], "--last"),
    ],
    ids=["bad-retention", "store-is-a-file", "object-store", "last-0"],
)
def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (tmp_path / "file").write_text("")
    argv = [a.format(tmp=tmp_path) for a in argv]
    if argv[0] == "check":
        argv += ["--reference", str(DATA / "reference.csv"), "--current", str(DATA / "current-stable.csv")]
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
