"""``modelmon check``: a drift and data-quality check of two data files, for a terminal or CI."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pydantic
import yaml

from modelmon import checking, timestamps
from modelmon.api.drift import CheckConfig
from modelmon.api.durations import parse_duration
from modelmon.api.performance import PerformanceSpec
from modelmon.cli.render import render_table
from modelmon.data import profiles, s3, tables
from modelmon.data.errors import DataError
from modelmon.drift import distributions, summary
from modelmon.drift.results import DriftReport
from modelmon.history.store import HistoryError
from modelmon.performance.report import PerformanceReport
from modelmon.policies import health

EXIT_OK, EXIT_NO_VERDICT, EXIT_CRITICAL = 0, 2, 3

EPILOG = """\
exit status (the operator's health of the same data, so a local gate and the cluster agree):
  0  not critical (Healthy or Warning): no dataset drift, no critical data-quality issue,
     no critical performance decay
  3  critical: the share of drifted features reached drift.driftShare, or a data-quality
     issue is critical (a column missing or all missing/infinite, text where numbers were,
     ...), or the config's performance section found a critical decay against the baseline
  2  nothing could be judged: usage error, unreadable or missing input, a configured column
     missing, no rows, or no feature with enough data (and nothing critical found)

Performance: with `performance:` in --config (task, predictionColumn, targetColumn,
baseline, ...; as in the ModelMonitor spec) the current file's labelled predictions are
judged against the baseline on each window. Targets in another file are joined on an
id column: set performance.groundTruth (uri file://PATH, idColumn) or pass --ground-truth.

History: --history STORE appends the check's record (health, verdict, each feature's score and
severity, data-quality counts, performance) to a folder of day partitions, dropping days older than
--retention (default 90d); `modelmon history --store STORE` prints it and `modelmon report
--history STORE` plots each feature's score over the last checks. A store that cannot be written
is exit 2.

The reference may be a data file or a profile saved by `modelmon profile` (.npz), which
skips re-reading and re-sorting the reference on every check.

Files may be s3://BUCKET/KEY objects: credentials come from the standard AWS chain
(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance profile), and an
S3-compatible store's address from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "check", help="check current data against a reference for drift and data quality",
        description="Check current data against a reference for drift and data quality.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_arguments(parser)
    add_history_arguments(parser)
    parser.add_argument("--monitor", metavar="NAMESPACE/NAME",
                        help="check a ModelMonitor's data and write status.lastCheck (the drift-check job's mode; "
                             "in-cluster or with KUBECONFIG)")
    parser.add_argument("--format", choices=["table", "json"], default="table", help="what to print (default table)")
    parser.add_argument("--output", metavar="FILE", help="also write the full JSON report here")
    parser.set_defaults(handler=run)


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    """Where a check's record is appended (``modelmon history --store`` prints it)."""
    parser.add_argument("--history", metavar="STORE",
                        help="append this check's record to a history store (a folder of date=YYYY-MM-DD partitions)")
    parser.add_argument("--retention", metavar="DURATION", default="90d",
                        help="with --history: drop the store's days older than this (default 90d)")


def record_history(args: argparse.Namespace, report: DriftReport, performance: PerformanceReport | None) -> None:
    """Append the check's record to ``args.history``; raises HistoryError or DataError (bad retention)."""
    from modelmon.history import records, store

    try:
        keep = datetime.timedelta(seconds=parse_duration(args.retention))
    except ValueError as error:
        raise DataError(f"--retention: {error}") from error
    now = timestamps.now()
    last_check = summary.summarise(report, finished_at=timestamps.format_time(now), performance=performance)
    assessed = health.assess_health(last_check, previous_health=None, generation=None)
    store.append(args.history, records.plan_record(last_check, health=assessed.health.value), now=now, retention=keep)


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """What a check reads, shared by ``check`` and ``report`` so that both judge the same inputs."""
    parser.add_argument("--reference", metavar="REF",
                        help="reference data (csv, jsonl, parquet) or a profile (.npz)")
    parser.add_argument("--current", metavar="CUR", help="current data (csv, jsonl, parquet)")
    parser.add_argument("--config", metavar="FILE",
                        help="YAML/JSON with features, drift and dataQuality, as in the ModelMonitor spec")
    parser.add_argument("--ground-truth", metavar="FILE",
                        help="targets arriving apart from the predictions (needs performance.groundTruth.idColumn)")
    parser.add_argument("--columns", metavar="A,B,...", help="only these columns (comma-separated)")
    parser.add_argument("--input-format", choices=["csv", "jsonl", "parquet"],
                        help="format of the data files when their names do not tell")


def load_config(path: str | None) -> CheckConfig:
    if path is None:
        return CheckConfig()
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise DataError(f"{path}: cannot read the config ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: the config is not UTF-8 text (byte {error.start}); write it as YAML or JSON") from error
    except yaml.YAMLError as error:
        raise DataError(f"{path}: not valid YAML: {_yaml_problem(error)}") from error
    try:
        return CheckConfig.model_validate(raw or {})
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
                             for e in error.errors())
        raise DataError(f"{path}: invalid config: {problems}") from error


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's complaint on one line: what it found and where (its own message spans several lines)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else problem


