"""``modelmon demo``: the whole loop on an embedded Kubernetes API, no cluster needed.

The demo lives in the kit (``modelmon_kits.demo``, ``kits/`` in the repository), not in the
product: the operator's image does not hold it. It is looked up by name when the command
runs, so that product code has no import of the kit (the import-linter contract holds).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Any

KIT_MODULE = "modelmon_kits.demo.scenario"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo", help="run the whole loop on an in-process Kubernetes API (no cluster needed)",
        description="Start an in-process Kubernetes API (kmock's emulator), install the CRDs, create a model "
                    "Deployment, Service and ModelMonitor on the bundled example data, run the real operator, "
                    "and show step by step what kubectl would show: health going Healthy -> Critical as "
                    "drifted data arrives, the alerts, the RetrainingJob, and the canary rollout.")
    parser.add_argument("--outcome", choices=("promote", "rollback"), default="promote",
                        help="whether the new model's canary analysis passes (promote) or fails (rollback)")
    parser.add_argument("--verbose", action="store_true", help="show the operator's log")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:  # kopf, kmock and the emulator load only for this command
        scenario = importlib.import_module(KIT_MODULE)
    except ModuleNotFoundError as missing:
        if missing.name is None or not KIT_MODULE.startswith(missing.name):
            raise
        print("modelmon demo: the demo kit is not installed; from a checkout run `make demo` "
              "(or `pip install -e kits`)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.CRITICAL, force=True)
    code: int = scenario.run(outcome=args.outcome)
    return code
