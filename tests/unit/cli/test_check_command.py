"""End-to-end tests of ``modelmon check`` and ``modelmon profile`` on files on disk.

Most tests call :func:`modelmon.cli.main` in-process (fast) and read what it printed; one
runs the installed console script to prove the entry point. Bad input must end with exit
status 2 and a message naming the file/column and the fix, never with a traceback; a
column that cannot be judged is "insufficient data", never a false drift alarm.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from modelmon import cli

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "examples" / "data"
REFERENCE = DATA / "reference.csv"
DRIFTED = DATA / "current-drifted.csv"
STABLE = DATA / "current-stable.csv"

EXIT_OK, EXIT_USAGE, EXIT_DRIFT = 0, 2, 3


# --------------------------------------------------------------------------- helpers


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run ``modelmon ARGV`` in-process: (exit status, stdout, stderr)."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as stop:  # argparse: --help, usage errors
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def check(capsys: pytest.CaptureFixture[str], reference: str | Path, current: str | Path,
          *extra: str | Path) -> tuple[int, str, str]:
    return run(capsys, "check", "--reference", reference, "--current", current, *extra)


def check_json(capsys: pytest.CaptureFixture[str], reference: str | Path, current: str | Path,
               *extra: str | Path) -> tuple[int, dict, str]:
    code, out, err = check(capsys, reference, current, "--format", "json", *extra)
    return code, json.loads(out), err


def by_name(report: dict) -> dict[str, dict]:
    return {f["name"]: f for f in report["features"]}


def issues_of(report: dict, column: str) -> set[str]:
    return {i["check"] for i in report["qualityIssues"] if i["column"] == column}


def table_rows(out: str) -> dict[str, list[str]]:
    """The feature rows of the printed table: name -> cells."""
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("FEATURE"))
    rows = {}
    for line in lines[header + 1:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells
    return rows


def write_csv(path: Path, columns: dict[str, object]) -> Path:
    pa_csv.write_csv(pa.table(columns), path)
    return path


def normal(seed: int, n: int, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc, scale, n)


def categories(seed: int, n: int) -> list[str]:
    return list(np.random.default_rng(seed).choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]))


@pytest.fixture
def same_distribution(tmp_path: Path) -> tuple[Path, Path]:
    """A reference and a current sample of one distribution (3 columns, 2000 rows each)."""
    n = 2000
    ref = write_csv(tmp_path / "ref.csv", {"x": normal(1, n), "y": normal(2, n, 10, 3), "c": categories(3, n)})
    cur = write_csv(tmp_path / "cur.csv", {"x": normal(4, n), "y": normal(5, n, 10, 3), "c": categories(6, n)})
    return ref, cur


def assert_usage_error(code: int, out: str, err: str, *needles: str) -> None:
    """Exit 2 and a one-line-ish message on stderr naming each of ``needles``."""
    assert code == EXIT_USAGE, (code, out, err)
    assert err.startswith("modelmon check: error:"), err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


# --------------------------------------------------------------------------- example files


def test_drifted_example_exits_3_and_prints_a_table_with_the_drifted_features(capsys):
    code, out, err = check(capsys, REFERENCE, DRIFTED)

    assert code == EXIT_DRIFT, err
    rows = table_rows(out)
    assert set(rows) == {"age", "income", "credit_score", "loan_amount", "debt_ratio", "region", "employment",
                         "prediction", "label"}
    for name in ("income", "debt_ratio", "region"):
        assert rows[name][-1] == "DRIFT", rows[name]
    assert rows["region"][1] == "categorical" and rows["income"][1] == "numeric"
    for name in ("credit_score", "loan_amount"):  # unchanged in the generator: not flagged
        assert "DRIFT" not in rows[name], rows[name]
    verdict = [line for line in out.splitlines() if line.startswith("verdict:")]
    assert len(verdict) == 1 and verdict[0].startswith("verdict: DRIFT DETECTED")
    assert "income" in verdict[0] and "debt_ratio" in verdict[0]
    # quality problems the generator planted are reported beside drift
    assert "'loan_amount'" in out and "missing" in out
    assert "'online'" in out


def test_stable_example_exits_0_with_no_feature_flagged(capsys):
    code, out, err = check(capsys, REFERENCE, STABLE)

    assert code == EXIT_OK, err
    rows = table_rows(out)
    assert len(rows) == 9
    assert all("DRIFT" not in cells for cells in rows.values()), out
    assert re.search(r"^verdict: no drift: 0 of 9 features drifted", out, re.M), out


def test_json_format_is_a_parsable_report(capsys):
    code, report, _ = check_json(capsys, REFERENCE, DRIFTED)

    assert code == EXIT_DRIFT
    assert report["dataset"]["drifted"] is True
    assert report["dataset"]["judgedFeatures"] == 9
    assert report["referenceRows"] == 3000 and report["currentRows"] == 2000
    features = by_name(report)
    assert {n for n, f in features.items() if f["drifted"]} >= {"income", "debt_ratio", "region"}
    assert features["credit_score"]["drifted"] is False
    assert all(f["status"] == "judged" for f in features.values())

    code, report, _ = check_json(capsys, REFERENCE, STABLE)
    assert code == EXIT_OK and report["dataset"]["drifted"] is False


def test_output_file_holds_the_same_json_as_printed(capsys, tmp_path):
    written = tmp_path / "report.json"
    code, printed, _ = check_json(capsys, REFERENCE, DRIFTED, "--output", written)

    assert code == EXIT_DRIFT
    assert json.loads(written.read_text()) == printed


def test_output_file_is_written_with_the_table_format_too(capsys, tmp_path):
    written = tmp_path / "report.json"
    code, out, _ = check(capsys, REFERENCE, STABLE, "--output", written)

    assert code == EXIT_OK
    assert out.startswith("FEATURE")  # the table still goes to the terminal
    report = json.loads(written.read_text())
    assert report["dataset"]["drifted"] is False
    assert len(report["features"]) == 9


def test_unwritable_output_is_a_usage_error(capsys, tmp_path):
    target = tmp_path / "no-such-dir" / "report.json"
    code, out, err = check(capsys, REFERENCE, STABLE, "--output", target)

    assert_usage_error(code, out, err, str(target), "cannot write")


# --------------------------------------------------------------------------- formats


def _convert(csv: Path, target: Path) -> Path:
    table = pa_csv.read_csv(csv)
    if target.suffix == ".parquet":
        pq.write_table(table, target)
    else:
        target.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))
    return target


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_the_same_data_in_parquet_or_jsonl_gives_the_same_verdict(capsys, tmp_path, suffix):
    _, from_csv, _ = check_json(capsys, REFERENCE, DRIFTED)
    reference = _convert(REFERENCE, tmp_path / f"reference{suffix}")
    for current_csv, expected_code in ((DRIFTED, EXIT_DRIFT), (STABLE, EXIT_OK)):
        current = _convert(current_csv, tmp_path / f"{current_csv.stem}{suffix}")
        code, report, err = check_json(capsys, reference, current)
        assert code == expected_code, err
        if current_csv == DRIFTED:
            assert report["dataset"] == from_csv["dataset"]
            csv_features, features = by_name(from_csv), by_name(report)
            assert set(features) == set(csv_features)
            for name, feature in features.items():
                assert feature["drifted"] == csv_features[name]["drifted"], name
                assert feature["score"] == pytest.approx(csv_features[name]["score"], rel=1e-9), name


def test_input_format_reads_a_file_with_an_unknown_extension(capsys, tmp_path):
    reference = tmp_path / "reference.data"
    current = tmp_path / "current.export"
    shutil.copy(REFERENCE, reference)
    shutil.copy(DRIFTED, current)

    code, out, err = check(capsys, reference, current, "--input-format", "csv")
    assert code == EXIT_DRIFT, err
    assert "verdict: DRIFT DETECTED" in out

    parquet = tmp_path / "current.bin"
    pq.write_table(pa_csv.read_csv(STABLE), parquet)
    ref_parquet = tmp_path / "reference.bin"
    pq.write_table(pa_csv.read_csv(REFERENCE), ref_parquet)
    code, out, err = check(capsys, ref_parquet, parquet, "--input-format", "parquet")
    assert code == EXIT_OK, err


# --------------------------------------------------------------------------- profiles


def test_a_profile_checks_like_the_reference_it_was_built_from(capsys, tmp_path):
    saved = tmp_path / "p.npz"
    code, out, err = run(capsys, "profile", "--reference", REFERENCE, "--output", saved)
    assert code == EXIT_OK, err
    assert saved.exists() and saved.stat().st_size > 0
    assert "profiled 9 columns" in out and "3000 rows" in out

    for current, expected_code in ((DRIFTED, EXIT_DRIFT), (STABLE, EXIT_OK)):
        code_direct, direct, _ = check_json(capsys, REFERENCE, current)
        code_profiled, profiled, err = check_json(capsys, saved, current)
        assert code_direct == code_profiled == expected_code, err
        assert profiled["referenceRows"] == direct["referenceRows"] == 3000
        assert profiled["dataset"]["drifted"] == direct["dataset"]["drifted"]
        direct_features, profiled_features = by_name(direct), by_name(profiled)
        assert set(profiled_features) == set(direct_features)
        for name, feature in profiled_features.items():
            expected = direct_features[name]
            assert feature["method"] == expected["method"], name
            assert feature["drifted"] == expected["drifted"], name
            assert feature["score"] == pytest.approx(expected["score"], rel=1e-9, abs=1e-12), name
            for method, value in expected["scores"].items():
                assert feature["scores"][method] == pytest.approx(value, rel=1e-9, abs=1e-12), (name, method)


def test_profile_of_a_missing_file_is_a_usage_error(capsys, tmp_path):
    missing = tmp_path / "nope.csv"
    code, out, err = run(capsys, "profile", "--reference", missing, "--output", tmp_path / "p.npz")

    assert code == EXIT_USAGE
    assert err.startswith("modelmon profile: error:") and str(missing) in err and "no such file" in err
    assert not (tmp_path / "p.npz").exists()


# --------------------------------------------------------------------------- bad input: the check cannot run


def test_missing_reference_file(capsys, tmp_path):
    missing = tmp_path / "missing-reference.csv"
    code, out, err = check(capsys, missing, STABLE)

    assert_usage_error(code, out, err, str(missing), "no such file", "check the path")
    assert out == ""


def test_missing_current_file(capsys, tmp_path):
    missing = tmp_path / "missing-current.parquet"
    code, out, err = check(capsys, REFERENCE, missing)

    assert_usage_error(code, out, err, str(missing), "no such file")


def test_reference_and_current_are_required(capsys):
    code, out, err = run(capsys, "check", "--reference", REFERENCE)

    assert code == EXIT_USAGE
    assert "--current" in err


def test_garbage_bytes_named_parquet(capsys, tmp_path):
    garbage = tmp_path / "current.parquet"
    garbage.write_bytes(bytes(range(256)) * 8)
    code, out, err = check(capsys, REFERENCE, garbage)

    assert_usage_error(code, out, err, str(garbage), "cannot read as parquet", "--input-format")


def test_text_file_without_input_format(capsys, tmp_path):
    text = tmp_path / "current.txt"
    shutil.copy(STABLE, text)
    code, out, err = check(capsys, REFERENCE, text)

    assert_usage_error(code, out, err, str(text), "--input-format", ".csv")


def test_unknown_input_format_value_is_rejected_by_the_parser(capsys):
    code, out, err = check(capsys, REFERENCE, STABLE, "--input-format", "xlsx")

    assert code == EXIT_USAGE
    assert "--input-format" in err and "xlsx" in err


def test_column_listed_in_columns_missing_from_the_current_file(capsys, tmp_path):
    current = tmp_path / "current.csv"
    write_csv(current, {"age": normal(1, 100, 40, 10)})
    code, out, err = check(capsys, REFERENCE, current, "--columns", "age,income")

    assert_usage_error(code, out, err, str(current), "'income'", "--columns")


def test_column_listed_in_columns_missing_from_the_reference(capsys):
    code, out, err = check(capsys, REFERENCE, STABLE, "--columns", "age,incme")

    assert_usage_error(code, out, err, str(REFERENCE), "'incme'", "fix the name")


def test_columns_restricts_the_check(capsys):
    code, report, err = check_json(capsys, REFERENCE, DRIFTED, "--columns", "credit_score, loan_amount")

    assert code == EXIT_OK, err
    assert [f["name"] for f in report["features"]] == ["credit_score", "loan_amount"]


def test_config_with_a_misspelled_field_names_the_field(capsys, tmp_path):
    config = tmp_path / "check.yaml"
    config.write_text("drift:\n  numricMethod: ks\n")
    code, out, err = check(capsys, REFERENCE, STABLE, "--config", config)

    assert_usage_error(code, out, err, str(config), "drift.numricMethod")
    assert "invalid config" in err


def test_config_with_non_increasing_thresholds(capsys, tmp_path):
    config = tmp_path / "check.yaml"
    config.write_text("drift:\n  thresholds:\n    psi: {moderate: 0.3, significant: 0.2, critical: 0.5}\n")
    code, out, err = check(capsys, REFERENCE, STABLE, "--config", config)

    assert_usage_error(code, out, err, str(config), "thresholds", "psi", "must increase")


def test_config_with_increasing_p_value_thresholds(capsys, tmp_path):
    config = tmp_path / "check.yaml"
    config.write_text("drift:\n  thresholds:\n    ks: {moderate: 0.001, significant: 0.01, critical: 0.05}\n")
    code, out, err = check(capsys, REFERENCE, STABLE, "--config", config)

    assert_usage_error(code, out, err, str(config), "ks", "must decrease")


def test_config_that_is_not_yaml(capsys, tmp_path):
    config = tmp_path / "check.yaml"
    config.write_text("drift: [unclosed\n")
    code, out, err = check(capsys, REFERENCE, STABLE, "--config", config)

    assert_usage_error(code, out, err, str(config), "not valid YAML")


def test_missing_config_file(capsys, tmp_path):
    config = tmp_path / "nope.yaml"
    code, out, err = check(capsys, REFERENCE, STABLE, "--config", config)

    assert_usage_error(code, out, err, str(config), "cannot read the config")


def test_a_valid_config_is_applied(capsys, tmp_path):
    """The config really takes effect: forcing psi changes the method of every numeric feature."""
    config = tmp_path / "check.yaml"
    config.write_text("drift:\n  numericMethod: psi\n  categoricalMethod: chi2\n")
    code, report, err = check_json(capsys, REFERENCE, DRIFTED, "--config", config)

    assert code == EXIT_DRIFT, err
    features = by_name(report)
    assert features["income"]["method"] == "psi" and features["region"]["method"] == "chi2"
    assert features["income"]["score"] == pytest.approx(features["income"]["scores"]["psi"])


def test_empty_current_file_header_only(capsys, tmp_path):
    empty = tmp_path / "current.csv"
    empty.write_text(REFERENCE.read_text().splitlines()[0] + "\n")
    code, out, err = check(capsys, REFERENCE, empty)

    assert_usage_error(code, out, err, str(empty), "no rows")


def test_zero_byte_current_file(capsys, tmp_path):
    empty = tmp_path / "current.csv"
    empty.write_bytes(b"")
    code, out, err = check(capsys, REFERENCE, empty)

    assert_usage_error(code, out, err, str(empty))


def test_empty_reference_file(capsys, tmp_path):
    empty = tmp_path / "reference.csv"
    empty.write_text(REFERENCE.read_text().splitlines()[0] + "\n")
    code, out, err = check(capsys, empty, STABLE)

    assert_usage_error(code, out, err, str(empty), "no rows")


def test_single_row_current_file_has_no_verdict(capsys, tmp_path):
    lines = DRIFTED.read_text().splitlines()
    single = tmp_path / "current.csv"
    single.write_text(lines[0] + "\n" + lines[1] + "\n")
    written = tmp_path / "report.json"
    code, out, err = check(capsys, REFERENCE, single, "--output", written)

    assert code == EXIT_USAGE, (out, err)
    assert "no verdict" in err and "enough" in err
    rows = table_rows(out)
    assert len(rows) == 9
    assert all("DRIFT" not in cells for cells in rows.values()), out
    assert "verdict: UNKNOWN" in out
    assert "drift.minRows" in out  # what to do: more rows, or a lower minRows
    report = json.loads(written.read_text())
    assert report["dataset"]["drifted"] is None
    assert {f["status"] for f in report["features"]} == {"insufficientData"}
    assert not any(f["drifted"] for f in report["features"])


# --------------------------------------------------------------------------- bad input: one column cannot be judged


def test_all_nan_and_constant_columns_do_not_raise_a_false_alarm(capsys, tmp_path):
    n = 2000
    nothing = pa.array([None] * n, type=pa.float64())
    reference = write_csv(tmp_path / "reference.csv", {
        "x": normal(1, n), "c": categories(2, n), "flat": np.full(n, 5.0), "empty": nothing})
    current = write_csv(tmp_path / "current.csv", {
        "x": normal(3, n), "c": categories(4, n), "flat": np.full(n, 5.0), "empty": nothing})

    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_OK, err
    features = by_name(report)
    assert features["x"]["status"] == "judged" and features["c"]["status"] == "judged"
    assert features["empty"]["status"] == "insufficientData"
    assert features["empty"]["drifted"] is False
    assert "allMissing" in issues_of(report, "empty")
    assert features["flat"]["drifted"] is False
    assert features["flat"]["status"] in ("judged", "insufficientData")
    assert "constant" in issues_of(report, "flat")
    assert report["dataset"]["drifted"] is False
    assert report["dataset"]["judgedFeatures"] >= 2

    code, out, err = check(capsys, reference, current)
    assert code == EXIT_OK
    assert re.search(r"^not judged: empty: .*drift\.minRows", out, re.M), out
    assert "column 'empty': every current value is missing" in out


def test_an_all_nan_current_column_is_not_drift_while_others_are_judged(capsys, tmp_path):
    n = 2000
    reference = write_csv(tmp_path / "reference.csv", {"x": normal(1, n), "y": normal(2, n), "z": normal(3, n)})
    current = write_csv(tmp_path / "current.csv", {
        "x": normal(4, n), "y": normal(5, n), "z": pa.array([None] * n, type=pa.float64())})

    code, report, err = check_json(capsys, reference, current)

    # not drift, but a column that lost every value is critical data quality: the operator's
    # health is Critical, so the check exits 3 too
    assert code == EXIT_DRIFT, err
    features = by_name(report)
    assert features["z"]["status"] == "insufficientData" and features["z"]["drifted"] is False
    assert "allMissing" in issues_of(report, "z")
    assert report["dataset"]["judgedFeatures"] == 2


def test_a_shift_is_still_flagged_next_to_an_all_nan_column(capsys, tmp_path):
    n = 2000
    nothing = pa.array([None] * n, type=pa.float64())
    reference = write_csv(tmp_path / "reference.csv", {"x": normal(1, n), "empty": nothing})
    current = write_csv(tmp_path / "current.csv", {"x": normal(2, n, loc=1.0), "empty": nothing})

    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_DRIFT, err
    assert by_name(report)["x"]["drifted"] is True
    assert by_name(report)["empty"]["drifted"] is False


def test_nan_and_inf_values_are_counted_and_the_rest_judged(capsys, tmp_path):
    n = 2000
    values = normal(3, n)
    values[:200] = np.nan  # 10% missing: above the default allowed increase of 5%
    values[200:210] = np.inf
    values[210:215] = -np.inf
    reference = write_csv(tmp_path / "reference.csv", {"x": normal(1, n), "y": normal(2, n)})
    current = write_csv(tmp_path / "current.csv", {"x": values, "y": normal(4, n)})

    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_OK, err
    x = by_name(report)["x"]
    assert x["status"] == "judged" and x["drifted"] is False
    assert x["score"] is not None and np.isfinite(x["score"])
    assert x["quality"]["missing"] == 200
    assert x["quality"]["nonFinite"] == 15
    assert x["quality"]["missingRate"] == pytest.approx(200 / n)
    assert {"missingRate", "nonFinite"} <= issues_of(report, "x")
    assert issues_of(report, "y") == set()

    # NaN never hides drift: the finite rest of a shifted column is still judged
    values[215:] += 1.0
    shifted = write_csv(tmp_path / "shifted.csv", {"x": values, "y": normal(4, n)})
    code, report, err = check_json(capsys, reference, shifted)
    assert by_name(report)["x"]["drifted"] is True
    assert code == EXIT_DRIFT, err


def test_nan_and_inf_in_parquet_are_counted(capsys, tmp_path):
    n = 2000
    values = normal(3, n)
    values[:50] = np.nan
    values[50:60] = np.inf
    reference = tmp_path / "reference.parquet"
    current = tmp_path / "current.parquet"
    pq.write_table(pa.table({"x": normal(1, n), "y": normal(2, n)}), reference)
    pq.write_table(pa.table({"x": values, "y": normal(4, n)}), current)

    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_OK, err
    x = by_name(report)["x"]
    assert x["status"] == "judged"
    assert x["quality"]["missing"] == 50 and x["quality"]["nonFinite"] == 10


def test_mismatched_types_are_a_type_mismatch_for_that_column_only(capsys, tmp_path):
    n = 2000
    reference = write_csv(tmp_path / "reference.csv", {"x": normal(1, n), "y": normal(2, n), "c": categories(3, n)})
    words = [f"v{i % 7}" for i in range(n)]
    current = write_csv(tmp_path / "current.csv", {"x": normal(4, n), "y": words, "c": categories(5, n)})

    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_DRIFT, err  # text where numbers were: critical data quality, as in the operator
    features = by_name(report)
    assert features["y"]["status"] == "typeMismatch" and features["y"]["drifted"] is False
    assert "'y'" in features["y"]["reason"] and "numeric" in features["y"]["reason"]
    assert "typeMismatch" in issues_of(report, "y")
    assert features["x"]["status"] == features["c"]["status"] == "judged"
    assert report["dataset"]["judgedFeatures"] == 2

    code, out, err = check(capsys, reference, current)
    assert code == EXIT_DRIFT
    assert re.search(r"^not judged: y: column 'y' is numeric in the reference", out, re.M), out


def test_column_only_in_the_current_file_is_a_quality_issue(capsys, tmp_path):
    n = 2000
    reference = write_csv(tmp_path / "reference.csv", {"x": normal(1, n), "y": normal(2, n)})
    current = write_csv(tmp_path / "current.csv", {"x": normal(3, n), "y": normal(4, n), "extra": normal(5, n)})

    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_OK, err  # a new column is a schema change upstream: a warning, as in the operator
    assert set(by_name(report)) == {"x", "y"}
    extra = [i for i in report["qualityIssues"] if i["column"] == "extra"]
    assert [(i["check"], i["severity"]) for i in extra] == [("newColumn", "warning")]
    assert "not in the reference" in extra[0]["message"]


def test_column_only_in_the_reference_file_is_not_judged_and_not_a_crash(capsys, tmp_path):
    n = 2000
    reference = write_csv(tmp_path / "reference.csv", {"x": normal(1, n), "y": normal(2, n), "gone": normal(3, n)})
    current = write_csv(tmp_path / "current.csv", {"x": normal(4, n), "y": normal(5, n)})

    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_DRIFT, err  # a column gone is critical data quality, as in the operator
    gone = by_name(report)["gone"]
    assert gone["status"] == "missingColumn" and gone["drifted"] is False
    assert "missingColumn" in issues_of(report, "gone")
    assert str(current) in gone["reason"]


def test_two_samples_of_one_distribution_exit_0(capsys, same_distribution):
    reference, current = same_distribution
    code, report, err = check_json(capsys, reference, current)

    assert code == EXIT_OK, err
    assert report["dataset"]["drifted"] is False
    assert not any(f["drifted"] for f in report["features"])


def test_one_drifted_feature_of_three_is_not_dataset_drift_unless_configured(capsys, tmp_path):
    n = 2000
    reference = write_csv(tmp_path / "reference.csv", {"x": normal(1, n), "y": normal(2, n), "z": normal(3, n)})
    current = write_csv(tmp_path / "current.csv", {"x": normal(4, n, loc=1.0), "y": normal(5, n), "z": normal(6, n)})

    code, report, err = check_json(capsys, reference, current)
    assert code == EXIT_OK, err
    assert [f["name"] for f in report["features"] if f["drifted"]] == ["x"]
    assert report["dataset"]["drifted"] is False and report["dataset"]["driftedFeatures"] == 1

    config = tmp_path / "check.yaml"
    config.write_text("drift:\n  driftShare: 0.3\n")
    code, report, err = check_json(capsys, reference, current, "--config", config)
    assert code == EXIT_DRIFT, err
    assert report["dataset"]["drifted"] is True and report["dataset"]["thresholdShare"] == 0.3


# --------------------------------------------------------------------------- help and entry point


def test_help_documents_the_exit_statuses(capsys):
    code, out, _ = run(capsys, "check", "--help")

    assert code == 0
    assert "exit status" in out
    assert re.search(r"^\s*0\s+not critical", out, re.M), out
    assert re.search(r"^\s*3\s+critical: .*drifted features", out, re.M), out
    assert re.search(r"^\s*2\s+nothing could be judged: .*(usage|input)", out, re.M), out
    for option in ("--reference", "--current", "--config", "--columns", "--input-format", "--format", "--output"):
        assert option in out


def test_console_script_runs_the_check(tmp_path):
    script = Path(sys.executable).parent / "modelmon"
    command = str(script) if script.exists() else shutil.which("modelmon")
    assert command, "the modelmon console script is not installed (pip install -e .)"

    drifted = subprocess.run([command, "check", "--reference", str(REFERENCE), "--current", str(DRIFTED)],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert drifted.returncode == EXIT_DRIFT, drifted.stderr
    assert "verdict: DRIFT DETECTED" in drifted.stdout

    missing = subprocess.run([command, "check", "--reference", "nope.csv", "--current", str(STABLE)],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert missing.returncode == EXIT_USAGE
    assert "nope.csv" in missing.stderr and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_distance_that_chance_explains_is_shown_as_not_drift_with_its_reason(capsys, tmp_path):
    """Lognormal data, 1,001 rows a side, one distribution (seed 0): Wasserstein 0.11 is past its
    0.1 cut, but KS p = 0.15 says chance explains it; the table says why the feature is stable."""
    rng = np.random.default_rng(0)
    reference = write_csv(tmp_path / "ref.csv", {"x": rng.lognormal(0, 1, 1001)})
    current = write_csv(tmp_path / "cur.csv", {"x": rng.lognormal(0, 1, 1001)})
    code, out, err = check(capsys, reference, current)
    assert code == EXIT_OK, err
    row = table_rows(out)["x"]
    assert row[2] == "wasserstein" and float(row[3]) >= 0.1 and row[5] == "stable" and int(row[6]) < 25
    assert re.search(r"^not drift: x: wasserstein=0\.1\d+: stable; as large as chance makes it \(p=0\.149 > 0\.005\)$",
                     out, re.M), out
