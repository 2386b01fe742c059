"""A metric's verdict on one window: severity, significance and a recommendation.

Rules, in order:

1. No value, or fewer than ``minSamples`` rows: ``unknown`` with the reason (never an
   alarm for lack of evidence).
2. Thresholds give a level. Relative (the default): the worsening is the relative change
   in the bad direction, ``-(value - baseline) / baseline`` for scores and
   ``(value - baseline) / baseline`` for errors; at least ``critical`` is critical, at
   least ``warning`` a warning. Absolute: the value itself is compared with the bounds.
3. For proportions the one-sided one-proportion z-test asks whether the live rate is
   below the baseline. A drop that is not significant at ``significanceLevel`` is noise
   until proven otherwise: it loses one level (critical -> warning, warning -> ok), so it
   is a warning at most. The p-value compared is the one adjusted over every test of the
   check -- each metric on each window, nested windows holding the same rows counted once --
   so the check as a whole, not each window, has the stated level
   (``assessment.fixed_sequence_pvalues``).
4. A floor breached is critical whatever the baseline and the test: the model is below
   what the team said it must never be.

Worked example (the issue's): baseline accuracy 0.65, 26 of the last 50 correct: value
0.52, change -20 % (past the 5 % critical drop), z = (0.52 - 0.65) / sqrt(0.65 * 0.35 / 50)
= -1.927, p = 0.027 <= 0.05: critical, "accuracy 52.0% vs 65.0% baseline over the last 50
predictions, p=0.027: retrain". With 0.63 over 100 predictions the drop is 3.1 % (a warning
by threshold) but p = 0.34: not significant, so ok.
"""

from __future__ import annotations

import dataclasses
import math

from modelmon.api.performance import LOWER_IS_BETTER, PROPORTIONS, UNBOUNDED, MetricThresholds, PerformanceSeverity
from modelmon.performance.measures import Measure
from modelmon.stats import proportions

#: Worst first when sorting findings; unknown ranks below a real warning but above ok.
RANK: dict[str, int] = {"critical": 3, "warning": 2, "unknown": 1, "ok": 0}
_DEMOTED: dict[str, PerformanceSeverity] = {"critical": "warning", "warning": "ok", "ok": "ok"}
#: Rounding slack so that a drop of exactly the threshold (0.65 -> 0.6305 is 3 %) counts.
_SLACK = 1e-9


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricVerdict:
    """One metric on one window, as ``status.lastCheck.performance.metrics[]`` shows it."""

    metric: str
    window: str
    samples: int
    value: float | None
    baseline: float
    change: float | None
    """Relative change against the baseline, ``(value - baseline) / baseline``."""
    p_value: float | None
    significant: bool | None
    severity: PerformanceSeverity
    reason: str
    recommendation: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Judging:
    """Everything a verdict depends on besides the measure."""

    metric: str
    window: str
    baseline: float
    thresholds: MetricThresholds
    min_samples: int
    alpha: float


def judge(measure: Measure, *, how: Judging, adjusted: tuple[float, int] | None = None) -> MetricVerdict:
    """The verdict of ``measure`` under ``how`` (rules in the module docstring); ``adjusted`` is the
    test's p-value adjusted over a family of that many tests, which then decides significance."""
    if measure.value is None or measure.samples < how.min_samples:
        reason = measure.reason or (f"{measure.samples} labelled predictions in the {how.window} window, fewer "
                                    f"than minSamples {how.min_samples}: no verdict until more ground truth arrives")
        return _verdict(measure, how=how, change=None, p_value=None, significant=None, severity="unknown",
                        reason=reason)
    value = measure.value
    change = (value - how.baseline) / how.baseline if how.baseline != 0 else None
    level: PerformanceSeverity
    level, why = _threshold_level(value, change=change, how=how)
    p_value = test_pvalue(measure, how=how)
    shown = f"p={_p(p_value)}"
    if p_value is not None and adjusted is not None and adjusted[1] > 1:
        p_value = adjusted[0]
        shown = f"p={_p(p_value)} adjusted over {adjusted[1]} tests"
    significant = None if p_value is None else p_value <= how.alpha
    if significant is False and level in ("warning", "critical"):
        level, why = _DEMOTED[level], f"{why}; not significant ({shown} > {how.alpha:g}), so {_DEMOTED[level]}"
    elif significant:
        why = f"{why}; significant ({shown} <= {how.alpha:g})"
    floor = how.thresholds.floor
    if floor is not None and _beyond(value, floor, metric=how.metric):
        side = "above the ceiling" if how.metric in LOWER_IS_BETTER else "below the floor"
        level, why = "critical", f"{_fmt(how.metric, value)} is {side} {_fmt(how.metric, floor)}"
    return _verdict(measure, how=how, change=change, p_value=p_value, significant=significant, severity=level,
                    reason=why)


