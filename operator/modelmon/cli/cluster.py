"""The CLI's connection to a cluster: kubeconfig and context chosen as kubectl chooses them, the
namespace from that context, a request timeout, and every failure turned into one line with a fix
and its exit code (cli/exit_codes.py) instead of a traceback.

The operator's own client (k8s/client.py) is configured once per process and retries; a person at a
terminal wants the opposite: the context they named, no silent retries, and an answer within
``--timeout``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import kubernetes
import urllib3

from modelmon.cli import exit_codes

DEFAULT_TIMEOUT = 30.0
# The API's names, spelled here rather than imported from modelmon.api: its pydantic models take
# most of a second to build, which every `kubectl modelmon get` would wait for
# (tests/unit/cli/test_plugin_parser.py checks they agree).
GROUP, VERSION = "modelmon.io", "v1alpha1"
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Kind:
    plural: str
    kind: str
    short: str
    aliases: tuple[str, ...]


MONITORS = Kind(
    plural="modelmonitors",
    kind="ModelMonitor",
    short="mm",
    aliases=("monitors", "monitor", "modelmonitors", "modelmonitor", "mm"),
)
RETRAINING_JOBS = Kind(
    plural="retrainingjobs",
    kind="RetrainingJob",
    short="rtj",
    aliases=("retrainingjobs", "retrainingjob", "rtj", "jobs"),
)
KINDS = (MONITORS, RETRAINING_JOBS)


def kind_named(word: str) -> Kind:
    for kind in KINDS:
        if word.lower() in kind.aliases:
            return kind
    raise CliError(exit_codes.USAGE, f"unknown kind {word!r}: use monitors (mm) or retrainingjobs (rtj)")


class CliError(Exception):
    """A failure a person can act on: the one line printed, and the exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def add_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The cluster flags. ``suppress``: on a sub-command, so a flag given after the sub-command
    overrides the one given before it, and one not given leaves the top-level value alone."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("cluster")
    group.add_argument(
        "-n", "--namespace", default=default(None), help="namespace (default: the kubeconfig context's, else 'default')"
    )
    group.add_argument("--context", default=default(None), help="kubeconfig context (default: the current one)")
    group.add_argument(
        "--kubeconfig",
        default=default(None),
        metavar="FILE",
        help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=default(None),
        metavar="SECONDS",
        help=f"per request (default {DEFAULT_TIMEOUT:g}); with -w, how long to watch (default: until ^C)",
    )


@dataclasses.dataclass
class Cluster:
    api: kubernetes.client.ApiClient
    namespace: str
    server: str
    timeout: float | None
    """Seconds; None only while watching without --timeout."""

    @classmethod
    def connect(cls, args: argparse.Namespace) -> Cluster:
        configuration = kubernetes.client.Configuration()
        explicit = getattr(args, "kubeconfig", None)
        path = explicit or os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())
        context = getattr(args, "context", None)
        namespace = getattr(args, "namespace", None)
        in_pod = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        if explicit or context or not in_pod or _any_exists(path):
            if not _any_exists(path):
                raise CliError(
                    exit_codes.NO_CLUSTER,
                    f"no kubeconfig at {path} and not inside a pod: pass --kubeconfig FILE or set KUBECONFIG",
                )
            try:
                kubernetes.config.load_kube_config(
                    config_file=path, context=context, client_configuration=configuration, persist_config=False
                )
                contexts, current = kubernetes.config.list_kube_config_contexts(config_file=path)
            except kubernetes.config.ConfigException as error:
                raise CliError(
                    exit_codes.NO_CLUSTER,
                    f"kubeconfig {path}: {_one_line(str(error))}; `kubectl config get-contexts` lists the contexts",
                ) from None
            chosen = next((c for c in contexts if c["name"] == context), current) if context else current
            namespace = namespace or (chosen or {}).get("context", {}).get("namespace")
        else:
            try:
                kubernetes.config.load_incluster_config(client_configuration=configuration)
            except kubernetes.config.ConfigException as error:
                raise CliError(
                    exit_codes.NO_CLUSTER, f"in a pod, but {_one_line(str(error))}: pass --kubeconfig FILE"
                ) from None
            if namespace is None and SERVICE_ACCOUNT_NAMESPACE.exists():
                namespace = SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
        # A person waits for the answer: fail on the first refused connection, not after urllib3's
        # three silent retries.
        configuration.retries = False
        timeout = getattr(args, "timeout", None)
        watching = bool(getattr(args, "watch", False))
        return cls(
            api=kubernetes.client.ApiClient(configuration),
            namespace=namespace or "default",
            server=configuration.host,
            timeout=timeout if timeout or watching else DEFAULT_TIMEOUT,
        )

    @property
    def objects(self) -> kubernetes.client.CustomObjectsApi:
        return kubernetes.client.CustomObjectsApi(self.api)

    def get(self, kind: Kind, name: str) -> dict[str, Any]:
        with self.translated(kind, name):
            return cast(
                dict[str, Any],
                self.objects.get_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, kind.plural, name, _request_timeout=self.timeout
                ),
            )

    def list(self, kind: Kind, *, all_namespaces: bool = False) -> dict[str, Any]:
        with self.translated(kind, None):
            if all_namespaces:
                return cast(
                    dict[str, Any],
                    self.objects.list_cluster_custom_object(GROUP, VERSION, kind.plural, _request_timeout=self.timeout),
                )
            return cast(
                dict[str, Any],
                self.objects.list_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, kind.plural, _request_timeout=self.timeout
                ),
            )

    def annotate(self, kind: Kind, name: str, annotations: dict[str, str | None]) -> None:
        """A merge patch of metadata.annotations (None removes one): what `kubectl annotate` sends."""
        with self.translated(kind, name):
            self.objects.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                self.namespace,
                kind.plural,
                name,
                {"metadata": {"annotations": annotations}},
                _request_timeout=self.timeout,
            )

    def watch(self, kind: Kind, *, all_namespaces: bool, resource_version: str | None) -> Iterator[dict[str, Any]]:
        """Events (type, object) until --timeout, if one was given."""
        extra: dict[str, Any] = {"resource_version": resource_version} if resource_version else {}
        if self.timeout:
            extra["timeout_seconds"] = max(1, round(self.timeout))
        watcher = kubernetes.watch.Watch()
        with self.translated(kind, None):
            if all_namespaces:
                stream = watcher.stream(self.objects.list_cluster_custom_object, GROUP, VERSION, kind.plural, **extra)
            else:
                stream = watcher.stream(
                    self.objects.list_namespaced_custom_object, GROUP, VERSION, self.namespace, kind.plural, **extra
                )
            yield from stream

    def translated(self, kind: Kind, name: str | None) -> contextlib.AbstractContextManager[None]:
        return translating(kind=kind, name=name, namespace=self.namespace, server=self.server, timeout=self.timeout)

    @staticmethod
    def translated_for(namespace: str, kind: Kind, name: str | None) -> contextlib.AbstractContextManager[None]:
        """For calls through the process's own client (k8s/client.py), which loads its configuration lazily."""
        return translating(kind=kind, name=name, namespace=namespace, server="", timeout=None)


