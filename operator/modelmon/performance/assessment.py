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
    """Judge ``labelled`` (oldest first) against ``spec``'s baseline; ``now`` anchors duration windows."""
    found: list[verdicts.MetricVerdict] = []
    for window in spec.windows:
        piece = windows.select_window(labelled, window, now=now)
        problem = _window_problem(piece, spec=spec, labelled=labelled)
        for metric in spec.watched():
            if problem is not None:
                measure = measures.Measure(value=None, samples=int(piece.targets.size), reason=problem)
            else:
                measure = measures.measure(metric, predictions=piece.predictions, targets=piece.targets,
                                           positive_label=spec.positive_label)
            found.append(verdicts.judge(measure, how=_judging(spec, metric=metric, window=window.label)))
    return report.build_report(task=spec.task, labelled=labelled.labelled, unlabelled=labelled.unlabelled,
                               verdicts=found)


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
