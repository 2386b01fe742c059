"""``modelmon crds``: print the CustomResourceDefinitions generated from the spec models.

The committed ``crds/<plural>.yaml`` files are this command's output (``--output-dir``); a
unit test fails when they differ, so the models stay the one source of truth for the schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from modelmon.api import crds

EPILOG = """\
regenerate the committed copies after changing a spec or status model:
  modelmon crds --output-dir crds/
apply them all:
  modelmon crds | kubectl apply -f -
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "crds", help="print the CRD YAML generated from the spec and status models",
        description="Print the CustomResourceDefinitions (YAML, ---separated) generated from the spec "
                    "and status models.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="write one file per resource (<plural>.yaml) into this directory instead")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.output_dir is None:
        sys.stdout.write(crds.render_yaml(crds.all_crds()))
        return 0
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for resource in crds.RESOURCES:
        path = args.output_dir / crds.file_name(resource)
        path.write_text(crds.render_yaml([crds.build_crd(resource)]))
        print(path)
    return 0
