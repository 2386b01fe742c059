"""``modelmon report``: the check of ``modelmon check``, as one self-contained HTML page to look at."""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from modelmon import timestamps
from modelmon.cli import check_command
from modelmon.data.errors import DataError
from modelmon.history import store

EXIT_API = 1

EPILOG = """\
The page holds everything in one file (inline SVG and CSS, no script, nothing fetched): the
health and verdict, every feature worst first with its reference and current distributions
overlaid, its score against the method's cut points and its missing-value change, the
data-quality findings and, with a performance section in --config, each metric by window
against its baseline with the test's p-value. With --history STORE, the check is recorded there (as
`modelmon check --history` does) and each feature's score over the newest --last checks is plotted
too. Needs matplotlib (pip install 'modelmon[report]').

With --monitor NAMESPACE/NAME the monitor's own sources, window, features, drift, data-quality
and performance settings are used, as its check job would (nothing is written to its status).

exit status: as `modelmon check` (0 not critical, 3 critical, 2 nothing could be judged or a
usage/input error, 1 the monitor could not be read from the API); the page is written in the 0,
3 and no-verdict 2 cases, whenever the data could be read.
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        help="check current data against a reference and write an HTML report with plots",
        description="Check current data against a reference (as `modelmon check`) and write one HTML report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check_command.add_input_arguments(parser)
    check_command.add_history_arguments(parser)
    parser.add_argument(
        "--last",
        metavar="N",
        type=int,
        default=30,
        help="with --history: plot each feature's score over the newest N recorded checks (default 30)",
    )
    parser.add_argument(
        "--monitor",
        metavar="NAMESPACE/NAME",
        help="instead of files: check a ModelMonitor's data as its check job does (with KUBECONFIG "
        "or in-cluster; its sources must be reachable from here) and report it; status is "
        "not written",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE.html",
        default="modelmon-report.html",
        help="where to write the page (default modelmon-report.html)",
    )
    parser.add_argument("--title", help="the page's title (default: the two files compared)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.monitor and (args.reference or args.current or args.config or args.ground_truth):
        print(
            "modelmon report: error: --monitor reads the monitor's own data and config: drop --reference, "
            "--current, --config and --ground-truth",
            file=sys.stderr,
        )
        return check_command.EXIT_NO_VERDICT
    if not args.monitor and not (args.reference and args.current):
        print("modelmon report: error: give --reference and --current, or --monitor NAMESPACE/NAME", file=sys.stderr)
        return check_command.EXIT_NO_VERDICT
    if importlib.util.find_spec("matplotlib") is None:
        print("modelmon report: error: the report needs matplotlib: pip install 'modelmon[report]'", file=sys.stderr)
        return check_command.EXIT_NO_VERDICT
    # Importing matplotlib takes ~0.5-1 s; it overlaps with the check (whose sorts and reads release the GIL).
    importing = concurrent.futures.ThreadPoolExecutor(1)
    drawing = importing.submit(importlib.import_module, "modelmon.reporting.pages")
    importing.shutdown(wait=False)
    with tempfile.TemporaryDirectory(prefix="modelmon-") as scratch:
        try:
            return _report(args, scratch, drawing=drawing)
        except Exception as error:  # noqa: BLE001 - the last line of defence: one line, never a traceback
            return check_command.report_unexpected("report", error)


def _report(args: argparse.Namespace, scratch: str, *, drawing: concurrent.futures.Future[Any]) -> int:
    from modelmon.reporting import model

    try:
        checked = (
            _check_monitor(args.monitor) if args.monitor else check_command.check_files(args, scratch, sketch=True)
        )
    except DataError as error:
        print(f"modelmon report: error: {error}", file=sys.stderr)
        return check_command.EXIT_NO_VERDICT
    except MonitorUnavailable as error:
        print(f"modelmon report: error: {error}", file=sys.stderr)
        return EXIT_API
    pages = drawing.result()
    from modelmon.reporting import plots

    try:
        earlier = store.read(args.history, last=max(1, args.last)) if args.history else []
        if args.history:
            check_command.record_history(args, checked.report, checked.performance)
    except (DataError, store.HistoryError) as error:
        print(f"modelmon report: error: {error}", file=sys.stderr)
        return check_command.EXIT_NO_VERDICT
    title = args.title or (f"Drift report: ModelMonitor {args.monitor}" if args.monitor else None)
    view = model.plan_report(
        report=checked.report,
        performance=checked.performance,
        sketches=checked.sketches,
        spec=checked.config.drift,
        generated_at=timestamps.format_time(timestamps.now()),
        title=title,
        history=earlier,
    )
    # the features' plots on up to 4 processes (CPU-bound drawing, ~20 ms a feature)
    page = pages.render_page(view, plotter=plots.Plotter(), processes=min(4, os.cpu_count() or 1))
    try:
        Path(args.output).write_text(page, encoding="utf-8")
    except OSError as error:
        print(f"modelmon report: error: {args.output}: cannot write the report ({error.strerror})", file=sys.stderr)
        return check_command.EXIT_NO_VERDICT
    code, why = check_command.exit_status(checked.report, checked.performance)
    print(f"wrote {args.output} ({len(page.encode()) / 1024:.0f} KB): {view.health}: {view.headline}")
    if code == check_command.EXIT_NO_VERDICT:
        print(f"modelmon report: error: {why}", file=sys.stderr)
    return code


class MonitorUnavailable(Exception):
    """The monitor could not be read from the API (exit 1, as `modelmon check --monitor`)."""


def _check_monitor(target: str) -> check_command.Checked:
    """The monitor's check, as its job runs it, with sketches; raises DataError (bad target, invalid
    spec, unreadable data: exit 2) or MonitorUnavailable (the API: exit 1)."""
    from modelmon import check_job  # the kubernetes client only where it is needed

    namespace, _, name = target.partition("/")
    if not namespace or not name:
        raise DataError(f"--monitor {target!r}: write NAMESPACE/NAME")
    try:
        spec = check_job.read_spec(namespace=namespace, name=name)
    except check_job.MonitorCheckError as error:
        if "invalid spec" in str(error):
            raise DataError(str(error)) from error
        raise MonitorUnavailable(str(error)) from error
    report, performance, sketches = check_job.check_data(spec, namespace=namespace, sketch=True)
    return check_command.Checked(
        config=check_job.config_of(spec), report=report, performance=performance, sketches=sketches
    )
