"""``modelmon collect``: receive KServe inference-logger CloudEvents, write hourly-partitioned Parquet."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

import pydantic

from modelmon.collector import server, stores
from modelmon.collector.settings import CollectorSettings

EXIT_OK, EXIT_UNWRITTEN, EXIT_USAGE = 0, 1, 2

EPILOG = """\
Point an InferenceService's logger at it (spec.predictor.logger: {mode: all, url: http://HOST:PORT/}).
Rows land in STORE/<namespace>/<inferenceservice>/<component>/date=YYYY-MM-DD/hour=HH/part-*.parquet
with the columns id, timestamp, the features and the predictions (docs/kserve.md).

Every flag can also be set as MODELMON_COLLECTOR_<FLAG> (e.g. MODELMON_COLLECTOR_STORE); flags win.

exit status:
  0  stopped by SIGTERM/SIGINT with every acknowledged event written
  1  stopped, but the store stayed down and some acknowledged events could not be written
  2  usage error (a setting out of range, no store, a store URI that cannot be used)
"""

# flag -> settings field; each flag's default is None, so only what is given overrides the environment.
_FLAGS = {
    "--store": ("store", str, "a directory (a mounted volume) or s3://BUCKET/PREFIX"),
    "--host": ("host", str, "address to listen on (default 0.0.0.0)"),
    "--port": ("port", int, "port of the events endpoint, /healthz, /readyz and /metrics (default 8080)"),
    "--max-buffered-events": ("max_buffered_events", int, "events held in memory at most; 503 beyond (default 50000)"),
    "--max-buffered-bytes": (
        "max_buffered_bytes",
        int,
        "payload bytes held in memory at most (a batch of many instances is one event); 503 beyond (default 64 MiB)",
    ),
    "--flush-rows": ("flush_rows", int, "write as soon as this many rows are ready (default 10000)"),
    "--flush-interval": (
        "flush_interval_seconds",
        float,
        "seconds: write what is ready at least this often (default 60)",
    ),
    "--pair-timeout": (
        "pair_timeout_seconds",
        float,
        "seconds a request waits for its response (default 30); then it is written with null predictions",
    ),
    "--max-event-bytes": ("max_event_bytes", int, "largest event accepted (default 4 MiB)"),
    "--shutdown-timeout": (
        "shutdown_seconds",
        float,
        "seconds to keep retrying the last write on SIGTERM (default 25)",
    ),
    "--wal-dir": (
        "wal_dir",
        str,
        "record each event in a write-ahead log in this directory before acknowledging it, and replay it at "
        "start: a killed collector loses nothing it acknowledged (default: none)",
    ),
    "--writer": ("writer", str, "part of every file name (default: the host name, i.e. the pod's name)"),
}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "collect",
        help="receive KServe inference-logger CloudEvents and write them as partitioned Parquet",
        description="Receive KServe inference-logger CloudEvents (binary or structured mode), pair each request "
        "with its response, and write hourly-partitioned Parquet to a directory or an object store.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, (_, kind, text) in _FLAGS.items():
        parser.add_argument(flag, type=kind, default=None, help=text)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    given = {field: getattr(args, flag[2:].replace("-", "_")) for flag, (field, _, _) in _FLAGS.items()}
    try:
        settings = CollectorSettings(**{field: value for field, value in given.items() if value is not None})
    except pydantic.ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "settings"
        print(f"modelmon collect: error: {_flag(field)}: {problem['msg']}", file=sys.stderr)
        return EXIT_USAGE
    if not settings.store:
        print(
            "modelmon collect: error: no store: pass --store DIR or s3://BUCKET/PREFIX "
            "(or set MODELMON_COLLECTOR_STORE)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        store = stores.open_store(settings.store)
    except stores.StoreError as error:
        print(f"modelmon collect: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        return asyncio.run(server.serve(settings, store=store, announce=lambda line: print(line, flush=True)))
    except OSError as error:  # the port is taken, the address does not exist
        print(
            f"modelmon collect: error: cannot listen on {settings.host}:{settings.port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return EXIT_USAGE


def _flag(field: str) -> str:
    flag = next((flag for flag, (name, _, _) in _FLAGS.items() if name == field), None)
    return f"{flag} (MODELMON_COLLECTOR_{field.upper()})" if flag else f"MODELMON_COLLECTOR_{field.upper()}"
