"""``modelmon history``: the checks recorded in a history store, oldest first, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from modelmon.history import records, store


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "history",
        help="print the checks recorded in a history store",
        description="Print the checks that `modelmon check/report --history STORE` recorded, oldest first.",
    )
    parser.add_argument(
        "--store",
        metavar="STORE",
        required=True,
        help="the history store: a folder of date=YYYY-MM-DD partitions (PATH or file:///PATH)",
    )
    parser.add_argument("--last", metavar="N", type=int, default=20, help="the newest N checks (default 20)")
    parser.add_argument("--feature", metavar="NAME", help="one feature's score and severity over the checks")
    parser.add_argument("--format", choices=["table", "json"], default="table", help="what to print (default table)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.last < 1:
        print("modelmon history: error: --last must be at least 1", file=sys.stderr)
        return 2
    try:
        found = store.read(args.store, last=args.last)
    except store.HistoryError as error:
        print(f"modelmon history: error: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([records.to_document(r) for r in found], indent=2))
    elif not found:
        print(f"no checks recorded in {args.store}")
    else:
        print(render_feature(found, args.feature) if args.feature else render_checks(found))
    return 0


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
