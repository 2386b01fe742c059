"""Running a drift and data-quality check: tables in, a :class:`DriftReport` out.

The glue between reading (``modelmon.data``) and the pure core (``modelmon.drift``).
Columns are independent, so they are checked in a thread pool: arrow's readers and
numpy's sort release the GIL, and each worker holds one column of each side at a time,
which keeps memory proportional to the columns in flight, not to the table.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import time
from collections.abc import Callable, Sequence

from modelmon.api.drift import CheckConfig, FeatureSpec
from modelmon.api.performance import PerformanceSpec
from modelmon.data import ground_truth as truth
from modelmon.data import tables
from modelmon.data.errors import DataError, IdentifierColumn
from modelmon.data.tables import Table
from modelmon.drift import distributions, features, profile, quality, verdict
from modelmon.drift.results import DriftReport, FeatureDrift, QualityIssue
from modelmon.performance import assessment
from modelmon.performance.report import PerformanceReport
from modelmon.stats import binning


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlannedColumn:
    name: str
    kind: str
    spec: FeatureSpec | None


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def plan_columns(*, reference_columns: dict[str, str], current: Table, config: CheckConfig,
                 columns: Sequence[str] | None, reference_name: str) -> tuple[list[PlannedColumn], list[QualityIssue]]:
    """Decide which columns to check, with which type; ``reference_columns`` maps name -> kind."""
    issues: list[QualityIssue] = []
    if config.features:
        wanted = [PlannedColumn(name=f.name, kind=f.type, spec=f) for f in config.features]
    elif columns:
        wanted = [PlannedColumn(name=c, kind=reference_columns.get(c, "numeric"), spec=None) for c in columns]
    else:
        wanted = [PlannedColumn(name=n, kind=k, spec=None) for n, k in reference_columns.items()
                  if k in ("numeric", "categorical", "identifier")]
        issues += [quality.new_column_issue(name, limits=config.data_quality) for name in current.columns
                   if name not in reference_columns]
        return wanted, issues
    for column in wanted:
        for where, names in ((reference_name, reference_columns), (current.path, current.columns)):
            if column.name not in names:
                raise DataError(f"{where}: has no column {column.name!r} (columns: {', '.join(list(names)[:20])}); "
                                f"fix the name in --columns / features, or the data")
    return wanted, issues


def require_text(table: Table, names: Sequence[str] | None) -> None:
    """A column of bytes (pyarrow's ``binary``: what a CSV or JSON column with bytes that are not
    UTF-8 is read as, or raw bytes in Parquet) can be neither compared nor left out unnoticed: a
    reference column dropped silently hides drift in it. Among ``names`` (every column when None)."""
    for name in table.columns if names is None else names:
        if name in table.columns and tables.is_bytes(table.schema.field(name).type):
            raise DataError(tables.not_text_message(table.path, name))


def build_profile(table: Table, *, bins: int, columns: Sequence[str] | None = None,
                  kinds: dict[str, str] | None = None) -> profile.ReferenceProfile:
    """Profile every numeric/categorical column of a reference table (sorted once each)."""
    if table.num_rows == 0:
        raise DataError(f"{table.path}: the reference has no rows; point at the data the model was trained on")
    names = list(columns) if columns else [c for c in table.columns if table.kind(c) in ("numeric", "categorical")]
    kinds = kinds or {}

    def one(name: str) -> profile.ColumnProfile:
        return _profile_column(table, name, kind=kinds.get(name) or table.kind(name), bins=bins)

    with concurrent.futures.ThreadPoolExecutor(_workers()) as pool:
        profiled = list(pool.map(one, names))
    return profile.ReferenceProfile(source=table.path, bins=bins, columns={p.name: p for p in profiled})


def _profile_column(table: Table, name: str, *, kind: str, bins: int) -> profile.ColumnProfile:
    if kind == "numeric":
        try:
            values = table.numeric(name)
        except IdentifierColumn as error:
            return profile.IdentifierProfile(name=name, rows=table.num_rows, reason=str(error))
        return profile.profile_numeric(name, values, bins=bins)
    counts, missing = table.category_counts(name)
    return profile.profile_categorical(name, counts=counts, missing=missing)


def run_check(*, reference: Table | profile.ReferenceProfile, current: Table, config: CheckConfig,
              columns: Sequence[str] | None = None, clock: Callable[[], float] = time.perf_counter) -> DriftReport:
    """Check ``current`` against ``reference`` (a table, or a saved profile of one)."""
    report, _ = _run_check(reference=reference, current=current, config=config, columns=columns, clock=clock,
                           sketch=False)
    return report


def run_check_sketched(*, reference: Table | profile.ReferenceProfile, current: Table, config: CheckConfig,
                       columns: Sequence[str] | None = None, clock: Callable[[], float] = time.perf_counter,
                       ) -> tuple[DriftReport, dict[str, distributions.Sketch]]:
    """:func:`run_check`, plus a sketch of both distributions of every compared feature (what a
    report draws), taken from the same sorted columns and counts: no second read or sort."""
    return _run_check(reference=reference, current=current, config=config, columns=columns, clock=clock,
                      sketch=True)


def _run_check(*, reference: Table | profile.ReferenceProfile, current: Table, config: CheckConfig,
               columns: Sequence[str] | None, clock: Callable[[], float],
               sketch: bool) -> tuple[DriftReport, dict[str, distributions.Sketch]]:
    started = clock()
    if current.num_rows == 0:
        raise DataError(f"{current.path}: the current window has no rows; nothing to check. "
                        f"Widen the window or check that data is arriving")
    spec = config.drift
    wanted = [f.name for f in config.features] if config.features else (list(columns) if columns else None)
    require_text(current, wanted)
    if isinstance(reference, Table):
        require_text(reference, wanted)
        if reference.num_rows == 0:
            raise DataError(f"{reference.path}: the reference has no rows; point at the data the model was trained on")
        ref_kinds: dict[str, str] = {c: str(reference.kind(c)) for c in reference.columns}
        reference_name, reference_rows = reference.path, reference.num_rows
    else:
        ref_kinds = {n: p.kind for n, p in reference.columns.items()}
        reference_name = reference.source
        reference_rows = max((_rows(p) for p in reference.columns.values()), default=0)
    planned, issues = plan_columns(reference_columns=ref_kinds, current=current, config=config,
                                   columns=columns, reference_name=reference_name)

    def one(column: PlannedColumn) -> tuple[FeatureDrift, distributions.Sketch | None]:
        return _check_column(reference, current, column, config, sketch=sketch)

    with concurrent.futures.ThreadPoolExecutor(_workers()) as pool:
        checked = list(pool.map(one, planned))
    results = verdict.adjust_for_multiplicity([result for result, _ in checked], spec=spec)
    sketches = {result.name: drawn for result, drawn in checked if drawn is not None}
    for result in results:
        issues.extend(quality.assess_quality(result, limits=config.data_quality))
        if result.status in ("typeMismatch", "missingColumn"):
            issues.append(quality.structural_issue(column=result.name, check=result.status, message=result.reason))
    return DriftReport(
        reference=reference_name, current=current.path, reference_rows=reference_rows,
        current_rows=current.num_rows, features=tuple(results),
        dataset=verdict.assess_dataset(results, drift_share=spec.drift_share),
        quality_issues=tuple(issues), duration_seconds=round(clock() - started, 4),
    ), sketches


def _rows(p: profile.ColumnProfile) -> int:
    return p.sample.rows if isinstance(p, profile.NumericProfile) else p.rows


def _identifier(name: str, *, reason: str, reference_rows: int, current_rows: int) -> FeatureDrift:
    return features.not_judged(name=name, kind="numeric", status="identifier", reason=reason,
                               reference_rows=reference_rows, current_rows=current_rows)


def _check_column(reference: Table | profile.ReferenceProfile, current: Table, column: PlannedColumn,
                  config: CheckConfig, *, sketch: bool) -> tuple[FeatureDrift, distributions.Sketch | None]:
    name, spec = column.name, config.drift
    if name not in current.columns:
        return features.not_judged(name=name, kind=column.kind, status="missingColumn",
                                   reason=f"column {name!r} is missing from the current data ({current.path})",
                                   reference_rows=0, current_rows=current.num_rows), None
    current_kind = current.kind(name)
    if column.kind == "numeric" and current_kind != "numeric":
        return features.not_judged(
            name=name, kind="numeric", status="typeMismatch",
            reason=(f"column {name!r} is numeric in the reference but {current.schema.field(name).type} in the "
                    f"current data; fix the producer, or declare the feature categorical"),
            reference_rows=0, current_rows=current.num_rows), None
    if current_kind == "unsupported":  # lists, structs, binary: neither numbers nor categories
        return features.not_judged(
            name=name, kind=column.kind, status="typeMismatch",
            reason=(f"column {name!r} is {column.kind} in the reference but {current.schema.field(name).type} in the "
                    f"current data, which is neither numbers nor categories; fix the producer"),
            reference_rows=0, current_rows=current.num_rows), None
    ref_profile = _reference_column(reference, column, bins=spec.bins)
    if isinstance(ref_profile, profile.IdentifierProfile):
        return _identifier(name, reason=ref_profile.reason, reference_rows=ref_profile.rows,
                           current_rows=current.num_rows), None
    if isinstance(ref_profile, profile.NumericProfile):
        try:
            values = current.numeric(name)
        except IdentifierColumn as error:
            return _identifier(name, reason=str(error), reference_rows=ref_profile.sample.rows,
                               current_rows=current.num_rows), None
        sample = profile.sort_sample(values)
        drawn: distributions.Sketch | None = distributions.sketch_numeric(ref_profile.sample, sample) if sketch else None
        return features.compare_numeric(ref_profile, sample, spec=spec, feature=column.spec), drawn
    counts, missing = current.category_counts(name)
    drawn = distributions.sketch_categorical(ref_profile.counts, counts) if sketch else None
    return features.compare_categorical(ref_profile, counts=counts, missing=missing, spec=spec,
                                        feature=column.spec), drawn


def _reference_column(reference: Table | profile.ReferenceProfile, column: PlannedColumn,
                      *, bins: int) -> profile.ColumnProfile:
    if isinstance(reference, Table):
        return _profile_column(reference, column.name, kind=column.kind, bins=bins)
    stored = reference.columns.get(column.name)
    if stored is None:
        raise DataError(f"{reference.source}: the profile has no column {column.name!r}; rebuild it with "
                        f"`modelmon profile` including that column")
    if isinstance(stored, profile.NumericProfile) and reference.bins != bins and stored.sample.finite.size:
        edges = binning.quantile_edges(stored.sample.finite, bins=bins)
        return dataclasses.replace(stored, edges=edges,
                                   bin_counts=binning.counts_in_bins(stored.sample.finite, edges=edges))
    if stored.kind != column.kind:
        raise DataError(f"{reference.source}: column {column.name!r} was profiled as {stored.kind} but is "
                        f"configured {column.kind}; rebuild the profile")
    return stored


def run_performance(predictions: Table, *, spec: PerformanceSpec, ground_truth: Table | None = None,
                    now: float) -> PerformanceReport:
    """Live performance of the predictions in ``predictions`` (targets there or in ``ground_truth``).

    ``predictions`` is the whole current data, not the drift window: ground truth often
    arrives after the drift window has moved on, and the performance windows count
    labelled predictions. Unusable columns give unknown verdicts with the reason.
    """
    try:
        labelled = truth.read_labelled(predictions, spec=spec, ground_truth=ground_truth)
    except truth.PerformanceInputError as error:
        return assessment.unavailable(spec, reason=str(error))
    return assessment.assess_performance(labelled, spec=spec, now=now)
