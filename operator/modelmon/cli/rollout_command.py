"""``modelmon rollout status|promote|abort|retry|undo NAME``: watch and steer a RetrainingJob's rollout.

The commands only read the RetrainingJob and set its manual-control annotations; the
operator acts on them (and removes them), so the CLI needs no more rights than kubectl
annotate, and a person with kubectl alone can do the same. ``undo`` sets ``modelmon.io/undo`` on
the ModelMonitor (NAME is the monitor, or one of its RetrainingJobs): the operator rolls the
monitor's target back to its previous active model (docs/rollouts.md, Undo).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from typing import Any

from modelmon.api import rollout as api
from modelmon.api.retraining import FINISHED_PHASES
from modelmon.api.retraining_phases import RetrainingPhase as Phase
from modelmon.cli import cluster, exit_codes, steering

EXIT_OK, EXIT_NOT_FOUND, EXIT_NO_CLUSTER, EXIT_FAILED = (exit_codes.OK, exit_codes.NOT_FOUND, exit_codes.NO_CLUSTER,
                                                         exit_codes.ROLLOUT_FAILED)
_ACTIONS = {"promote": api.PROMOTE, "abort": api.ABORT, "retry": api.RETRY}


def register(commands: Any) -> None:
    parser = commands.add_parser("rollout", help="watch and steer the rollout of a RetrainingJob",
                                 description="Show or steer the canary / blue-green rollout of a RetrainingJob.",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
                                     "examples:\n  modelmon rollout status credit-retrain-1 -n ml --watch\n"
                                     "  modelmon rollout promote credit-retrain-1 -n ml          # next step\n"
                                     "  modelmon rollout promote credit-retrain-1 -n ml --full   # all the way\n"
                                     "  modelmon rollout abort credit-retrain-1 -n ml\n"
                                     "  modelmon rollout undo credit-default -n ml          # back to the previous model"))
    parser.add_argument("action", choices=["status", "promote", "abort", "retry", "undo"])
    parser.add_argument("name", help="the RetrainingJob (undo: the ModelMonitor, or one of its RetrainingJobs)")
    parser.add_argument("--full", action="store_true", help="promote: skip every remaining step and analysis")
    parser.add_argument("--watch", "-w", action="store_true", help="status: print each change until it ends")
    parser.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    cluster.add_options(parser, suppress=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """With -n and no --context/--kubeconfig: the process's client (in a pod, in the tests); else a
    connection chosen as kubectl chooses it (cli/cluster.py). Failures: one line (raised as CliError)."""
    from modelmon.k8s import client

    if getattr(args, "context", None) or getattr(args, "kubeconfig", None) or not getattr(args, "namespace", None):
        session = cluster.Cluster.connect(args)
        args.namespace = session.namespace
        with client.process_wide(session.api), session.translated(cluster.RETRAINING_JOBS, args.name):
            return _run(args)
    with cluster.Cluster.translated_for(args.namespace, cluster.RETRAINING_JOBS, args.name):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from modelmon.k8s import objects
    from modelmon.k8s import rollout as k8s

    if args.action == "undo":
        return _undo(args)
    body = objects.get_retraining_job(args.namespace, args.name)
    if body is None:
        print(f"RetrainingJob {args.namespace}/{args.name} not found", file=sys.stderr)
        return EXIT_NOT_FOUND
    if args.action != "status":
        why = steering.refusal("promote-full" if args.action == "promote" and args.full else args.action, body)
        if why:
            raise cluster.CliError(exit_codes.REFUSED, f"{why}; nothing changed")
        key = api.PROMOTE_FULL if args.action == "promote" and args.full else _ACTIONS[args.action]
        k8s.set_annotation(args.namespace, args.name, key, "true")
        print(f"{key}=true set on RetrainingJob {args.namespace}/{args.name}; the operator acts on it at its next tick")
        return EXIT_OK
    shown = ""
    while True:
        text = render(body)
        if text != shown:
            print(text, flush=True)
            shown = text
        phase = (body.get("status") or {}).get("phase")
        if not args.watch or phase in FINISHED_PHASES:
            return EXIT_FAILED if phase in (Phase.ROLLED_BACK, Phase.FAILED) else EXIT_OK
        time.sleep(args.interval)
        fresh = objects.get_retraining_job(args.namespace, args.name)
        if fresh is None:
            print("the RetrainingJob was deleted", file=sys.stderr)
            return EXIT_NOT_FOUND
        body = fresh


def _undo(args: argparse.Namespace) -> int:
    """Set ``modelmon.io/undo`` on the monitor NAME names (itself, or the monitorRef of a RetrainingJob)."""
    from modelmon.api import retraining as retraining_api
    from modelmon.k8s import objects

    monitor = objects.get_monitor(args.namespace, args.name)
    if monitor is None:
        rtj = objects.get_retraining_job(args.namespace, args.name)
        owner = (((rtj or {}).get("spec") or {}).get("monitorRef") or {}).get("name")
        monitor = objects.get_monitor(args.namespace, owner) if owner else None
    if monitor is None:
        print(f"no ModelMonitor {args.namespace}/{args.name}, nor a RetrainingJob of that name naming one",
              file=sys.stderr)
        return EXIT_NOT_FOUND
    name = monitor["metadata"]["name"]
    active = ((monitor.get("status") or {}).get("activeModel") or {}).get("version")
    previous = ((monitor.get("status") or {}).get("previousModels") or [{}])[0].get("version")
    # a fresh value each time: the same value set again would not be a new request
    token = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    objects.annotate_monitor(args.namespace, name, retraining_api.UNDO, token)
    print(f"{retraining_api.UNDO}={token} set on ModelMonitor {args.namespace}/{name} (active {active or '?'}, "
          f"previous {previous or '?'}); the operator starts the rollback and tells it in the monitor's Events")
    return EXIT_OK


def render(body: Mapping[str, Any]) -> str:
    """What a person watching a rollout wants to see, in a few lines."""
    meta, status = body["metadata"], body.get("status") or {}
    spec = (body.get("spec") or {}).get("rollout") or {}
    rollout = status.get("rollout") or {}
    model = status.get("model") or {}
    lines = [f"RetrainingJob {meta.get('namespace')}/{meta['name']}: {status.get('phase', Phase.PENDING.value)}"
             f"  model {model.get('version', '?')} -> Deployment {(spec.get('targetRef') or {}).get('name', '?')}"]
    if not rollout:
        lines.append(f"  {status.get('message') or 'no rollout yet'}")
        return "\n".join(lines)
    lines.append(f"  strategy {rollout.get('strategy')}  phase {rollout.get('phase')}  {_step(spec, rollout)}")
    if rollout.get("strategy") == "canary":
        canary, stable = rollout.get("canary") or {}, rollout.get("stable") or {}
        lines.append(f"  weight {rollout.get('weight', 0)}% asked, {rollout.get('effectiveWeight', 0)}% effective"
                     f"  (canary {canary.get('ready', 0)}/{canary.get('desired', 0)} ready,"
                     f" stable {stable.get('ready', 0)}/{stable.get('desired', 0)} ready)")
    else:
        preview = rollout.get("canary") or {}
        lines.append(f"  preview {preview.get('ready', 0)}/{preview.get('desired', 0)} ready,"
                     f" active Service on {'the new model' if rollout.get('weight') == 100 else 'the target'}")
    if rollout.get("pausedReason"):
        lines.append(f"  PAUSED ({rollout['pausedReason']}): modelmon rollout promote|retry|abort {meta['name']}")
    lines.append(f"  {rollout.get('message', '')}")
    for run in (rollout.get("analysisRuns") or [])[-3:]:
        where = f"step {run['step'] + 1}" if run.get("step") is not None else run.get("stage", "")
        lines.append(f"  analysis {run['template']} ({where}): {run['phase']}, {run.get('rounds', 0)} round(s)"
                     f" - {run.get('message', '')}")
        for entry in (run.get("measurements") or [])[-4:]:
            value = f"{entry['value']:g}" if entry.get("value") is not None else "-"
            lines.append(f"    {entry['at']}  {entry['metric']:<16} {entry['result']:<12} {value:>10}  "
                         f"{entry.get('message', '')}")
    return "\n".join(lines)


def _step(spec: Mapping[str, Any], rollout: Mapping[str, Any]) -> str:
    if rollout.get("strategy") == "canary":
        steps = ((spec.get("strategy") or {}).get("canary") or {}).get("steps") or []
        index = int(rollout.get("step") or 0)
        if index < len(steps):
            return f"step {index + 1}/{len(steps)} ({rollout.get('stage')}: {_describe(steps[index])})"
        return f"after step {len(steps)}/{len(steps)} ({rollout.get('stage')})"
    return f"stage {rollout.get('stage')}"


def _describe(step: Mapping[str, Any]) -> str:
    if "setWeight" in step:
        return f"setWeight {step['setWeight']}%"
    if "pause" in step:
        return f"pause {(step.get('pause') or {}).get('duration') or 'until promoted'}"
    return f"analysis {(step.get('analysis') or {}).get('template')}"
