"""``modelmon get|list KIND [NAME] [-w] [-o wide|json|yaml]``: monitors and RetrainingJobs as ``kubectl get``
shows them, with the columns that matter for drift and rollouts."""

from __future__ import annotations

import argparse
import json
from typing import Any

import yaml

from modelmon import timestamps
from modelmon.cli import cluster, exit_codes, tables


def register(commands: Any) -> None:
    for verb in ("get", "list"):
        parser = commands.add_parser(
            verb,
            help="list monitors or RetrainingJobs" if verb == "list" else "show monitors or RetrainingJobs",
            description="Show ModelMonitors (monitors, mm) or RetrainingJobs (retrainingjobs, rtj), as kubectl get does.",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog="examples:\n  kubectl modelmon get monitors\n  kubectl modelmon get mm credit -o yaml\n"
            "  kubectl modelmon list rtj -A -o wide -w",
        )
        parser.add_argument("kind", metavar="KIND", help="monitors (mm) or retrainingjobs (rtj)")
        parser.add_argument("name", nargs="?", metavar="NAME", help="one object (default: all in the namespace)")
        parser.add_argument("-o", "--output", choices=["wide", "json", "yaml"], default=None)
        parser.add_argument("-w", "--watch", action="store_true", help="after listing, print each change")
        parser.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")
        cluster.add_options(parser, suppress=True)
        parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    kind = cluster.kind_named(args.kind)
    if args.name and args.all_namespaces:
        raise cluster.CliError(exit_codes.USAGE, "a NAME and -A do not go together: name the namespace with -n")
    session = cluster.Cluster.connect(args)
    if args.name:
        items = [session.get(kind, args.name)]
        version = items[0]["metadata"].get("resourceVersion")
    else:
        listed = session.list(kind, all_namespaces=args.all_namespaces)
        items, version = listed.get("items") or [], (listed.get("metadata") or {}).get("resourceVersion")
    if args.output in ("json", "yaml"):
        document = items[0] if args.name else {"apiVersion": "v1", "kind": "List", "items": items}
        print(_dump(document, args.output))
    elif items or args.watch:
        print(
            tables.render(kind, items, now=timestamps.now(), wide=args.output == "wide", namespaces=args.all_namespaces)
        )
    else:
        where = "any namespace" if args.all_namespaces else f"namespace {session.namespace}"
        print(f"No {kind.plural} found in {where}.")
    if args.watch:
        _watch(session, kind, args, version)
    return exit_codes.OK


def _watch(session: cluster.Cluster, kind: cluster.Kind, args: argparse.Namespace, version: str | None) -> None:
    for event in session.watch(kind, all_namespaces=args.all_namespaces, resource_version=version):
        body = event["object"]
        if args.name and body.get("metadata", {}).get("name") != args.name:
            continue
        if args.output in ("json", "yaml"):
            print(_dump(body, args.output), flush=True)
        else:
            print(
                tables.render(
                    kind,
                    [body],
                    now=timestamps.now(),
                    wide=args.output == "wide",
                    namespaces=args.all_namespaces,
                    header=False,
                ),
                flush=True,
            )


def _dump(document: Any, output: str) -> str:
    if output == "json":
        return json.dumps(document, indent=2)
    return yaml.safe_dump(document, sort_keys=False).rstrip("\n")
