"""``modelmon docs``: documentation generated from the code, so it cannot drift from it.

``modelmon docs reference`` renders the configuration reference from the spec models; the
committed ``docs/reference.md`` is its output, and a unit test fails when the two differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from modelmon.api import reference

EPILOG = """\
regenerate the committed copy after changing a spec or status model:
  modelmon docs reference --output docs/reference.md
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "docs", help="print documentation generated from the code (the configuration reference)",
        description="Print documentation generated from the code.")
    topics = parser.add_subparsers(dest="topic", required=True, metavar="TOPIC")
    ref = topics.add_parser(
        "reference", help="every spec and status field: type, default, constraints, description (Markdown)",
        description="Print the configuration reference of every resource's spec and status (Markdown), "
                    "generated from the pydantic models that also generate the CRDs.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ref.add_argument("--output", type=Path, default=None, metavar="FILE",
                     help="write it to this file instead of stdout")
    ref.set_defaults(handler=run_reference)


def run_reference(args: argparse.Namespace) -> int:
    text = reference.render_markdown()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(args.output)
    return 0
