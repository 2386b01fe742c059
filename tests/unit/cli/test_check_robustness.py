"""Any file ``modelmon check`` can be pointed at gives a verdict or exit 2 with one line naming
the file (and column) and the fix -- never a traceback -- and the exit status is the operator's
health of the same data: 3 exactly when it would call the data Critical, 2 only when nothing
could be judged.

Hand-written cases pin each crash the issue found; hypothesis then throws arbitrary small
tables at every reader (CSV, JSONL, Parquet, and ``.npz`` profiles), including duplicate
names, mixed types, +-inf, NaN, integers beyond 2**53, empty and truncated files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from modelmon import cli
from modelmon.drift import summary
from modelmon.drift.results import DatasetVerdict, DriftReport, QualityIssue
from modelmon.policies import health

EXIT_OK, EXIT_NO_VERDICT, EXIT_CRITICAL = 0, 2, 3
HEALTH_EXIT = {"Healthy": EXIT_OK, "Warning": EXIT_OK, "Critical": EXIT_CRITICAL, "Unknown": EXIT_NO_VERDICT}


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "error: unexpected " not in err, err  # the last-resort handler must not be what answers
    assert len(err.strip().splitlines()) <= 1, err  # one line, whatever went wrong
    return code, out, err


def check(capsys: pytest.CaptureFixture[str], reference: Path, current: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "check", "--reference", reference, "--current", current, *extra)


def normal_csv(path: Path, *, seed: int, n: int = 500, shift: float = 0.0) -> Path:
    values = np.random.default_rng(seed).normal(shift, 1.0, n)
    path.write_text("x\n" + "\n".join(f"{v:.6f}" for v in values) + "\n")
    return path


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == EXIT_NO_VERDICT, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("modelmon check: error:"), err
    for needle in needles:
        assert needle in err, (needle, err)


# --------------------------------------------------------------------------- the crashes of the issue


def test_a_repeated_header_name_is_named_with_the_fix(capsys, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("a,a,b\n" + "\n".join(f"{i},{i + 1},{i % 3}" for i in range(100)) + "\n")
    code, _, err = check(capsys, ref, ref)
    assert_one_line_error(code, err, str(ref), "'a' (2 times)", "rename")


def test_a_repeated_column_name_in_parquet_is_named(capsys, tmp_path):
    ref = tmp_path / "ref.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array([3.0, 4.0])], names=["v", "v"]), ref)
    code, _, err = check(capsys, ref, ref)
    assert_one_line_error(code, err, str(ref), "'v'")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04truncated", b"not a zip at all", b"\x93NUMPY"],
                         ids=["empty", "truncated-zip", "text", "npy-magic-only"])
def test_a_broken_profile_is_exit_2_naming_the_file(capsys, tmp_path, content):
    profile = tmp_path / "ref.npz"
    profile.write_bytes(content)
    code, _, err = check(capsys, profile, normal_csv(tmp_path / "cur.csv", seed=1))
    assert_one_line_error(code, err, str(profile), "modelmon profile")


def test_a_truncated_real_profile_is_exit_2(capsys, tmp_path):
    profile = tmp_path / "ref.npz"
    assert run(capsys, "profile", "--reference", normal_csv(tmp_path / "ref.csv", seed=1),
               "--output", profile)[0] == EXIT_OK
    whole = profile.read_bytes()
    profile.write_bytes(whole[: len(whole) // 2])
    code, _, err = check(capsys, profile, normal_csv(tmp_path / "cur.csv", seed=2))
    assert_one_line_error(code, err, str(profile))


def test_a_profile_with_a_foreign_header_is_exit_2(capsys, tmp_path):
    profile = tmp_path / "ref.npz"
    np.savez(profile, header=np.frombuffer(json.dumps(["not", "a", "header"]).encode(), dtype=np.uint8))
    code, _, err = check(capsys, profile, normal_csv(tmp_path / "cur.csv", seed=2))
    assert_one_line_error(code, err, str(profile))


@pytest.mark.parametrize("ids", [
    pa.array([2**53 + 1 + i for i in range(500)], pa.int64()),
    pa.array([2**64 - 1 - i for i in range(500)], pa.uint64()),
], ids=["int64", "uint64"])
def test_integers_beyond_2_53_are_an_identifier_and_every_other_column_is_judged(capsys, tmp_path, ids):
    rng = np.random.default_rng(3)
    for suffix in ("parquet", "npz"):
        ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
        pq.write_table(pa.table({"id": ids, "x": rng.normal(size=500)}), ref)
        pq.write_table(pa.table({"id": ids, "x": rng.normal(size=500)}), cur)
        if suffix == "npz":
            assert run(capsys, "profile", "--reference", ref, "--output", tmp_path / "ref.npz")[0] == EXIT_OK
            ref = tmp_path / "ref.npz"
        code, out, err = check(capsys, ref, cur, "--format", "json")
        report = json.loads(out)
        features = {f["name"]: f for f in report["features"]}
        assert code == EXIT_OK, err
        assert features["id"]["status"] == "identifier" and not features["id"]["drifted"]
        assert "2^53" in features["id"]["reason"] and "categorical" in features["id"]["reason"]
        assert features["x"]["status"] == "judged"
        assert report["qualityIssues"] == []


def test_an_all_inf_column_is_all_missing_and_critical_like_an_all_nan_one(capsys, tmp_path):
    rng = np.random.default_rng(4)
    ref = tmp_path / "ref.parquet"
    pq.write_table(pa.table({"x": rng.normal(size=500), "y": rng.normal(size=500)}), ref)
    results = {}
    for name, fill in (("inf", np.inf), ("nan", np.nan)):
        cur = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"x": rng.normal(size=500), "y": np.full(500, fill)}), cur)
        code, out, err = check(capsys, ref, cur, "--format", "json")
        issues = {i["check"]: i["severity"] for i in json.loads(out)["qualityIssues"] if i["column"] == "y"}
        results[name] = (code, issues.get("allMissing"))
    assert results["inf"] == results["nan"] == (EXIT_CRITICAL, "critical")


def test_critical_performance_exits_3_even_when_no_drift_feature_could_be_judged(capsys, tmp_path):
    n = 10  # fewer rows than drift.minRows: no drift verdict
    ref = tmp_path / "ref.csv"
    ref.write_text("x\n" + "\n".join(str(i) for i in range(n)) + "\n")
    cur = tmp_path / "cur.csv"
    # 60 labelled predictions, every one wrong: accuracy 0 against a 0.9 baseline, below any floor
    cur.write_text("x,pred,label\n" + "\n".join(f"{i % n},1,0" for i in range(60)) + "\n")
    config = tmp_path / "config.yaml"
    config.write_text("features: [{name: x, type: numeric}]\nperformance:\n  task: classification\n"
                      "  predictionColumn: pred\n  targetColumn: label\n  baseline: {accuracy: 0.9}\n"
                      "  windows: [{rows: 50}]\n")
    code, out, err = check(capsys, ref, cur, "--config", config, "--format", "json")
    report = json.loads(out)
    assert report["dataset"]["drifted"] is None
    assert report["performance"]["severity"] == "critical"
    assert code == EXIT_CRITICAL, err


# --------------------------------------------------------------------------- exit status = the operator's health


def _report(*, drifted: bool | None, issues: tuple[str, ...]) -> DriftReport:
    verdict = DatasetVerdict(drifted=drifted, drifted_features=int(bool(drifted)), judged_features=0 if drifted is None else 2,
                             share=None if drifted is None else float(bool(drifted)) / 2, threshold_share=0.5,
                             message="m")
    found = tuple(QualityIssue(column=f"c{i}", check="missingRate", severity=s, value=None, limit=None,  # type: ignore[arg-type]
                               message="q") for i, s in enumerate(issues))
    return DriftReport(reference="r", current="c", reference_rows=1, current_rows=1, features=(), dataset=verdict,
                       quality_issues=found)


@given(drifted=st.sampled_from([True, False, None]),
       issues=st.lists(st.sampled_from(["warning", "critical"]), max_size=3).map(tuple))
def test_the_exit_status_is_the_operators_health_of_the_same_summary(drifted, issues):
    from modelmon.cli import check_command

    report = _report(drifted=drifted, issues=issues)
    code, _ = check_command.exit_status(report, None)
    status = health.assess_health(summary.summarise(report, finished_at=""), previous_health=None, generation=None)
    assert code == HEALTH_EXIT[status.health.value]
    assert (code == EXIT_CRITICAL) == (drifted is True or "critical" in issues)
    assert (code == EXIT_NO_VERDICT) == (drifted is None and "critical" not in issues)


# --------------------------------------------------------------------------- arbitrary files


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    return str(value)


values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.booleans(),
    st.text(alphabet="abcxyz,\"' \n", max_size=6),
)
names = st.sampled_from(["a", "b", "c", "a b", "", "x"])
tables = st.lists(st.tuples(names, st.lists(values, min_size=0, max_size=30)), min_size=1, max_size=4)


def _rows(table: list[tuple[str, list[object]]]) -> int:
    return max((len(cells) for _, cells in table), default=0)


def _csv(table: list[tuple[str, list[object]]]) -> str:
    header = ",".join(json.dumps(name) for name, _ in table)
    body = [",".join(json.dumps(_cell(cells[i])) if i < len(cells) else "" for _, cells in table)
            for i in range(_rows(table))]
    return "\n".join([header, *body]) + "\n"


def _jsonl(table: list[tuple[str, list[object]]]) -> str:
    def plain(value: object) -> object:
        return _cell(value) if isinstance(value, float) and not math.isfinite(value) else value
    return "".join(json.dumps({name: plain(cells[i]) for name, cells in table if i < len(cells)}) + "\n"
                   for i in range(_rows(table)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reference=tables, current=tables, format=st.sampled_from(["csv", "jsonl"]),
       cut=st.one_of(st.none(), st.integers(min_value=0, max_value=200)))
def test_any_text_table_gives_a_verdict_or_one_line_exit_2(capsys, tmp_path, reference, current, format, cut):
    texts = {"ref": (_csv if format == "csv" else _jsonl)(reference),
             "cur": (_csv if format == "csv" else _jsonl)(current)}
    if cut is not None:  # a truncated file
        texts["cur"] = texts["cur"][:cut]
    paths = {}
    for key, text in texts.items():
        paths[key] = tmp_path / f"{key}.{format}"
        paths[key].write_text(text)
    code, out, err = check(capsys, paths["ref"], paths["cur"], "--format", "json")
    assert code in (EXIT_OK, EXIT_NO_VERDICT, EXIT_CRITICAL)
    if code == EXIT_NO_VERDICT:
        assert err.startswith("modelmon check: error:"), err
        assert str(paths["ref"]) in err or str(paths["cur"]) in err or "no verdict" in err, err


parquet_columns = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40).map(
        lambda v: pa.array(v, pa.float64())),
    st.lists(st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)), min_size=1, max_size=40).map(
        lambda v: pa.array(v, pa.int64())),
    st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=1, max_size=40).map(
        lambda v: pa.array(v, pa.uint64())),
    st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=1, max_size=40).map(lambda v: pa.array(v, pa.string())),
    st.lists(st.none(), min_size=1, max_size=40).map(lambda v: pa.array(v, pa.null())),
    st.lists(st.booleans(), min_size=1, max_size=40).map(lambda v: pa.array(v, pa.bool_())),
    st.lists(st.one_of(st.none(), st.decimals(min_value=-10**27, max_value=10**27, places=10,
                                                allow_nan=False, allow_infinity=False)),
             min_size=1, max_size=40).map(lambda v: pa.array(v, pa.decimal128(38, 10))),
    st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=40).map(
        lambda v: pa.array(v, pa.timestamp("s"))),
    st.lists(st.lists(st.integers(0, 9), max_size=3), min_size=1, max_size=40).map(
        lambda v: pa.array(v, pa.list_(pa.int64()))),
    st.lists(st.sampled_from(["x", "y", None]), min_size=1, max_size=40).map(
        lambda v: pa.array(v, pa.string()).dictionary_encode()),
)


def _parquet_table(columns: list[pa.Array], names: list[str]) -> pa.Table:
    rows = min(len(c) for c in columns)
    return pa.Table.from_arrays([c.slice(0, rows) for c in columns], names=names[: len(columns)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reference=st.lists(parquet_columns, min_size=1, max_size=3), current=st.lists(parquet_columns, min_size=1, max_size=3),
       names=st.lists(st.sampled_from(["a", "b", "c"]), min_size=3, max_size=3),
       as_profile=st.booleans(), truncate=st.booleans())
def test_any_parquet_table_or_profile_gives_a_verdict_or_one_line_exit_2(capsys, tmp_path, reference, current, names,
                                                                        as_profile, truncate):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pq.write_table(_parquet_table(reference, names), ref)
    pq.write_table(_parquet_table(current, names), cur)
    if as_profile:
        code, _, err = run(capsys, "profile", "--reference", ref, "--output", tmp_path / "ref.npz")
        assert code in (EXIT_OK, EXIT_NO_VERDICT), err
        if code == EXIT_OK:
            ref = tmp_path / "ref.npz"
    if truncate:
        whole = ref.read_bytes()
        ref.write_bytes(whole[: len(whole) * 2 // 3])
    code, out, err = check(capsys, ref, cur, "--format", "json")
    assert code in (EXIT_OK, EXIT_NO_VERDICT, EXIT_CRITICAL)
    if code == EXIT_NO_VERDICT:
        assert err.startswith("modelmon check: error:"), err


def test_one_hundred_thousand_distinct_strings_are_judged(capsys, tmp_path):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    # all distinct on both sides (ids as text): every value "new", exactly as chance predicts
    # (Good-Turing: all reference values are singletons), so neither drift nor a quality alarm
    pq.write_table(pa.table({"s": [f"r{i}" for i in range(100_000)]}), ref)
    pq.write_table(pa.table({"s": [f"c{i}" for i in range(100_000)]}), cur)
    code, out, err = check(capsys, ref, cur, "--format", "json")
    report = json.loads(out)
    assert report["features"][0]["status"] == "judged" and not report["features"][0]["drifted"]
    assert code == EXIT_OK, err
    # ten well-covered categories replaced by 100k distinct strings: new beyond any chance
    pq.write_table(pa.table({"s": [f"k{i % 10}" for i in range(100_000)]}), ref)
    code, out, err = check(capsys, ref, cur, "--format", "json")
    report = json.loads(out)
    assert report["features"][0]["drifted"]
    assert {i["check"] for i in report["qualityIssues"]} == {"unseenCategories"}
    assert code == EXIT_CRITICAL


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_any_config_file_is_applied_or_one_line_exit_2(capsys, tmp_path, content):
    config = tmp_path / "config.yaml"
    config.write_bytes(content)
    data = normal_csv(tmp_path / "data.csv", seed=1, n=50)
    code, _, err = check(capsys, data, data, "--config", config)
    assert code in (EXIT_OK, EXIT_NO_VERDICT, EXIT_CRITICAL)
    if code == EXIT_NO_VERDICT:
        assert err.startswith("modelmon check: error:") and str(config) in err, err


def test_an_unwritable_profile_output_is_one_line_exit_2(capsys, tmp_path):
    code = cli.main(["profile", "--reference", str(normal_csv(tmp_path / "ref.csv", seed=1)),
                     "--output", str(tmp_path / "no-such-dir" / "ref.npz")])
    err = capsys.readouterr().err
    assert code == EXIT_NO_VERDICT and "Traceback" not in err and "unexpected" not in err
    assert err.startswith("modelmon profile: error:") and "no-such-dir" in err and "--output" in err


def test_a_jsonl_column_of_two_types_is_named_with_its_fix(capsys, tmp_path):
    data = tmp_path / "mixed.jsonl"
    data.write_text("".join(json.dumps({"a": i if i < 3000 else "x", "b": 1.0}) + "\n" for i in range(4000)))
    code, _, err = check(capsys, data, data)
    assert_one_line_error(code, err, str(data), "Column(/a)", "one type in every row")