@contextlib.contextmanager
def translating(*, kind: Kind, name: str | None, namespace: str, server: str, timeout: float | None) -> Iterator[None]:
    """API, connection and configuration failures as CliErrors."""
    try:
        yield
    except kubernetes.client.ApiException as error:
        raise api_error(error, kind=kind, name=name, namespace=namespace) from None
    except kubernetes.config.ConfigException as error:
        raise CliError(
            exit_codes.NO_CLUSTER,
            f"no cluster configured ({_one_line(str(error))}): pass --kubeconfig FILE or set KUBECONFIG",
        ) from None
    except urllib3.exceptions.MaxRetryError as error:
        raise connection_error(error.reason, server=server, timeout=timeout) from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise connection_error(error, server=server, timeout=timeout) from None


def connection_error(error: Exception | None, *, server: str, timeout: float | None) -> CliError:
    server = server or "(the configured one)"
    # NewConnectionError is a ConnectTimeoutError to urllib3, but a refused connection is no timeout.
    if isinstance(error, urllib3.exceptions.TimeoutError) and not isinstance(
        error, urllib3.exceptions.NewConnectionError
    ):
        return CliError(
            exit_codes.TIMEOUT,
            f"the API server {server} did not answer within {timeout or DEFAULT_TIMEOUT:g}s: retry, or raise --timeout",
        )
    reason = _one_line(str(getattr(error, "reason", None) or error))
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        reason = _one_line(str(error).rsplit(": ", 1)[-1])
    return CliError(
        exit_codes.UNREACHABLE,
        f"cannot reach the API server {server} ({reason}): check --context/--kubeconfig and that the cluster is up",
    )


def api_error(error: kubernetes.client.ApiException, *, kind: Kind, name: str | None, namespace: str) -> CliError:
    body = _status_body(error)
    message = _one_line(str(body.get("message") or error.reason or ""))
    if error.status == 404:
        if name is not None and (body.get("details") or {}).get("name") == name:
            return CliError(
                exit_codes.NOT_FOUND,
                f"{kind.kind} {namespace}/{name} not found: `kubectl modelmon "
                f"list {kind.plural} -n {namespace}` lists them",
            )
        return CliError(
            exit_codes.NOT_FOUND,
            f"the cluster has no {kind.plural}.{GROUP}: install "
            "modelmon's CRDs (helm install modelmon charts/modelmon, see docs/helm.md)",
        )
    if error.status == 401:
        return CliError(
            exit_codes.FORBIDDEN,
            f"the API server rejected the credentials ({message or 'Unauthorized'}):"
            " log in again or pick another --context",
        )
    if error.status == 403:
        return CliError(
            exit_codes.FORBIDDEN,
            f"forbidden: {message}: ask a cluster admin for RBAC on {kind.plural}.{GROUP} in namespace {namespace}",
        )
    return CliError(exit_codes.API_ERROR, f"the API server answered {error.status} {error.reason}: {message}")


def _status_body(error: kubernetes.client.ApiException) -> dict[str, Any]:
    try:
        body = json.loads(error.body or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _any_exists(path: str) -> bool:
    return any(Path(p).expanduser().is_file() for p in path.split(os.pathsep) if p)


def _one_line(text: str) -> str:
    return " ".join(text.split())
