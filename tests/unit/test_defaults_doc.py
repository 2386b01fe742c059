"""docs/defaults.md quotes modelmon's defaults next to the seed documents' values: the quoted defaults are
the code's (#17)."""

from __future__ import annotations

from pathlib import Path

from modelmon.api import alerts, monitor, performance, retraining

TABLE = (Path(__file__).resolve().parents[2] / "docs" / "defaults.md").read_text()
SPEC = performance.PerformanceSpec(
    task="classification", prediction_column="p", target_column="t", baseline={"accuracy": 0.9}
)


def pct(value: float) -> str:
    """0.03 -> ``3 %``, as the docs write a percentage."""
    return f"{value:.0%}".replace("%", " %")


def row(what: str) -> str:
    return next(line for line in TABLE.splitlines() if line.startswith(f"| {what} |"))


def test_the_quoted_defaults_are_the_code_s():
    warning, critical = performance.DEFAULT_RELATIVE["accuracy"]
    assert f"a **relative** drop of {pct(warning)} of the baseline" in row("Accuracy / F1 warning")
    assert f"`significanceLevel` {SPEC.significance_level}" in row("Accuracy / F1 warning")
    assert f"a relative drop of {pct(critical)}" in row("Accuracy / F1 critical")
    assert f"| {SPEC.min_samples} |" in row("`minSamples`")
    assert f"(`{monitor.ModelMonitorSpec.model_fields['schedule'].default}`)" in row("Check schedule")
    policy = alerts.AlertsSpec()
    assert f"`cooldown` {policy.cooldown}" in row("Alert grouping")
    assert f"`maxNotificationsPerHour` {policy.max_notifications_per_hour}" in row("Alert grouping")
    trading = performance.DEFAULT_RELATIVE["sharpeRatio"]
    assert f"{pct(trading[0])} / {pct(trading[1])}" in row("Trading metrics")
    policy_r = retraining.RetrainingSpec()
    assert f"{policy_r.cooldown.removesuffix('d')} days" in row("Retraining cooldown")
    assert f"`minNewSamples` {policy_r.min_new_samples}" in row("Retraining cooldown")