def _verdict(measure: Measure, *, how: Judging, change: float | None, p_value: float | None,
             significant: bool | None, severity: PerformanceSeverity, reason: str) -> MetricVerdict:
    verdict = MetricVerdict(metric=how.metric, window=how.window, samples=measure.samples, value=measure.value,
                            baseline=how.baseline, change=change, p_value=p_value, significant=significant,
                            severity=severity, reason=reason, recommendation="")
    return dataclasses.replace(verdict, recommendation=recommend(verdict))


def _threshold_level(value: float, *, change: float | None, how: Judging) -> tuple[PerformanceSeverity, str]:
    cuts, metric = how.thresholds, how.metric
    levels: tuple[PerformanceSeverity, PerformanceSeverity] = ("critical", "warning")
    if cuts.bound == "absolute":
        for level in levels:
            bound = getattr(cuts, level)
            if bound is not None and _beyond(value, bound, metric=metric, inclusive=True):
                return level, f"{_fmt(metric, value)} past the {level} bound {_fmt(metric, bound)}"
        return "ok", f"{_fmt(metric, value)} within the absolute bounds"
    if change is None:
        if value == how.baseline:
            return "ok", "equal to the baseline of 0"
        return "unknown", "the baseline is 0, so a relative change is undefined; use bound: absolute"
    worsening = change if metric in LOWER_IS_BETTER else -change
    for level in levels:
        cut = getattr(cuts, level)
        if cut is not None and worsening >= cut - _SLACK:
            return level, f"change {change:+.1%} vs baseline, past the {level} threshold of {cut:.1%}"
    return "ok", f"change {change:+.1%} vs baseline, within thresholds"


def test_pvalue(measure: Measure, *, how: Judging) -> float | None:
    """One-sided z-test p-value of a proportion's drop below its baseline; None when none applies."""
    if measure.value is None or measure.samples < how.min_samples:
        return None
    if how.metric not in PROPORTIONS or measure.trials is None or measure.successes is None:
        return None
    return proportions.one_proportion_test(measure.successes, measure.trials, baseline=how.baseline,
                                           alternative="less").p_value


def _beyond(value: float, bound: float, *, metric: str, inclusive: bool = False) -> bool:
    """Whether ``value`` is on the bad side of ``bound`` (above it for error metrics)."""
    if metric in LOWER_IS_BETTER:
        return value >= bound if inclusive else value > bound
    return value <= bound if inclusive else value < bound


def recommend(verdict: MetricVerdict) -> str:
    """One sentence: what was seen and what to do."""
    if verdict.severity == "unknown":
        return f"{verdict.metric} {verdict.window}: {verdict.reason}"
    seen = (f"{verdict.metric} {_fmt(verdict.metric, verdict.value)} vs {_fmt(verdict.metric, verdict.baseline)} "
            f"baseline")
    if verdict.change is not None and verdict.metric not in PROPORTIONS:
        seen += f" ({verdict.change:+.1%})"
    seen += f" over the {_predictions(verdict.window, samples=verdict.samples)}"
    if verdict.p_value is not None:
        seen += f", p={_p(verdict.p_value)}"
    if verdict.severity == "critical":
        return f"{seen}: retrain"
    if verdict.severity == "warning":
        action = "not significant yet, keep watching" if verdict.significant is False else "investigate"
        return f"{seen}: {action}"
    return f"{seen}: no action"


def _predictions(window: str, *, samples: int) -> str:
    """``last 50`` -> ``last 50 predictions``; ``last 6h`` -> ``predictions of the last 6h``; a
    window not yet full says how many it holds: ``last 120 predictions (window: last 200)``."""
    count = window.removeprefix("last ")
    if not count.isdigit():
        return f"predictions of the {window}"
    return f"last {count} predictions" if samples >= int(count) else f"last {samples} predictions (window: {window})"


def _fmt(metric: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.1%}" if metric not in UNBOUNDED else f"{value:.4g}"


def _p(p_value: float | None) -> str:
    if p_value is None:
        return "n/a"
    return f"{p_value:.1e}" if p_value < 0.001 else f"{p_value:.2g}"
