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
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    code, out, err = run(
        capsys,
        "report",
        "--reference",
        DATA / "reference.csv",
        "--current",
        DATA / "current-drifted.csv",
        "--output",
        page,
    )
    assert code == 3, err
    assert f"wrote {page}" in out and "Critical" in out
    html = page.read_text()
    assert "<title>" in html and "Critical" in html
    assert (
        html.count("<svg") == len(re.findall(r'<svg [^>]*role="img" aria-label="[^"]+"', html)) == 9
    )  # a plot a feature
    assert "online (new)" in html  # the unseen category, marked
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched
    assert len(html.encode()) < 400_000


def test_performance_by_window_against_its_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    code, _, err = run(
        capsys,
        "report",
        "--reference",
        PERFORMANCE / "reference.csv",
        "--current",
        PERFORMANCE / "predictions-decayed.csv",
        "--config",
        PERFORMANCE / "check-config.yml",
        "--output",
        page,
    )
    assert code == 3, err
    html = page.read_text()
    assert "accuracy on each window against its baseline 0.65" in html and "p-value (one-sided)" in html


def test_a_stable_example_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "report",
        "--reference",
        DATA / "reference.csv",
        "--current",
        DATA / "current-stable.csv",
        "--output",
        tmp_path / "r.html",
    )
    assert code == 0 and "Healthy" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--reference", DATA / "reference.csv"], "give --reference and --current"),
        (["--reference", DATA / "nope.csv", "--current", DATA / "current-stable.csv"], "no such file"),
        (
            [
                "--reference",
                DATA / "reference.csv",
                "--current",
                DATA / "current-stable.csv",
                "--output",
                "/nonexistent-dir/r.html",
            ],
            "cannot write the report",
        ),
    ],
    ids=["no-current", "missing-file", "unwritable-output"],
)
def test_user_errors_are_one_line_and_exit_2(
    argv: list[str | Path], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "report", *argv)
    assert code == 2 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def monitor_spec() -> object:
    """The quickstart's ModelMonitor, its ConfigMaps swapped for the same files (file:// as on a volume)."""
    import yaml

    from modelmon.api import monitor as api

    spec = yaml.safe_load((ROOT / "examples" / "classifier" / "modelmonitor.yaml").read_text())["spec"]
    spec["reference"] = {"uri": (DATA / "reference.csv").as_uri()}
    spec["current"] = {"uri": (DATA / "current-drifted.csv").as_uri(), "window": {"rows": 20000}}
    return api.parse_spec(spec)


def test_a_monitor_is_reported_from_its_own_spec_without_writing_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelmon import check_job

    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(
        check_job, "read_spec", lambda *, namespace, name: asked.append((namespace, name)) or monitor_spec()
    )
    monkeypatch.setattr(check_job, "write_last_check", lambda **_: pytest.fail("a report must not write status"))
    page = tmp_path / "r.html"
    code, out, err = run(capsys, "report", "--monitor", "risk/credit-default", "--output", page)
    assert code == 3, err
    assert asked == [("risk", "credit-default")] and "Critical" in out
    html = page.read_text()
    assert "<title>Drift report: ModelMonitor risk/credit-default</title>" in html
    assert html.count("<svg") == 8  # the spec's eight features
    # the spec's own data-quality limit (maxUnseenShare 0.02), not the default 0.05
    assert re.search(r'<td>unseenCategories</td><td>.*?</td><td class="num">0.2495</td><td class="num">0.02</td>', html)


@pytest.mark.parametrize(
    "argv, raised, code, message",
    [
        (["--monitor", "credit-default"], None, 2, "write NAMESPACE/NAME"),
        (["--monitor", "risk/m", "--current", "x.csv"], None, 2, "drop --reference"),
        (["--monitor", "risk/m"], "cannot read ModelMonitor risk/m: 404 Not Found", 1, "404 Not Found"),
        (["--monitor", "risk/m"], "ModelMonitor risk/m has an invalid spec: bad", 2, "invalid spec"),
    ],
    ids=["no-namespace", "files-too", "not-found", "invalid-spec"],
)
def test_monitor_errors_are_one_line(
    argv: list[str],
    raised: str | None,
    code: int,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from modelmon import check_job

    def read_spec(**_: str) -> None:
        raise check_job.MonitorCheckError(raised or "unexpected")

    monkeypatch.setattr(check_job, "read_spec", read_spec)
    got, _, err = run(capsys, "report", *argv)
    assert got == code and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
