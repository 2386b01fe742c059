"""``modelmon crds``: print the CustomResourceDefinitions generated from the spec models.

The committed ``crds/modelmonitors.yaml`` is this command's output; a unit test fails when
the two differ, so the models stay the one source of truth for the schema.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from modelmon.api import crds

EPILOG = """\
regenerate the committed copy after changing a spec or status model:
  modelmon crds > crds/modelmonitors.yaml
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "crds", help="print the CRD YAML generated from the spec and status models",
        description="Print the CustomResourceDefinitions (YAML, ---separated) generated from the spec "
                    "and status models.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(crds.render_yaml(crds.all_crds()))
    return 0
