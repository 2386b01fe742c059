"""``modelmon history``: the checks recorded in a history store, oldest first, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from modelmon.api import history as history_api
from modelmon.cli import cluster, model_history
from modelmon.history import records, store


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "history",
        help="a monitor's models and RetrainingJobs (from the cluster), or the checks in a history store",
        description="Print the checks that `modelmon check/report --history STORE` recorded, oldest first.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "name",
        nargs="?",
        metavar="MONITOR",
        help="from the cluster: the models MONITOR judged and its RetrainingJobs (kubectl modelmon history MONITOR)",
    )
    where.add_argument(
        "--store",
        metavar="STORE",
        help="the history store: a folder of date=YYYY-MM-DD partitions (PATH or file:///PATH)",
    )
    where.add_argument(
        "--monitor",
        metavar="NAMESPACE/NAME",
        help="the store of this ModelMonitor's spec.history, read where its claim is mounted (--mount)",
    )
    parser.add_argument(
        "--mount",
        metavar="DIR",
        default=history_api.MOUNT_PATH,
        help=f"with --monitor: where spec.history.volumeClaim is mounted here (default {history_api.MOUNT_PATH}, "
        "as in the check job)",
    )
    parser.add_argument("--last", metavar="N", type=int, default=20, help="the newest N checks (default 20)")
    parser.add_argument("--feature", metavar="NAME", help="one feature's score and severity over the checks")
    parser.add_argument("--format", choices=["table", "json"], default="table", help="what to print (default table)")
    cluster.add_options(parser, suppress=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.name:
        session = cluster.Cluster.connect(args)
        monitor = session.get(cluster.MONITORS, args.name)
        jobs = session.list(cluster.RETRAINING_JOBS).get("items") or []
        print(model_history.render(monitor, jobs))
        return 0
    if args.last < 1:
        print("modelmon history: error: --last must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.monitor:
            args.store = _monitor_store(args.monitor, mount=args.mount)
        found = store.read(args.store, last=args.last)
    except store.HistoryError as error:
        print(f"modelmon history: error: {error}", file=sys.stderr)
        return 2
    except MonitorUnreadable as error:
        print(f"modelmon history: error: {error}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps([records.to_document(r) for r in found], indent=2))
    elif not found:
        print(f"no checks recorded in {args.store}")
    else:
        print(render_feature(found, args.feature) if args.feature else render_checks(found))
    return 0


class MonitorUnreadable(Exception):
    """The monitor could not be read from the API (exit 1, as ``modelmon check --monitor``)."""


def _monitor_store(target: str, *, mount: str) -> str:
    """The folder of the monitor's history store under ``mount``; HistoryError when it has none or
    its claim is not mounted there."""
    from modelmon import check_job  # the kubernetes client only where it is needed

    namespace, _, name = target.partition("/")
    if not namespace or not name:
        raise store.HistoryError(f"--monitor {target!r}: write NAMESPACE/NAME")
    try:
        spec = check_job.read_spec(namespace=namespace, name=name)
    except check_job.MonitorCheckError as error:
        raise MonitorUnreadable(str(error)) from error
    if spec.history is None:
        raise store.HistoryError(f"ModelMonitor {target} keeps no history: set spec.history.volumeClaim")
    folder = Path(mount) / (spec.history.path or name)
    if not Path(mount).is_dir():
        raise store.HistoryError(
            f"ModelMonitor {target} keeps its history on PersistentVolumeClaim {spec.history.volume_claim} "
            f"(folder {spec.history.path or name}); run where that claim is mounted and pass --mount DIR"
        )
    return str(folder)


def render_checks(found: list[records.CheckRecord]) -> str:
    rows = [["TIME", "HEALTH", "DRIFTED", "ISSUES", "PERFORMANCE", "MODEL", "WORST FEATURES"]]
    for record in found:
        worst = sorted(record.features, key=lambda f: -f.severity_score)[:3]
        rows.append(
            [
                record.time,
                record.health,
                f"{record.drifted_features}/{record.judged_features}",
                f"{record.quality_issues} ({record.critical_quality_issues} critical)",
                record.performance or "-",
                record.model_version or "-",
                ", ".join(f"{f.name} {f.severity}" for f in worst) or "-",
            ]
        )
    return _table(rows)


def render_feature(found: list[records.CheckRecord], name: str) -> str:
    rows = [["TIME", "SEVERITY", "0-100", "METHOD", "SCORE"]]
    for record in found:
        point = next((f for f in record.features if f.name == name), None)
        if point is None:
            rows.append([record.time, "(absent)", "-", "-", "-"])
        else:
            rows.append(
                [
                    record.time,
                    point.severity,
                    f"{point.severity_score:.0f}",
                    point.method or "-",
                    "-" if point.score is None else f"{point.score:.4g}",
                ]
            )
    return _table(rows)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
