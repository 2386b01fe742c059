"""The hand-written documentation agrees with the code.

docs/statistics.md quotes default thresholds, defaults of spec fields and worked examples;
each is recomputed here from the code and, for the examples, from an independent reference
(scipy, or the formula by hand), so a changed default or convention fails until the docs
follow. Field paths and internal links in every hand-written doc must resolve.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.spatial.distance import jensenshannon

from modelmon import checking
from modelmon.api import crds, drift, performance, reference
from modelmon.data import tables
from modelmon.drift import features, summary
from modelmon.collector.metrics import CollectorMetrics
from modelmon.metrics import OperatorMetrics
from modelmon.stats import chisquare, divergence, ecdf, proportions, severity

DOCS = Path(__file__).resolve().parents[2] / "docs"
STATISTICS = (DOCS / "statistics.md").read_text(encoding="utf-8")
CHECKED = ["statistics.md", "troubleshooting.md", "comparison.md", "reference.md", "metrics.md", "kserve.md",
           "data-sources.md"]


def marked_table(text: str, name: str) -> list[list[str]]:
    """The body rows of the table between ``<!-- table:NAME ...-->`` and ``<!-- /table -->``."""
    match = re.search(rf"<!-- table:{name}\b[^>]*-->\n(.*?)<!-- /table -->", text, flags=re.S)
    assert match, f"docs: no table marked {name}"
    lines = [line for line in match.group(1).splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


# --- defaults quoted in docs/statistics.md ------------------------------------------------------


def test_drift_threshold_table_is_the_codes_defaults() -> None:
    rows = marked_table(STATISTICS, "drift-thresholds")
    documented = {row[0]: tuple(float(v) for v in row[1:4]) for row in rows}
    expected = {method: (t.moderate, t.significant, t.critical) for method, t in drift.DEFAULT_THRESHOLDS.items()}
    assert documented == expected


def test_pvalue_methods_are_documented_as_pvalues() -> None:
    units = {row[0]: row[4] for row in marked_table(STATISTICS, "drift-thresholds")}
    assert {m for m, unit in units.items() if unit == "p-value"} == drift.PVALUE_METHODS


def test_performance_threshold_table_is_the_codes_defaults() -> None:
    rows = marked_table(STATISTICS, "performance-thresholds")
    documented = {row[0]: (float(row[1]), float(row[2])) for row in rows}
    assert documented == performance.DEFAULT_RELATIVE
    rising = {row[0] for row in rows if row[3] == "it rises"}
    assert rising == performance.LOWER_IS_BETTER


DRIFT, QUALITY = drift.DriftSpec(), drift.DataQualitySpec()
PERFORMANCE = performance.PerformanceSpec(task="classification", prediction_column="p", target_column="t",
                                          baseline={"accuracy": 0.9})


@pytest.mark.parametrize(("quoted", "value"), [
    ("`drift.minRows` (default {})", DRIFT.min_rows),
    ("`largeSampleRows` (default {:,})", DRIFT.large_sample_rows),
    ("`drift.bins` (default {})", DRIFT.bins),
    ("≥ drift.driftShare`\n(default {})", DRIFT.drift_share),
    ("`maxMissingRateIncrease` (default {})", QUALITY.max_missing_rate_increase),
    ("`maxOutOfRangeShare` (default {})", QUALITY.max_out_of_range_share),
    ("`maxUnseenShare` (default {})", QUALITY.max_unseen_share),
    ("`minSamples` (default {})", PERFORMANCE.min_samples),
    ("`significanceLevel` α (default {})", PERFORMANCE.significance_level),
    ("the last {}, {} and {}", tuple(w.rows for w in PERFORMANCE.windows)),
    ("floored at ε = {}", f"{divergence.EPSILON:.0e}".replace("e-0", "e-")),
    ("at most {:,} values, else the asymptotic", ecdf.EXACT_KS_MAX_N),
    ("and KS up to {:,} rows", features.KS_ALWAYS_MAX_ROWS),
])
def test_defaults_quoted_in_prose_are_the_codes(quoted: str, value: object) -> None:
    text = quoted.format(*value) if isinstance(value, tuple) else quoted.format(value)  # ε as 1e-4
    assert text in STATISTICS


def test_severity_examples_in_prose() -> None:
    psi_cuts = (0.1, 0.25, 0.5)
    assert (severity.score_0_100(0.175, cuts=psi_cuts), severity.score_0_100(0.5, cuts=psi_cuts),
            severity.score_0_100(0.75, cuts=psi_cuts)) == (37.5, 75.0, 100.0)
    assert "a PSI of 0.175 scores 37.5, 0.5 scores 75 and anything\nfrom 0.75 scores 100" in STATISTICS
    ks_cuts = tuple(severity.strength_of_pvalue(p) for p in (0.05, 0.01, 0.001))
    scores = [severity.score_0_100(severity.strength_of_pvalue(p), cuts=ks_cuts) for p in (0.05, 0.01, 0.001, 1e-4)]
    assert scores == pytest.approx([25, 50, 75, 100])
    assert severity.strength_of_pvalue(0.0) == 300


# --- worked examples: modelmon's code and an independent reference agree with the doc -------


def numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]


EXAMPLES = marked_table(STATISTICS, "examples")


def reproduce(method: str, ref: list[float], cur: list[float]) -> list[tuple[float, float]]:
    """(modelmon's value, the independent reference's value) for each number of the Result cell."""
    r, c = np.array(ref), np.array(cur)
    if method == "psi":
        return [(divergence.psi(r, c), float(np.sum((c - r) * np.log(c / r))))]
    if method == "kl":
        return [(divergence.kl_divergence(r, c), float(scipy_stats.entropy(c, r)))]
    if method == "js":
        return [(divergence.js_distance(r, c), float(jensenshannon(r, c, base=2)))]
    if method == "hellinger":
        return [(divergence.hellinger(r, c), float(np.linalg.norm(np.sqrt(r) - np.sqrt(c)) / math.sqrt(2)))]
    if method == "chi2":
        ours = chisquare.chi_square_homogeneity(r, c)
        theirs = scipy_stats.chi2_contingency(np.vstack([r, c]), correction=False)
        return [(ours.statistic, float(theirs[0])), (ours.pvalue, float(theirs[1]))]
    if method == "ks":
        d, p = ecdf.ks_sorted(r, c)
        theirs = scipy_stats.ks_2samp(r, c)
        return [(d, float(theirs.statistic)), (p, float(theirs.pvalue))]
    if method == "js (corrected)":
        plugin = float(jensenshannon(r, c, base=2))
        bias = (len(r) - 1) * (1 / r.sum() + 1 / c.sum()) / (8 * math.log(2))
        return [(divergence.js_distance(r, c), plugin),
                (divergence.js_distance_debiased(r, c), math.sqrt(plugin**2 - bias))]
    if method == "wasserstein":
        raw = ecdf.wasserstein_sorted(r, c)
        trimmed = ecdf.trimmed_wasserstein_sorted(r, c)
        scipy_raw = float(scipy_stats.wasserstein_distance(r, c))  # a pure shift: trimmed or not, the same
        return [(raw, scipy_raw), (trimmed, scipy_raw),
                (ecdf.normalised_wasserstein(trimmed, reference_std=ecdf.robust_scale(r)),
                 scipy_raw / (float(scipy_stats.iqr(r)) / 1.3489795003921634))]
    if method == "z-test":
        (baseline,), (successes, n) = ref, cur
        ours_z = proportions.one_proportion_ztest(int(successes), int(n), baseline=baseline)
        z = (successes / n - baseline) / math.sqrt(baseline * (1 - baseline) / n)
        return [(float(ours_z.z or 0), z), (float(ours_z.p_value or 0), float(scipy_stats.norm.cdf(z)))]
    raise AssertionError(f"no reproduction for {method}")


@pytest.mark.parametrize("row", EXAMPLES, ids=[f"{r[0]}-{r[2]}" for r in EXAMPLES])
def test_worked_example(row: list[str]) -> None:
    method, ref_cell, cur_cell, result_cell = row
    quoted = numbers(result_cell)
    pairs = reproduce(method, numbers(ref_cell), numbers(cur_cell))
    assert len(pairs) == len(quoted)
    for (ours, theirs), shown in zip(pairs, quoted):
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
        decimals = len(str(shown).split(".")[1]) if "." in str(shown) else 0
        assert round(ours, max(decimals, 1)) == pytest.approx(shown, abs=10 ** -max(decimals, 1) / 2 + 1e-12)


def test_every_method_has_a_worked_example_and_a_row_in_the_methods_table() -> None:
    examples = {row[0] for row in EXAMPLES}
    assert set(drift.DEFAULT_THRESHOLDS) <= examples
    for method in drift.DEFAULT_THRESHOLDS:
        assert f"\n| `{method}` |" in STATISTICS


# --- every hand-written doc: field paths exist, internal links resolve -------------------------

SECTIONS = [section for resource in crds.RESOURCES for part in ("spec", "status")
            for section in reference.describe(resource, part=part)]
ALL_PATHS = {row.path for section in SECTIONS for row in section.fields} | {section.path for section in SECTIONS}
#: Free-form objects (``object (any fields)``): what is below them is not in the schema to check against.
FREE_FORM = {row.path for section in SECTIONS for row in section.fields if row.type == "object (any fields)"}
#: Maps: the docs may name a concrete key (``spec.drift.thresholds.psi``) or a placeholder (``<name>``).
MAPS = {row.path for section in SECTIONS for row in section.fields if row.type.startswith("map of")}


def known(path: str) -> bool:
    if path in ALL_PATHS or any(path.startswith(f"{free}.") for free in FREE_FORM):
        return True
    for mapping in MAPS:
        key, _, rest = path.removeprefix(f"{mapping}.").partition(".")
        if path.startswith(f"{mapping}.") and key != "<key>":
            return not rest or known(f"{mapping}.<key>.{rest}")
    return False


def without_code(text: str) -> str:
    """Markdown with fenced blocks and code spans removed: a regex inside one is not a link."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@pytest.mark.parametrize("name", CHECKED)
