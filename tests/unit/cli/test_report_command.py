"""``modelmon report``: the check's inputs and exit status, one self-contained HTML page out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelmon import cli

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "examples" / "data"
PERFORMANCE = ROOT / "examples" / "performance"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_drifted_example_gives_a_page_with_a_plot_per_feature_and_exit_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    code, out, err = run(capsys, "report", "--reference", DATA / "reference.csv",
                         "--current", DATA / "current-drifted.csv", "--output", page)
    assert code == 3, err
    assert f"wrote {page}" in out and "Critical" in out
    html = page.read_text()
    assert "<title>" in html and "Critical" in html
    assert html.count("<svg") == len(re.findall(r'<svg [^>]*role="img" aria-label="[^"]+"', html)) == 9  # a plot a feature
    assert "online (new)" in html  # the unseen category, marked
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched
    assert len(html.encode()) < 400_000


def test_performance_by_window_against_its_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    code, _, err = run(capsys, "report", "--reference", PERFORMANCE / "reference.csv",
                       "--current", PERFORMANCE / "predictions-decayed.csv",
                       "--config", PERFORMANCE / "check-config.yml", "--output", page)
    assert code == 3, err
    html = page.read_text()
    assert "accuracy on each window against its baseline 0.65" in html and "p-value (one-sided)" in html


def test_a_stable_example_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "--reference", DATA / "reference.csv",
                       "--current", DATA / "current-stable.csv", "--output", tmp_path / "r.html")
    assert code == 0 and "Healthy" in out


@pytest.mark.parametrize("argv, message", [
    (["--reference", DATA / "reference.csv"], "give --reference and --current"),
    (["--reference", DATA / "nope.csv", "--current", DATA / "current-stable.csv"], "no such file"),
    (["--reference", DATA / "reference.csv", "--current", DATA / "current-stable.csv", "--output",
      "/nonexistent-dir/r.html"], "cannot write the report"),
], ids=["no-current", "missing-file", "unwritable-output"])
def test_user_errors_are_one_line_and_exit_2(argv: list[str | Path], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", *argv)
    assert code == 2 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
