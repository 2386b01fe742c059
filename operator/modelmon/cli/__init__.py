"""The ``modelmon`` command, and ``kubectl modelmon`` (the ``kubectl-modelmon`` plugin): one parser,
one sub-command per module in this package. Every failure a person can act on is one line and an
exit code from cli/exit_codes.py, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import importlib
from types import ModuleType

from modelmon.cli import cluster, exit_codes

EXIT_OK = exit_codes.OK
EXIT_USAGE = exit_codes.USAGE
EXIT_DRIFT = exit_codes.DRIFT


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("modelmon")
    except metadata.PackageNotFoundError:  # a source tree on PYTHONPATH, not installed
        from modelmon import __version__

        return __version__


#: Every sub-command: the module that registers it (modelmon.cli.<module>) and its one-line help.
#: Only the module of the command being run is imported (``check`` loads scipy and pyarrow; ``kubectl
#: modelmon get`` should answer in a fraction of a second, not wait for them); the others are listed
#: with this help (tests/unit/cli/test_plugin_parser.py checks it against each module's own).
COMMANDS: dict[str, tuple[str, str]] = {
    "get": ("get_command", "show monitors or RetrainingJobs"),
    "list": ("get_command", "list monitors or RetrainingJobs"),
    "check-now": ("steer_command", "start a drift check of a monitor now"),
    "ack": ("steer_command", "acknowledge a monitor's alerts (stop re-notifying until they escalate)"),
    "promote": ("steer_command", "promote a RetrainingJob's rollout: the next step, or all of it with --full"),
    "abort": ("steer_command", "abort a RetrainingJob's rollout: roll back to the current model"),
    "retry": ("steer_command", "rerun an inconclusive analysis, or restart a rolled-back or failed rollout"),
    "undo": ("steer_command", "put a monitor's previous active model back"),
    "rollout": ("rollout_command", "watch and steer the rollout of a RetrainingJob"),
    "check": ("check_command", "check current data against a reference for drift and data quality"),
    "collect": ("collect_command", "receive KServe inference-logger CloudEvents and write them as partitioned Parquet"),
    "report": ("report_command", "check current data against a reference and write an HTML report with plots"),
    "history": ("history_command", "a monitor's models and RetrainingJobs (from the cluster), or the checks in a history store"),
    "profile": ("profile_command", "profile reference data once (sorted values, bins, category counts) into a .npz file"),
    "crds": ("crds_command", "print the CRD YAML generated from the spec and status models"),
    "docs": ("docs_command", "print documentation generated from the code (the configuration reference)"),
    "demo": ("demo_command", "run the whole loop on an in-process Kubernetes API (no cluster needed)"),
    "run": ("run_command", "run the operator"),
}


def module_of(command: str) -> ModuleType:
    return importlib.import_module(f"modelmon.cli.{COMMANDS[command][0]}")


def build_parser(prog: str = "modelmon", *, command: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``command``'s module registers its sub-command(s) in full, the rest are listed only."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Keep ML models in production honest: drift, data quality, decay, retraining, rollouts.",
        epilog="exit codes: " + "; ".join(f"{code} {what}" for code, what in exit_codes.TABLE.items()),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    cluster.add_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command in COMMANDS:
        module_of(command).register(commands)
    for name, (_, help_text) in COMMANDS.items():
        if name not in commands.choices:
            commands.add_parser(name, help=help_text, add_help=False)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The first word naming a sub-command (a global option's value, like ``-n get``, is skipped)."""
    takes_value = {"-n", "--namespace", "--context", "--kubeconfig", "--timeout"}
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in takes_value:
            skip = True
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None, *, prog: str = "modelmon") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog, command=chosen_command(argv))
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except cluster.CliError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130
    return code


def entry() -> None:  # pragma: no cover - thin wrapper for the console script
    sys.exit(main())


def kubectl_entry() -> None:  # pragma: no cover - the kubectl-modelmon console script
    sys.exit(main(prog="kubectl modelmon"))
