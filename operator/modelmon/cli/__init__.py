"""The ``modelmon`` command: one sub-command per module in this package."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from modelmon.cli import check_command, crds_command, demo_command, profile_command, run_command
from modelmon.cli import docs_command, history_command
from modelmon.cli import report_command, rollout_command

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DRIFT = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmon",
        description="Keep ML models in production honest: drift, data quality, decay, retraining, rollouts.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check_command.register(commands)
    crds_command.register(commands)
    docs_command.register(commands)
    demo_command.register(commands)
    profile_command.register(commands)
    history_command.register(commands)
    report_command.register(commands)
    run_command.register(commands)
    rollout_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def entry() -> None:  # pragma: no cover - thin wrapper for the console script
    sys.exit(main())
