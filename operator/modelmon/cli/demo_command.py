"""``modelmon demo``: the whole loop on an embedded Kubernetes API, no cluster needed."""

from __future__ import annotations

import argparse
import logging
from typing import Any


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
    from modelmon.demo import scenario  # kopf and the emulator load only for this command

    logging.basicConfig(level=logging.INFO if args.verbose else logging.CRITICAL, force=True)
    return scenario.run(outcome=args.outcome)
