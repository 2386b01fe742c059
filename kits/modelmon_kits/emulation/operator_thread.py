"""The real operator (kopf and our handlers) in a thread, pointed at an emulated cluster.

kopf runs in its own thread with its own event loop: its shutdown cancels every task of
its loop, so it must not share one with a caller or with the emulator. A fresh
``kopf.OperatorRegistry`` per run keeps handlers from leaking between runs. Our handlers
use the module-level ``kubernetes`` client, which is swapped for one that reaches the
emulated cluster for the duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import kopf
import kubernetes

from modelmon.controller import handlers
from modelmon.k8s import client
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings


class ClusterConnection(Protocol):
    """What the runner needs of a cluster: the emulated one, or a real one (integration tests)."""

    def connection_info(self) -> kopf.ConnectionInfo: ...

    def api_client(self) -> kubernetes.client.ApiClient: ...


@contextlib.contextmanager
def running_operator(
    cluster: ClusterConnection,
    *,
    settings: OperatorSettings,
    metrics: OperatorMetrics | None = None,
    configure: Callable[[kopf.OperatorSettings], None] | None = None,
    ready_timeout: float = 60,
    **extra: Any,
) -> Iterator[threading.Thread]:
    """Run the operator cluster-wide until the block ends; ``configure`` tunes kopf's settings.

    ``extra`` goes to :func:`modelmon.controller.handlers.register` (e.g. a test's ``dispatch``).
    """
    registry = kopf.OperatorRegistry()
    handlers.register(registry, settings=settings, metrics=metrics or OperatorMetrics(), **extra)

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return cluster.connection_info()

    if configure is not None:

        @kopf.on.startup(registry=registry)
        def tune(settings: kopf.OperatorSettings, **_: Any) -> None:
            configure(settings)

    stop, ready = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(
                kopf.operator(registry=registry, standalone=True, clusterwide=True, stop_flag=stop, ready_flag=ready)
            )
        except BaseException as error:  # reported to the caller below
            failure.append(error)
            ready.set()

    with client.process_wide(cluster.api_client()):  # the operator's threads, not only this one
        thread = threading.Thread(target=main, name="kopf-operator", daemon=True)
        thread.start()
        if not ready.wait(ready_timeout) or failure:
            stop.set()
            raise RuntimeError(
                f"the operator did not start: {failure[0]!r}"
                if failure
                else f"the operator was not ready in {ready_timeout} s"
            )
        try:
            yield thread
        finally:
            stop.set()
            thread.join(30)
