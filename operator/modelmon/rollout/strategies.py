"""What a rollout strategy provides to the state machine: one interface, one module per strategy
(:mod:`~modelmon.rollout.canary`, :mod:`~modelmon.rollout.bluegreen`), as Argo Rollouts has
``canary.go`` and ``bluegreen.go``. The modules themselves implement it (their functions are
the methods); :data:`modelmon.rollout.machine.STRATEGIES` is checked against it by mypy.
"""

from __future__ import annotations

from typing import Protocol

from modelmon.rollout.ticks import Tick


class Strategy(Protocol):
    def begin(self, tick: Tick) -> None:
        """The rollout starts: enter the first step or stage."""

    def progress(self, tick: Tick) -> None:
        """Progressing or Paused: advance through the steps or stages as far as what was observed allows."""

    def promote(self, tick: Tick) -> bool:
        """``modelmon.io/promote``: skip the current pause or stage; True when the tick is over."""

    def promote_step(self, tick: Tick) -> int:
        """The step (status.rollout.step) the Promoting phase is recorded at."""

    def promoted(self, tick: Tick) -> None:
        """The target serves the new model: go on to Finalizing."""

    def finalize(self, tick: Tick) -> None:
        """Finalizing: clean up (scale-down delay, Services restored) and finish."""

    def track_replicas(self, tick: Tick) -> int | None:
        """Replicas of the new model's own Deployment for the current state; None when it must not exist."""

    def selectors(self, tick: Tick) -> dict[str, dict[str, str]]:
        """The Services' selectors for the current state (blue-green), by Service name."""