def run(args: argparse.Namespace) -> int:
    if args.monitor:
        return run_monitor(args.monitor)
    if not (args.reference and args.current):
        print("modelmon check: error: give --reference and --current, or --monitor NAMESPACE/NAME", file=sys.stderr)
        return 2
    # Tables are read lazily, so s3:// copies must outlive the whole check.
    with tempfile.TemporaryDirectory(prefix="modelmon-") as scratch:
        try:
            return _check_files(args, scratch)
        except Exception as error:  # noqa: BLE001 - the last line of defence: one line, never a traceback
            return report_unexpected("check", error)


def report_unexpected(command: str, error: Exception) -> int:
    """An error no reader anticipated: one line naming it, exit 2; MODELMON_DEBUG=1 shows the traceback."""
    import os
    import traceback

    if os.environ.get("MODELMON_DEBUG"):
        traceback.print_exc()
    detail = str(error).splitlines()[0] if str(error) else ""
    print(f"modelmon {command}: error: unexpected {type(error).__name__}: {detail} (a bug: please report it "
          f"with the input's shape; MODELMON_DEBUG=1 prints the traceback)", file=sys.stderr)
    return EXIT_NO_VERDICT


def exit_status(report: DriftReport, performance: PerformanceReport | None) -> tuple[int, str]:
    """The exit status of a check and why: the operator's own health of the same summary."""
    assessed = health.assess_health(summary.summarise(report, finished_at="", performance=performance),
                                    previous_health=None, generation=None)
    if assessed.health.value == "Critical":
        return EXIT_CRITICAL, "critical"
    if assessed.health.value == "Unknown":
        return EXIT_NO_VERDICT, f"no verdict: {report.dataset.message}"
    return EXIT_OK, assessed.health.value.lower()


def _local(path: str, scratch: str, *, prefix: str) -> str:
    """``path`` itself, or a local copy of an s3:// object."""
    return s3.download(path, scratch=scratch, prefix=prefix) if path.startswith("s3://") else path


@dataclasses.dataclass(frozen=True, kw_only=True)
class Checked:
    """A check of files: the drift report, the performance section and, when asked, the sketches
    of the distributions (``modelmon report`` draws them)."""

    config: CheckConfig
    report: DriftReport
    performance: PerformanceReport | None
    sketches: dict[str, distributions.Sketch]


def check_files(args: argparse.Namespace, scratch: str, *, sketch: bool = False) -> Checked:
    """Read the inputs ``add_input_arguments`` declared and check them; raises :class:`DataError`."""
    config = load_config(args.config)
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    reference_path = _local(args.reference, scratch, prefix="reference")
    if reference_path.endswith(".npz"):
        reference: tables.Table | Any = profiles.load_profile(reference_path)
    else:
        reference = tables.open_table(reference_path, format=args.input_format)
    current = tables.open_table(_local(args.current, scratch, prefix="current"), format=args.input_format)
    sketches: dict[str, distributions.Sketch] = {}
    if sketch:
        report, sketches = checking.run_check_sketched(reference=reference, current=current, config=config,
                                                       columns=columns)
    else:
        report = checking.run_check(reference=reference, current=current, config=config, columns=columns)
    performance = _performance(config.performance, current=current, ground_truth=args.ground_truth,
                               input_format=args.input_format, config_path=args.config, scratch=scratch)
    return Checked(config=config, report=report, performance=performance, sketches=sketches)


