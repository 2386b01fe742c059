"""What the controller observed for one tick, and what the planner asks it to do."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from modelmon.api.rollout import Measurement, RolloutPhase, RolloutStatus
from modelmon.conditions import EventType


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeploymentState:
    name: str
    generation: int = 0
    observed_generation: int = 0
    replicas: int = 0
    """spec.replicas."""
    updated: int = 0
    ready: int = 0
    available: int = 0
    current: int | None = None
    """status.replicas: pods of every ReplicaSet of it, old ones included (None: the same as ``updated``)."""
    handover: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """The hand-over values its model container carries now (see :mod:`modelmon.rollout.handover`)."""
    owned: bool = True
    """Owned by this RetrainingJob (a canary name taken by something else is not ours to change)."""

    def rolled_out(self, replicas: int | None = None) -> bool:
        """The Deployment controller has acted on the latest spec, every replica is updated and ready, and no
        pod of an older ReplicaSet is left (it would still take a share of the Service's traffic)."""
        want = self.replicas if replicas is None else replicas
        current = self.updated if self.current is None else self.current
        return (self.observed_generation >= self.generation and self.replicas == want
                and self.updated == want and self.ready == want and self.available == want and current == want)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Observed:
    target: DeploymentState | None
    """None when the target Deployment does not exist."""
    track: DeploymentState | None = None
    """The new model's Deployment (canary or preview); None when absent."""
    container_error: str | None = None
    """Why the target's model container cannot be used (named container missing), if so."""
    selectors: Mapping[str, Mapping[str, str] | None] = dataclasses.field(default_factory=dict)
    """Current selectors of the Services the strategy names (None: Service missing)."""
    annotations: frozenset[str] = frozenset()
    """Manual-control annotations present on the RetrainingJob."""
    measurements: tuple[Any, ...] = ()
    """:class:`modelmon.rollout.analysis.RawMeasurement` taken this tick for the due run."""
    model: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """status.model of the RetrainingJob: uri, version, sha256."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnsureTrack:
    """Create or scale the new model's Deployment (canary or preview)."""

    track: Literal["canary", "preview"]
    replicas: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeleteTrack:
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class SetHandover:
    """Patch only these hand-over values of the target's model container."""

    values: Mapping[str, str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SetSelector:
    """Replace a Service's selector (blue-green only)."""

    service: str
    selector: Mapping[str, str]


Action = EnsureTrack | DeleteTrack | SetHandover | SetSelector


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    type: EventType
    reason: str
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outcome:
    """The RetrainingJob's final phase when the rollout ended."""

    phase: RolloutPhase
    """Succeeded, RolledBack or Failed."""
    reason: str
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Plan:
    state: RolloutStatus
    """The new status.rollout (serialised once, by :func:`modelmon.rollout.completion.status_patch`)."""
    actions: list[Action] = dataclasses.field(default_factory=list)
    events: list[Event] = dataclasses.field(default_factory=list)
    consume: list[str] = dataclasses.field(default_factory=list)
    """Manual annotations acted on (removed from the RetrainingJob)."""
    outcome: Outcome | None = None
    measurements: list[Measurement] = dataclasses.field(default_factory=list)
    """Measurements judged this tick (for metrics)."""
    restarted: bool = False
    """A finished rollout restarted by modelmon.io/retry: the RetrainingJob is RollingOut again."""
