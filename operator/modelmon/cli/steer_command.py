"""``modelmon check-now|ack|promote|abort|retry|undo``: steer monitors and RetrainingJobs by annotation.

Each command reads the object, refuses in one line when the action would do nothing in its current
phase (cli/steering.py), and otherwise sets the annotation the operator acts on (and removes): the
CLI needs no more rights than ``kubectl annotate``, and a person with kubectl alone can do the same.

==========  ================  =============================================  ==========================
command     object            annotation                                     the operator
==========  ================  =============================================  ==========================
check-now   ModelMonitor      modelmon.io/check-now=<unix time>              starts a check Job now
ack         ModelMonitor      modelmon.io/ack=<id>[,<id>...] (merged)        stops re-notifying them
promote     RetrainingJob     modelmon.io/promote (--full: promote-full)     skips a pause/analysis
abort       RetrainingJob     modelmon.io/abort                              rolls back
retry       RetrainingJob     modelmon.io/retry                              reruns / restarts
undo        ModelMonitor      modelmon.io/undo=<unix time>                   back to the previous model
==========  ================  =============================================  ==========================
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from modelmon.cli import cluster, exit_codes, steering

CHECK_NOW = "modelmon.io/check-now"  # controller/reconcile.py reads it (imported there with kopf)
ACK = "modelmon.io/ack"  # policies/alert_state.py reads it
UNDO = "modelmon.io/undo"
# api/rollout.py's manual annotations (not imported: see cli/cluster.py on the API's import cost).
PROMOTE, PROMOTE_FULL, ABORT, RETRY = (
    "modelmon.io/promote",
    "modelmon.io/promote-full",
    "modelmon.io/abort",
    "modelmon.io/retry",
)


def register(commands: Any) -> None:
    specs = [
        ("check-now", "start a drift check of a monitor now", "MONITOR"),
        ("ack", "acknowledge a monitor's alerts (stop re-notifying until they escalate)", "MONITOR"),
        ("promote", "promote a RetrainingJob's rollout: the next step, or all of it with --full", "RETRAININGJOB"),
        ("abort", "abort a RetrainingJob's rollout: roll back to the current model", "RETRAININGJOB"),
        ("retry", "rerun an inconclusive analysis, or restart a rolled-back or failed rollout", "RETRAININGJOB"),
        ("undo", "put a monitor's previous active model back", "MONITOR"),
    ]
    for verb, help_text, target in specs:
        parser = commands.add_parser(verb, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        parser.add_argument("name", metavar=target)
        if verb == "ack":
            parser.add_argument(
                "ids",
                nargs="+",
                metavar="ALERT_ID",
                help="ids from `kubectl modelmon get mm NAME -o yaml` (status.alerts[].id)",
            )
        if verb == "promote":
            parser.add_argument("--full", action="store_true", help="skip every remaining step and analysis")
        cluster.add_options(parser, suppress=True)
        parser.set_defaults(handler=run, verb=verb)


def run(args: argparse.Namespace) -> int:
    session = cluster.Cluster.connect(args)
    where = f"{session.namespace}/{args.name}"
    if args.verb in ("promote", "abort", "retry"):
        action = "promote-full" if args.verb == "promote" and args.full else args.verb
        body = session.get(cluster.RETRAINING_JOBS, args.name)
        why = steering.refusal(action, body)
        if why:
            raise cluster.CliError(exit_codes.REFUSED, f"{why}; nothing changed")
        key = {"promote": PROMOTE, "promote-full": PROMOTE_FULL, "abort": ABORT, "retry": RETRY}[action]
        session.annotate(cluster.RETRAINING_JOBS, args.name, {key: "true"})
        print(f"{key}=true set on RetrainingJob {where}; the operator acts on it at its next tick")
        return exit_codes.OK
    body = session.get(cluster.MONITORS, args.name)
    if args.verb == "ack":
        current = ((body.get("metadata") or {}).get("annotations") or {}).get(ACK)
        value, unknown = steering.acknowledgement(current, args.ids, (body.get("status") or {}).get("alerts") or [])
        if unknown:
            firing = [a.get("id") for a in (body.get("status") or {}).get("alerts") or [] if a.get("state") == "firing"]
            raise cluster.CliError(
                exit_codes.REFUSED,
                f"ModelMonitor {where} has no firing alert {', '.join(unknown)}"
                f" (firing: {', '.join(firing) or 'none'}); nothing changed",
            )
        session.annotate(cluster.MONITORS, args.name, {ACK: value})
        print(f"{ACK}={value} set on ModelMonitor {where}; its alerts stay silent until they escalate")
        return exit_codes.OK
    if args.verb == "undo":
        # The operator's own rules (policies/undo.py), so the CLI refuses exactly what it would ignore.
        from modelmon.policies import undo

        decision = undo.plan_undo(token="cli", status=body.get("status"), active=[], rollout_problem=None)
        if not decision.create:
            raise cluster.CliError(exit_codes.REFUSED, f"ModelMonitor {where}: {decision.why}; nothing changed")
    key = CHECK_NOW if args.verb == "check-now" else UNDO
    # A fresh value each time: the annotation's change is the event, and the operator removes it.
    session.annotate(cluster.MONITORS, args.name, {key: str(int(time.time()))})
    print(f"{key} set on ModelMonitor {where}; the operator acts on it at once")
    return exit_codes.OK
