"""The bad-data corpus (tests/bad_data, written by its make_corpus.py) through both doors of the
check: at a terminal (``modelmon check --reference --current``: exit 2, one line naming the file,
the column and the fix) and as the drift-check Job (``modelmon check --monitor``: the error is
written to ``status.lastCheck.error``, which the operator shows as DataUnavailable, and the job
exits 0 -- never 1, which means "API unreachable, retry" and wrote nothing).

Each file broke the job in the attack run (#20): pyarrow raises on these lazily, when a column
is decoded, not when the file is opened; and a reference column of non-UTF-8 text was dropped
without a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelmon import check_job, cli
from modelmon.api import monitor as api
from modelmon.policies import health

CORPUS = Path(__file__).resolve().parents[2] / "bad_data"
GOOD = CORPUS / "good.csv"
EXIT_NO_VERDICT = 2

#: file -> (the column the message must name, words of the fix)
CASES = {
    "corrupt-pages.parquet": ("'x'", "rewrite it"),
    "not-utf8.csv": ("'city'", "UTF-8"),
    "not-utf8.jsonl": ("'city'", "UTF-8"),
    "binary-column.parquet": ("'blob'", "UTF-8"),
    "duplicate-names.parquet": ("'x'", "rename or drop the duplicates"),
    "duplicate-names.csv": ("'x'", "rename or drop the duplicates"),
}
SIDES = ["reference", "current"]


def sides(bad: Path, side: str) -> tuple[Path, Path]:
    return (bad, GOOD) if side == "reference" else (GOOD, bad)


def test_the_corpus_is_what_make_corpus_writes(tmp_path, monkeypatch):
    """The committed files are the generator's (deterministic), so the corpus can be rebuilt."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for name in [*CASES, "good.csv"]:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_at_a_terminal_one_line_exit_2_naming_file_column_and_fix(name, side, capsys):
    reference, current = sides(CORPUS / name, side)
    code = cli.main(["check", "--reference", str(reference), "--current", str(current)])
    out, err = capsys.readouterr()
    column, fix = CASES[name]
    assert code == EXIT_NO_VERDICT, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("modelmon check: error: "), err
    assert name in err and column in err and fix in err, err
    assert "unexpected" not in err and "Traceback" not in out + err


@pytest.fixture
def job(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The check job's body with the monitor's spec given and its status write captured."""
    state: dict[str, Any] = {"written": []}
    monkeypatch.setattr(check_job, "read_spec", lambda *, namespace, name: state["spec"])
    monkeypatch.setattr(check_job, "write_last_check", lambda **kw: state["written"].append(kw["last_check"]))
    return state


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_as_the_job_the_error_lands_in_last_check_as_data_unavailable(name, side, job, capsys):
    reference, current = sides(CORPUS / name, side)
    job["spec"] = api.parse_spec(
        {"model": {"name": "m"}, "reference": {"uri": reference.as_uri()}, "current": {"uri": current.as_uri()}}
    )
    code = cli.main(["check", "--monitor", "risk/credit"])
    _, err = capsys.readouterr()
    assert code == 0, err  # the report (an error report) is written: nothing for the Job to retry
    [written] = job["written"]
    column, fix = CASES[name]
    assert name in written["error"] and column in written["error"] and fix in written["error"], written
    assert "\n" not in written["error"]
    # Nothing half-written: no feature, verdict or performance of a check that did not happen.
    assert written["features"] == [] and "dataset" not in written and "performance" not in written
    assessed = health.assess_health(written, previous_health="Healthy", generation=1)
    unavailable = next(c for c in assessed.conditions if c["type"] == "DataUnavailable")
    assert assessed.health.value == "Unknown" and unavailable["status"] == "True"
    assert unavailable["message"] == written["error"]


def test_an_error_no_reader_anticipated_is_still_a_report(job, monkeypatch, capsys):
    """A lazy pyarrow failure that escaped every reader still becomes lastCheck.error, exit 0."""
    import pyarrow as pa

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise pa.ArrowInvalid("Parquet magic bytes not found in footer.\nsecond line")

    job["spec"] = api.parse_spec(
        {"model": {"name": "m"}, "reference": {"uri": GOOD.as_uri()}, "current": {"uri": GOOD.as_uri()}}
    )
    monkeypatch.setattr(check_job, "check_data", broken)
    assert cli.main(["check", "--monitor", "risk/credit"]) == 0
    [written] = job["written"]
    assert written["error"].startswith("the data could not be read (ArrowInvalid: Parquet magic bytes not found")
    assert "second line" not in written["error"] and "spec.reference" in written["error"]


def test_an_error_longer_than_status_allows_is_shortened_not_refused(job, capsys):
    """status.lastCheck.error holds 1024 characters: a longer message (a long URI) was refused with
    422, so the job exited 1 and wrote nothing."""
    missing = "/tmp/" + "/".join(["d" * 200] * 8) + "/current.csv"
    job["spec"] = api.parse_spec(
        {"model": {"name": "m"}, "reference": {"uri": GOOD.as_uri()}, "current": {"uri": "file://" + missing}}
    )
    assert cli.main(["check", "--monitor", "risk/credit"]) == 0
    [written] = job["written"]
    assert len(written["error"]) == check_job.ERROR_LIMIT and written["error"].endswith("…")
    assert written["error"].startswith(missing[:500])  # the start, which names the source, is kept
