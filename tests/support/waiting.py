"""Polling, in the two shapes the tests need.

``wait_for``: until the probe returns something truthy (an exception counts as "not yet").
``eventually``: until the probe stops raising AssertionError (or another listed error) and
returns its value. Both fail with what they last saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None], *, timeout: float = 60.0, interval: float = 0.25, what: str = "condition"
) -> T:
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


def eventually(
    probe: Callable[[], T],
    *,
    timeout: float = 30.0,
    interval: float = 0.2,
    what: str,
    retry_on: tuple[type[BaseException], ...] = (AssertionError,),
) -> T:
    """Retry ``probe`` until it returns without raising one of ``retry_on``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return probe()
        except retry_on as error:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}: {error}") from None
            time.sleep(interval)
