"""Running the real operator (kopf, in its own thread and loop) against a test API server."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import kopf

from modelmon.controller import handlers
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

T = TypeVar("T")


@contextlib.contextmanager
def running_operator(*, settings: OperatorSettings, metrics: OperatorMetrics) -> Iterator[None]:
    """kopf in a thread with its own loop (its shutdown cancels every task of its loop)."""
    registry = kopf.OperatorRegistry()
    handlers.register(registry, settings=settings, metrics=metrics)

    @kopf.on.login(registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        return kopf.login_with_kubeconfig(**kwargs)

    stop, ready = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(kopf.operator(registry=registry, standalone=True, clusterwide=True,
                                      stop_flag=stop, ready_flag=ready))
        except BaseException as error:  # surfaced to the test below
            failure.append(error)
            ready.set()

    thread = threading.Thread(target=main, name="kopf-operator", daemon=True)
    thread.start()
    assert ready.wait(60), "the operator did not become ready in 60 s"
    assert not failure, f"the operator failed to start: {failure[0]!r}"
    try:
        yield
    finally:
        stop.set()
        thread.join(30)


def wait_for(probe: Callable[[], T | None], *, timeout: float = 60.0, interval: float = 0.25,
             what: str = "condition") -> T:
    """Poll until ``probe`` returns something truthy; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except Exception as error:  # the object may not exist yet
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")
