"""``modelmon profile``: profile a reference once, for fast repeated checks against it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from modelmon import checking
from modelmon.cli.check_command import load_config, report_unexpected
from modelmon.data import profiles, tables
from modelmon.data.errors import DataError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "profile", help="profile reference data once (sorted values, bins, category counts) into a .npz file",
        description="Profile reference data once so later checks only pay for the current window.")
    parser.add_argument("--reference", required=True, metavar="REF", help="reference data (csv, jsonl, parquet)")
    parser.add_argument("--output", required=True, metavar="FILE", help="where to write the profile (.npz)")
    parser.add_argument("--config", metavar="FILE", help="config with features and drift.bins")
    parser.add_argument("--input-format", choices=["csv", "jsonl", "parquet"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _profile(args)
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        return report_unexpected("profile", error)


def _profile(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        table = tables.open_table(args.reference, format=args.input_format)
        kinds: dict[str, str] | None = {f.name: str(f.type) for f in config.features} if config.features else None
        built = checking.build_profile(table, bins=config.drift.bins,
                                       columns=list(kinds) if kinds else None, kinds=kinds)
        profiles.save_profile(built, args.output)
    except DataError as error:
        print(f"modelmon profile: error: {error}", file=sys.stderr)
        return 2
    print(f"profiled {len(built.columns)} columns of {table.path} ({table.num_rows} rows) into {args.output}")
    return 0
