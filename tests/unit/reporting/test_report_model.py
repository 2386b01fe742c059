"""What a report shows, planned from a check's results: worst first, cuts, missing change, health."""

from __future__ import annotations

from pathlib import Path

from modelmon import checking
from modelmon.api.drift import CheckConfig
from modelmon.data import tables
from modelmon.reporting import model

DATA = Path(__file__).resolve().parents[3] / "examples" / "data"


def planned(current: str) -> model.ReportView:
    config = CheckConfig()
    report, sketches = checking.run_check_sketched(
        reference=tables.open_table(str(DATA / "reference.csv")),
        current=tables.open_table(str(DATA / current)),
        config=config,
    )
    return model.plan_report(
        report=report, performance=None, sketches=sketches, spec=config.drift, generated_at="2026-01-01T00:00:00Z"
    )


def test_the_sketched_check_is_the_check() -> None:
    config = CheckConfig()
    reference, current = (tables.open_table(str(DATA / name)) for name in ("reference.csv", "current-drifted.csv"))
    plain = checking.run_check(reference=reference, current=current, config=config)
    sketched, sketches = checking.run_check_sketched(reference=reference, current=current, config=config)
    strip = lambda d: {k: v for k, v in d.items() if k != "durationSeconds"}  # noqa: E731
    assert strip(plain.to_dict()) == strip(sketched.to_dict())
    assert set(sketches) == {f.name for f in plain.features if f.status == "judged"}


def test_a_drifted_window_is_critical_with_the_drifted_features_first() -> None:
    view = planned("current-drifted.csv")
    assert view.health == "Critical" and "drifted" in view.headline
    drifted = [v.feature.drifted for v in view.features]
    assert drifted == sorted(drifted, reverse=True) and drifted[0]
    first = view.features[0]
    assert first.feature.severity == "critical" and first.cuts is not None and first.sketch is not None
    assert first.cuts.method == first.feature.method and first.cuts.moderate < first.cuts.critical
    assert [i.severity for i in view.quality_issues] == sorted(
        (i.severity for i in view.quality_issues), key=lambda s: s != "critical"
    )


def test_missing_change_is_in_share_points() -> None:
    view = planned("current-drifted.csv")
    loan = next(v for v in view.features if v.feature.name == "loan_amount")
    assert loan.missing_change is not None and 0.1 < loan.missing_change < 0.15


def test_a_stable_window_is_healthy() -> None:
    view = planned("current-stable.csv")
    assert view.health == "Healthy" and not any(v.feature.drifted for v in view.features)
