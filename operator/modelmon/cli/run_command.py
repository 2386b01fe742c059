"""``modelmon run``: the operator process (kopf, with this project's settings)."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import logging
import os
import random
import sys
import time
from collections.abc import Mapping
from typing import Any

import pythonjsonlogger.core
import pythonjsonlogger.json

from modelmon import timestamps


def register(commands: Any) -> None:
    parser = commands.add_parser("run", help="run the operator",
                                 description="Run the operator. Every flag also reads MODELMON_<NAME> from the environment.")
    parser.add_argument("--namespace", action="append", default=None, metavar="NS",
                        help="watch this namespace (repeatable); all namespaces when absent")
    parser.add_argument("--metrics-port", type=int, default=None, help="Prometheus /metrics port (0 disables)")
    parser.add_argument("--liveness", default=None, metavar="URL", help="kopf liveness endpoint, e.g. http://0.0.0.0:8080/healthz")
    parser.add_argument("--log-format", choices=["text", "json"], default=None)
    parser.add_argument("--peering", default=None, metavar="NAME",
                        help="kopf peering object: one active replica among several")
    parser.add_argument("--peering-priority", type=int, default=None, metavar="N",
                        help="this replica's peering priority (default: the earlier started, the higher)")
    parser.add_argument("--peering-lifetime", type=int, default=None, metavar="SECONDS",
                        help="a killed active replica's standby takes over after this long (default 60)")
    parser.set_defaults(handler=run)


def in_cluster_server(environ: Mapping[str, str], *, default: str) -> str:
    """The API server's address as client-go's InClusterConfig finds it: the ``kubernetes``
    Service from the pod's environment, so the operator needs no cluster DNS (kopf's own
    service-account login names ``kubernetes.default.svc``, which a cluster whose DNS is not up
    yet, or has none, cannot resolve). ``default`` when the variables are absent."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        return default
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a name
    return f"https://{host}:{port}"


class _JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object a line, by python-json-logger: ``time`` (UTC, to the millisecond), ``level``,
    ``logger``, ``message``, a record's own extra fields, and ``exc_info`` (the whole traceback, as
    text) when the record carries an exception: the hand-written formatter this replaces dropped it."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # kopf's extras: the object goes out as ``object`` below; its settings are not for a log.
            reserved_attrs=[*pythonjsonlogger.core.RESERVED_ATTRS, "k8s_ref", "k8s_skip", "settings"],
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return timestamps.format_epoch(record.created, milliseconds=True)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        # kopf tags its per-object records with the object: keep it, or a message such as
        # "Handler ... failed" says nothing about which monitor.
        ref = getattr(record, "k8s_ref", None)
        if isinstance(ref, dict):
            log_data["object"] = {k: ref[k] for k in ("kind", "namespace", "name") if ref.get(k)}


class _TextFormatter(logging.Formatter):
    """``2026-12-01T23:45:29.123Z INFO kopf.objects [risk/credit] message``: a log read after an
    incident needs the order and the time of each line (UTC, like every time in status)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return timestamps.format_epoch(record.created, milliseconds=True)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        ref = getattr(record, "k8s_ref", None)
        if isinstance(ref, dict) and ref.get("name"):
            where = "/".join(str(ref[k]) for k in ("namespace", "name") if ref.get(k))
            record = logging.makeLogRecord({**record.__dict__, "message": f"[{where}] {record.message}"})
        return super().formatMessage(record)


def configure_logging(log_format: str) -> None:
    """The operator's log lines on stderr: JSON objects, or text lines that start with a timestamp."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def run(args: argparse.Namespace) -> int:
    import kopf

    from modelmon.controller import handlers
    from modelmon.k8s.peering import ensure_peering_objects
    from modelmon.metrics import OperatorMetrics
    from modelmon.policies import peering
    from modelmon.settings import OperatorSettings

    overrides = {key: value for key, value in {
        "namespaces": args.namespace, "metrics_port": args.metrics_port, "liveness_endpoint": args.liveness,
        "log_format": args.log_format, "peering": args.peering, "peering_priority": args.peering_priority,
        "peering_lifetime": args.peering_lifetime}.items() if value is not None}
    settings = OperatorSettings(**overrides)
    configure_logging(settings.log_format)
    metrics = OperatorMetrics()
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)  # the status series from their cached rendering
    registry = kopf.OperatorRegistry()
    handlers.register(registry, settings=settings, metrics=metrics)

    # A bare registry has none of kopf's default login handlers: log in as our own client
    # does (in-cluster service account, else the kubeconfig), with the same credentials.
    @kopf.on.login(registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        info = kopf.login_with_service_account(**kwargs)
        if info is None:
            return kopf.login_with_kubeconfig(**kwargs)
        return dataclasses.replace(info, server=in_cluster_server(os.environ, default=info.server))

    priority = None
    if settings.peering is not None:
        priority = settings.peering_priority
        if priority is None:
            # Equal priorities make kopf pause every replica: each takes its own, by seniority.
            priority = peering.seniority_priority(time.time_ns(), random.randrange(peering.TIEBREAKS))
        lifetime = settings.peering_lifetime

        @kopf.on.startup(registry=registry)
        def join_peering(settings: kopf.OperatorSettings, **_: Any) -> None:
            settings.peering.lifetime = lifetime
            ensure_peering_objects(peering_name, namespaces)

        peering_name, namespaces = settings.peering, list(settings.namespaces)

        logging.getLogger("modelmon.peering").info("Peering in %r with priority %d (lifetime %d s).",
                                                   settings.peering, priority, lifetime)

    kopf.run(registry=registry, standalone=settings.peering is None, peering_name=settings.peering, priority=priority,
             clusterwide=not settings.namespaces, namespaces=settings.namespaces,
             liveness_endpoint=settings.liveness_endpoint)
    return 0
