"""``modelmon check``: a drift and data-quality check of two data files, for a terminal or CI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pydantic
import yaml

from modelmon import checking
from modelmon.api.drift import CheckConfig
from modelmon.cli.render import render_table
from modelmon.data import profiles, tables
from modelmon.data.errors import DataError

EPILOG = """\
exit status:
  0  no drift: the dataset verdict is "no drift"
  3  drift detected: the share of drifted features reached drift.driftShare
  2  the check could not run or reach a verdict: usage error, unreadable or missing
     input, a configured column missing, no rows, or no feature with enough data

The reference may be a data file or a profile saved by `modelmon profile` (.npz), which
skips re-reading and re-sorting the reference on every check.
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "check", help="check current data against a reference for drift and data quality",
        description="Check current data against a reference for drift and data quality.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", metavar="REF",
                        help="reference data (csv, jsonl, parquet) or a profile (.npz)")
    parser.add_argument("--current", metavar="CUR", help="current data (csv, jsonl, parquet)")
    parser.add_argument("--monitor", metavar="NAMESPACE/NAME",
                        help="check a ModelMonitor's data and write status.lastCheck (the drift-check job's mode; "
                             "in-cluster or with KUBECONFIG)")
    parser.add_argument("--config", metavar="FILE",
                        help="YAML/JSON with features, drift and dataQuality, as in the ModelMonitor spec")
    parser.add_argument("--columns", metavar="A,B,...", help="only these columns (comma-separated)")
    parser.add_argument("--input-format", choices=["csv", "jsonl", "parquet"],
                        help="format of the data files when their names do not tell")
    parser.add_argument("--format", choices=["table", "json"], default="table", help="what to print (default table)")
    parser.add_argument("--output", metavar="FILE", help="also write the full JSON report here")
    parser.set_defaults(handler=run)


def load_config(path: str | None) -> CheckConfig:
    if path is None:
        return CheckConfig()
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise DataError(f"{path}: cannot read the config ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise DataError(f"{path}: not valid YAML: {error}") from error
    try:
        return CheckConfig.model_validate(raw or {})
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
                             for e in error.errors())
        raise DataError(f"{path}: invalid config: {problems}") from error


def run(args: argparse.Namespace) -> int:
    if args.monitor:
        return run_monitor(args.monitor)
    if not (args.reference and args.current):
        print("modelmon check: error: give --reference and --current, or --monitor NAMESPACE/NAME", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
        columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
        if args.reference.endswith(".npz"):
            reference: tables.Table | Any = profiles.load_profile(args.reference)
        else:
            reference = tables.open_table(args.reference, format=args.input_format)
        current = tables.open_table(args.current, format=args.input_format)
        report = checking.run_check(reference=reference, current=current, config=config, columns=columns)
    except DataError as error:
        print(f"modelmon check: error: {error}", file=sys.stderr)
        return 2
    document = json.dumps(report.to_dict(), indent=2)
    if args.output:
        try:
            Path(args.output).write_text(document + "\n")
        except OSError as error:
            print(f"modelmon check: error: {args.output}: cannot write the report ({error.strerror})", file=sys.stderr)
            return 2
    print(document if args.format == "json" else render_table(report))
    if report.dataset.drifted is None:
        print(f"modelmon check: error: no verdict: {report.dataset.message}", file=sys.stderr)
        return 2
    return 3 if report.dataset.drifted else 0


def run_monitor(target: str) -> int:
    """Exit 0 once status is written (drift or not: the report says which), 1 when the API
    cannot be reached or written (the Job retries), 2 for a bad target or spec."""
    from modelmon.k8s import (
        monitor_check,  # the kubernetes client only where it is needed
    )

    namespace, _, name = target.partition("/")
    if not namespace or not name:
        print(f"modelmon check: error: --monitor {target!r}: write NAMESPACE/NAME", file=sys.stderr)
        return 2
    try:
        outcome = monitor_check.run_monitor_check(namespace=namespace, name=name)
    except monitor_check.MonitorCheckError as error:
        print(f"modelmon check: error: {error}", file=sys.stderr)
        return 2 if "invalid spec" in str(error) else 1
    if outcome.report is not None:
        print(render_table(outcome.report))
    else:
        print(f"modelmon check: data unavailable: {outcome.last_check.get('error')}", file=sys.stderr)
    return 0