def _check_files(args: argparse.Namespace, scratch: str) -> int:
    try:
        checked = check_files(args, scratch)
    except DataError as error:
        print(f"modelmon check: error: {error}", file=sys.stderr)
        return 2
    report, performance = checked.report, checked.performance
    full = report.to_dict()
    if performance is not None:
        full["performance"] = performance.to_status()
    document = json.dumps(full, indent=2)
    if args.output:
        try:
            Path(args.output).write_text(document + "\n")
        except OSError as error:
            print(f"modelmon check: error: {args.output}: cannot write the report ({error.strerror})", file=sys.stderr)
            return 2
    print(document if args.format == "json" else render_table(report) + render_performance(performance))
    if args.history:
        try:
            record_history(args, report, performance)
        except (DataError, HistoryError) as error:
            print(f"modelmon check: error: {error}", file=sys.stderr)
            return EXIT_NO_VERDICT
    code, why = exit_status(report, performance)
    if code == EXIT_NO_VERDICT:
        print(f"modelmon check: error: {why}", file=sys.stderr)
    return code


def _performance(spec: PerformanceSpec | None, *, current: tables.Table, ground_truth: str | None,
                 input_format: str | None, config_path: str | None, scratch: str) -> PerformanceReport | None:
    """The performance section of the report, when the config asks for it."""
    if spec is None:
        if ground_truth:
            raise DataError("--ground-truth needs a performance section in --config")
        return None
    if ground_truth and spec.ground_truth is None:
        raise DataError("--ground-truth needs performance.groundTruth.idColumn in --config (the column joining "
                        "predictions to their targets)")
    truth = None
    if spec.ground_truth is not None:
        path = ground_truth or spec.ground_truth.uri
        if path is None or path.startswith(("http://", "https://")):
            raise DataError("performance.groundTruth: a local check reads a file:// or s3:// uri, "
                            "or --ground-truth FILE")
        if path.startswith("s3://"):
            path = _local(path, scratch, prefix="ground-truth")
        elif not ground_truth and config_path and not Path(path.removeprefix("file://")).is_absolute():
            # A config travels with its data: file://labels.csv is next to the config, not the shell.
            path = str(Path(config_path).parent / path.removeprefix("file://"))
        truth = tables.open_table(path, format=spec.ground_truth.format or input_format)
    return checking.run_performance(current, spec=spec, ground_truth=truth, now=time.time())


def render_performance(performance: PerformanceReport | None) -> str:
    """The performance section as a table, after the drift table; empty when not configured."""
    if performance is None:
        return ""
    header = ["METRIC", "WINDOW", "N", "VALUE", "BASELINE", "CHANGE", "P-VALUE", "SEVERITY"]
    rows = [header] + [[
        v.metric, v.window, str(v.samples), _number(v.value), _number(v.baseline),
        "-" if v.change is None else f"{v.change:+.1%}",
        "-" if v.p_value is None else (f"{v.p_value:.2e}" if v.p_value < 1e-3 else f"{v.p_value:.4f}"),
        v.severity] for v in performance.metrics]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["", f"performance ({performance.task}): {performance.labelled} labelled predictions, "
                 f"{performance.unlabelled} awaiting ground truth"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines += [f"not judged: {v.metric} {v.window}: {v.reason}" for v in performance.metrics if v.severity == "unknown"]
    lines.append(f"performance: {performance.severity.upper()}: {performance.recommendation}")
    return "\n" + "\n".join(lines)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def run_monitor(target: str) -> int:
    """Exit 0 once status is written (drift or not: the report says which), 1 when the API
    cannot be reached or written (the Job retries), 2 for a bad target or spec."""
    from modelmon import (
        check_job,  # the kubernetes client only where it is needed
    )

    namespace, _, name = target.partition("/")
    if not namespace or not name:
        print(f"modelmon check: error: --monitor {target!r}: write NAMESPACE/NAME", file=sys.stderr)
        return 2
    try:
        outcome = check_job.run_monitor_check(namespace=namespace, name=name)
    except check_job.MonitorCheckError as error:
        print(f"modelmon check: error: {error}", file=sys.stderr)
        return 2 if "invalid spec" in str(error) else 1
    if outcome.report is not None:
        print(render_table(outcome.report) + render_performance(outcome.performance))
    else:
        print(f"modelmon check: data unavailable: {outcome.last_check.get('error')}", file=sys.stderr)
    return 0