def test_field_paths_named_in_the_docs_exist(name: str) -> None:
    text = (DOCS / name).read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:spec|status)\.[A-Za-z0-9.\[\]<>]+)", text))
    unknown = sorted(p for p in named if not known(p.rstrip(".")))
    assert not unknown, f"{name} names fields the specs do not have: {unknown}"


@pytest.mark.parametrize("name", CHECKED)
def test_internal_links_resolve(name: str) -> None:
    text = (DOCS / name).read_text(encoding="utf-8")
    anchors = {github_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    text = without_code(text)
    anchors |= set(re.findall(r'<a id="([^"]+)"', text))
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert [link for link in links if link not in anchors] == []
    for target, anchor in re.findall(r"\]\(((?!https?://|#)[^)#]+)(?:#([^)]*))?\)", text):
        path = DOCS / target if (DOCS / target).exists() else DOCS.parent / target
        assert path.exists(), f"{name}: link to missing {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), flags=re.M)
            assert anchor in {github_slug(h) for h in headings}, f"{name}: {target} has no heading #{anchor}"


def test_large_sample_example_on_the_bundled_data() -> None:
    """The `age` example of "Choosing a method" is what a check of examples/data computes."""
    data = DOCS.parent / "examples" / "data"
    reference_table = tables.open_table(str(data / "reference.csv"))
    current_table = tables.open_table(str(data / "current-drifted.csv"))
    report = checking.run_check(reference=reference_table, current=current_table, config=drift.CheckConfig())
    age = next(f for f in report.features if f.name == "age")
    assert (reference_table.num_rows, current_table.num_rows) == (3000, 2000)
    assert "3,000 reference and 2,000 current rows" in STATISTICS
    assert age.method == "wasserstein" and age.drifted
    assert f"Wasserstein calls that {age.score:.2f},\n**{age.severity}**" in STATISTICS
    assert f"gives p = {age.scores['ks_pvalue']:.1e}" in STATISTICS
    assert age.scores["ks_pvalue"] <= drift.DEFAULT_THRESHOLDS["ks"].critical


def test_the_path_check_itself_rejects_unknown_fields() -> None:
    assert known("spec.drift.bins") and known("status.lastCheck.features[].severity")
    assert not known("spec.drift.binz") and not known("status.healthy")
    assert known("spec.drift.thresholds.psi.moderate") and known("spec.performance.baseline.accuracy")
    assert not known("spec.drift.thresholds.psi.moderat")


def test_status_size_limits_quoted() -> None:
    assert f"lists at most {summary.MAX_FEATURES} features" in STATISTICS
    assert f"`qualityIssues` at most\n{summary.MAX_ISSUES}," in STATISTICS


#: Metrics no longer exported, named in docs/metrics.md only, with their replacements (#19).
REMOVED_METRICS = {"modelmon_feature_drift_score"}


@pytest.mark.parametrize("name", CHECKED)
def test_metric_names_in_the_docs_are_exported(name: str) -> None:
    # The operator's and the collector's (modelmon collect, docs/kserve.md) metrics.
    registries = (OperatorMetrics().registry, CollectorMetrics().registry)
    exported = {metric.name for registry in registries for metric in registry.collect()}
    # counters are exposed with _total, histograms with _bucket/_sum/_count
    suffixes = ("", "_total", "_bucket", "_sum", "_count", "_info")
    named = set(re.findall(r"\b(modelmon_[a-z_]+)", (DOCS / name).read_text(encoding="utf-8")))
    named -= REMOVED_METRICS if name == "metrics.md" else set()  # where their replacements are given
    unknown = sorted(n for n in named if not any(n.removesuffix(s) in exported for s in suffixes if n.endswith(s)))
    assert not unknown, f"{name} names metrics that neither the operator nor the collector exports: {unknown}"


def known_annotations_and_labels() -> set[str]:
    """Every modelmon.io/ annotation, label and finalizer the code sets or reads."""
    source = DOCS.parent / "operator" / "modelmon"
    return {match for path in source.rglob("*.py")
            for match in re.findall(r"[\"'](modelmon\.io/[a-z-]+)[\"']", path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("name", CHECKED)
def test_annotations_and_labels_in_the_docs_exist(name: str) -> None:
    known_names = known_annotations_and_labels()
    assert {"modelmon.io/ack", "modelmon.io/check-now", "modelmon.io/finalizer"} <= known_names
    named = set(re.findall(r"\b(modelmon\.io/[a-z-]+)(?![0-9])", (DOCS / name).read_text(encoding="utf-8")))
    assert named <= known_names, f"{name}: {sorted(named - known_names)} are not used by the code"


@pytest.mark.parametrize("name", CHECKED)
def test_tables_have_as_many_cells_as_their_header(name: str) -> None:
    """A bare ``|`` inside a code span still ends a table cell on GitHub: it must be written ``\\|``."""
    width = None
    for number, line in enumerate((DOCS / name).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            width = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line.strip())) - 2
        if width is None:
            width = cells
        assert cells == width, f"{name}:{number}: {cells} cells in a table of {width} columns"
