"""Every watched metric on every window: labelled predictions and the spec in, a report out.

Bad input never raises: a window whose labels fall outside ``classes``, a regression
window whose targets are all equal, or no labelled prediction at all makes the affected
verdicts ``unknown`` with the reason, and nothing is reported as a decay.
"""

from __future__ import annotations

import numpy as np

from modelmon.api.performance import PerformanceSpec
from modelmon.performance import measures, report, verdicts, windows
from modelmon.performance.labelled import LabelledPredictions

MAX_EXAMPLES = 3


def assess_performance(labelled: LabelledPredictions, *, spec: PerformanceSpec, now: float) -> report.PerformanceReport:
    """Judge ``labelled`` (oldest first) against ``spec``'s baseline; ``now`` anchors duration windows.

    The z-tests of every metric on every window form one family: the worst verdict wins, so
    each test at ``significanceLevel`` alpha would raise a false alarm far more often than
    alpha (8.8 % with three windows at 0.05 when the model is steady at its baseline). The
    family's level is kept at alpha by a fixed-sequence procedure within each metric and
    Bonferroni across metrics (``fixed_sequence_pvalues``).
    """
    judged: list[tuple[measures.Measure, verdicts.Judging]] = []
    for window in spec.windows:
        piece = windows.select_window(labelled, window, now=now)
        problem = _window_problem(piece, spec=spec, labelled=labelled)
        for metric in spec.watched():
            if problem is not None:
                measure = measures.Measure(value=None, samples=int(piece.targets.size), reason=problem)
            else:
                measure = measures.measure(metric, predictions=piece.predictions, targets=piece.targets,
                                           positive_label=spec.positive_label)
            judged.append((measure, _judging(spec, metric=metric, window=window.label)))
    adjusted = _adjusted_pvalues(judged)
    found = [verdicts.judge(measure, how=how, adjusted=adjusted.get(index))
             for index, (measure, how) in enumerate(judged)]
    return report.build_report(task=spec.task, labelled=labelled.labelled, unlabelled=labelled.unlabelled,
                               verdicts=found)


def _adjusted_pvalues(judged: list[tuple[measures.Measure, verdicts.Judging]]) -> dict[int, tuple[float, int]]:
    """Adjusted p-value and family size per tested verdict (by index); identical tests counted once."""
    distinct: dict[tuple[object, ...], float] = {}
    keys: dict[int, tuple[object, ...]] = {}
    for index, (measure, how) in enumerate(judged):
        p_value = verdicts.test_pvalue(measure, how=how)
        if p_value is None:
            continue
        key = (how.metric, measure.samples, measure.successes, measure.trials)
        distinct.setdefault(key, p_value)
        keys[index] = key
    adjusted = fixed_sequence_pvalues(distinct)
    return {index: (adjusted[key], len(distinct)) for index, key in keys.items()}


def fixed_sequence_pvalues(tests: dict[tuple[object, ...], float]) -> dict[tuple[object, ...], float]:
    """Adjusted p-values of ``{(metric, samples, ...): p}``: within a metric the windows are
    tested in a fixed order, the fewest labelled predictions (the newest evidence) first, each
    at the full level and only while every earlier one was significant -- the fixed-sequence
    procedure (Maurer, Hothorn and Lehmacher 1995), whose family-wise error rate is the level
    itself under any dependence, with no price paid by the first test. Across the M metrics
    tested, Bonferroni: ``p_adj(metric, k) = min(1, M * max_{j <= k} p(metric, j))``.

    Why this order: a decay shows first in the newest window, and that window alone then
    decides, at the stated level (the worked example of docs/statistics.md: 26 of the last 50
    correct against a 0.65 baseline, p = 0.027, is critical). The price: a slow decay that only
    a longer window could prove is not significant while the newest window is not.

    Worked example, one metric: windows of 50, 100, 200 with p = (0.03, 0.01, 0.2) ->
    (0.03, 0.03, 0.2); with two metrics each doubled.
    """
    per_metric: dict[object, list[tuple[object, ...]]] = {}
    for key in tests:
        per_metric.setdefault(key[0], []).append(key)
    metrics = len(per_metric)
    adjusted: dict[tuple[object, ...], float] = {}
    for keys in per_metric.values():
        running = 0.0
        for key in sorted(keys, key=lambda k: (k[1], tests[k])):
            running = max(running, tests[key])
            adjusted[key] = min(1.0, metrics * running)
    return adjusted


def unavailable(spec: PerformanceSpec, *, reason: str, labelled: int = 0, unlabelled: int = 0) -> report.PerformanceReport:
    """Every metric on every window unknown for ``reason`` (a column missing, of the wrong type...)."""
    found = [verdicts.judge(measures.Measure(value=None, samples=0, reason=reason),
                            how=_judging(spec, metric=metric, window=window.label))
             for window in spec.windows for metric in spec.watched()]
    return report.build_report(task=spec.task, labelled=labelled, unlabelled=unlabelled, verdicts=found)


def _judging(spec: PerformanceSpec, *, metric: str, window: str) -> verdicts.Judging:
    return verdicts.Judging(metric=metric, window=window, baseline=spec.baseline[metric],  # type: ignore[index]
                            thresholds=spec.thresholds_for(metric), min_samples=spec.min_samples,
                            alpha=spec.significance_level)


def _window_problem(piece: windows.WindowSlice, *, spec: PerformanceSpec, labelled: LabelledPredictions) -> str | None:
    """Why no metric can be trusted on this window, or None."""
    if labelled.labelled == 0:
        waiting = f"; {labelled.unlabelled} predictions await ground truth" if labelled.unlabelled else ""
        return f"no labelled predictions yet{waiting}"
    if spec.task == "classification" and spec.classes:
        known = set(spec.classes)
        for name, values in (("prediction", piece.predictions), ("target", piece.targets)):
            strange = sorted({str(v) for v in values if v is not None and v not in known})
            if strange:
                shown = ", ".join(repr(s) for s in strange[:MAX_EXAMPLES])
                more = f" (+{len(strange) - MAX_EXAMPLES} more)" if len(strange) > MAX_EXAMPLES else ""
                return (f"{name} labels outside classes {spec.classes}: {shown}{more}; fix the labels or "
                        f"add the class to performance.classes")
    if spec.task == "regression":
        targets = np.asarray(piece.targets, dtype=np.float64)
        finite = targets[np.isfinite(targets)]
        if finite.size >= 2 and np.all(finite == finite[0]):
            return (f"every labelled target in the {piece.label} window is {finite[0]:g}: a constant target "
                    f"is most likely a broken label feed, not a measure of the model")
    return None
