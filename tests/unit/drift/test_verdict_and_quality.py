"""Dataset verdict and data-quality issues."""

import numpy as np
import pyarrow as pa
import pytest

from modelmon import checking
from modelmon.api.drift import CheckConfig, DataQualitySpec, DriftSpec
from modelmon.data import tables
from modelmon.drift import features, profile, quality, verdict


def feature(name, drifted, status="judged"):
    if status != "judged":
        return features.not_judged(name=name, kind="numeric", status=status, reason="r",
                                   reference_rows=1, current_rows=1)
    ref = profile.profile_numeric(name, np.random.default_rng(0).normal(size=500), bins=10)
    cur = np.random.default_rng(1).normal(2.0 if drifted else 0.0, 1, 500)
    return features.compare_numeric(ref, profile.sort_sample(cur), spec=DriftSpec())


@pytest.mark.parametrize("drifted,total,share,expected", [(1, 2, 0.5, True), (1, 3, 0.5, False),
                                                          (0, 3, 0.5, False), (1, 3, 0.3, True)])
def test_share_of_drifted_features(drifted, total, share, expected):
    fs = [feature(f"f{i}", i < drifted) for i in range(total)]
    result = verdict.assess_dataset(fs, drift_share=share)
    assert result.drifted is expected
    assert result.drifted_features == drifted and result.judged_features == total


def test_insufficient_features_do_not_count_either_way():
    fs = [feature("a", True), feature("b", False, status="insufficientData"),
          feature("c", False, status="insufficientData")]
    assert verdict.assess_dataset(fs, drift_share=0.5).drifted is True


def test_nothing_judged_is_unknown_not_healthy():
    result = verdict.assess_dataset([feature("a", False, status="insufficientData")], drift_share=0.5)
    assert result.drifted is None and "no feature" in result.message


def test_quality_limits():
    ref = profile.profile_numeric("x", np.random.default_rng(0).uniform(0, 1, 1000), bins=10)
    cur = np.random.default_rng(1).uniform(0, 1.5, 1000)
    cur[:200] = np.nan
    result = features.compare_numeric(ref, profile.sort_sample(cur), spec=DriftSpec())
    issues = {i.check: i for i in quality.assess_quality(result, limits=DataQualitySpec())}
    assert issues["missingRate"].value == pytest.approx(0.2)
    assert 0.2 < issues["outOfRange"].value < 0.45
    assert "outside the reference range" in issues["outOfRange"].message
    relaxed = DataQualitySpec(max_missing_rate_increase=0.5, max_out_of_range_share=0.9)
    assert quality.assess_quality(result, limits=relaxed) == []


def in_memory(data: dict, name: str) -> tables.Table:
    table = pa.table(data)
    return tables.Table(path=name, format="parquet", schema=table.schema, num_rows=table.num_rows, _table=table)


@pytest.mark.parametrize(("limits", "severity"), [
    pytest.param({}, "warning", id="default-warning"),
    pytest.param({"newColumnSeverity": "critical"}, "critical", id="configured-critical"),
])
def test_a_column_only_in_the_current_data_is_a_new_column_finding_of_the_configured_severity(limits, severity):
    rng = np.random.default_rng(7)
    reference = in_memory({"x": rng.normal(size=1000)}, "reference")
    current = in_memory({"x": rng.normal(size=1000), "request_id": np.arange(1000)}, "current")
    config = CheckConfig.model_validate({"dataQuality": limits})
    report = checking.run_check(reference=reference, current=current, config=config)
    (issue,) = report.quality_issues
    assert (issue.column, issue.check, issue.severity) == ("request_id", "newColumn", severity)
    assert issue.message == "column 'request_id' is in the current data but not in the reference"
    assert report.dataset.drifted is False and [f.name for f in report.features] == ["x"]
