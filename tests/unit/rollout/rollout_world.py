"""A small world for stepping the rollout machine: it applies the plan's actions the way the
Deployment controller and the API server would (at once, or held back when a test says so)."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from modelmon.api.rollout import RolloutSpec, RolloutStatus
from modelmon.rollout import machine
from modelmon.rollout.analysis import RawMeasurement
from modelmon.rollout.observations import DeleteTrack, DeploymentState, EnsureTrack, Observed, SetHandover, SetSelector

T0 = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
MODEL = {"uri": "s3://models/credit/2/model.onnx", "version": "2", "sha256": "ab" * 32}
OLD = {"env:MODEL_URI": "s3://models/credit/1/model.onnx", "env:MODEL_VERSION": "1"}


def canary_spec(steps: list[dict[str, Any]], **extra: Any) -> RolloutSpec:
    raw = {"targetRef": {"name": "credit"}, "handover": {"env": {}},
           "strategy": {"canary": {"steps": steps}},
           "analysisTemplates": [{"name": "quality", "interval": "30s", "count": 3,
                                  "metrics": [{"name": "accuracy", "min": 0.8,
                                               "prometheus": {"address": "http://prom:9090", "query": "acc"}}]}],
           "progressDeadline": "5m"}
    raw.update(extra)
    return RolloutSpec.model_validate(raw)


@dataclasses.dataclass
class World:
    spec: RolloutSpec
    replicas: int = 4
    now: datetime.datetime = T0
    state: dict[str, Any] | None = None
    target: DeploymentState | None = None
    track: DeploymentState | None = None
    selectors: dict[str, dict[str, str] | None] = dataclasses.field(default_factory=dict)
    annotations: set[str] = dataclasses.field(default_factory=set)
    ready_limit: int | None = None
    """Pods of the track that can become ready (None: all)."""
    target_stuck: bool = False
    events: list[Any] = dataclasses.field(default_factory=list)
    actions: list[Any] = dataclasses.field(default_factory=list)
    plans: list[Any] = dataclasses.field(default_factory=list)
    target_changes: int = 0

    def __post_init__(self) -> None:
        if self.target is None:
            self.target = DeploymentState(name="credit", generation=3, observed_generation=3, replicas=self.replicas,
                                          updated=self.replicas, ready=self.replicas, available=self.replicas,
                                          handover=dict(OLD))

    def observed(self, measurements: tuple[RawMeasurement, ...] = ()) -> Observed:
        return Observed(target=self.target, track=self.track, selectors=dict(self.selectors),
                        annotations=frozenset(self.annotations), measurements=measurements, model=MODEL)

    def step(self, *, seconds: float = 0, measure: dict[str, float | None] | None = None,
             errors: dict[str, str] | None = None) -> machine.Plan:
        self.now += datetime.timedelta(seconds=seconds)
        raws: list[RawMeasurement] = []
        for metric, value in (measure or {}).items():
            raws.append(RawMeasurement(metric=metric, value=value))
        for metric, error in (errors or {}).items():
            raws.append(RawMeasurement(metric=metric, error=error))
        # as the controller does: status.rollout parsed once, planned on, written back once
        status = RolloutStatus.model_validate(self.state) if self.state else None
        plan = machine.plan(spec=self.spec, state=status, observed=self.observed(tuple(raws)), now=self.now,
                            name="credit-retrain")
        self.plans.append(plan)
        self.state = plan.state.wire()
        self.events += plan.events
        self.actions += plan.actions
        for key in plan.consume:
            self.annotations.discard(key)
        for action in plan.actions:
            self.apply(action)
        return plan

    def apply(self, action: Any) -> None:
        if isinstance(action, EnsureTrack):
            ready = action.replicas if self.ready_limit is None else min(self.ready_limit, action.replicas)
            self.track = DeploymentState(name=f"credit-{action.track}", generation=1, observed_generation=1,
                                         replicas=action.replicas, updated=ready, ready=ready, available=ready,
                                         handover={})
        elif isinstance(action, DeleteTrack):
            self.track = None
        elif isinstance(action, SetHandover):
            assert self.target is not None
            handover = {**self.target.handover, **action.values}
            if handover != self.target.handover:
                self.target_changes += 1
                ready = 0 if self.target_stuck else self.target.replicas
                self.target = dataclasses.replace(self.target, handover=handover,
                                                  generation=self.target.generation + 1,
                                                  observed_generation=self.target.generation + 1,
                                                  updated=ready, ready=self.target.replicas, available=ready)
        elif isinstance(action, SetSelector):
            self.selectors[action.service] = dict(action.selector)

    def reasons(self) -> list[str]:
        return [e.reason for e in self.events]

    def run_until_final(self, *, seconds: float = 30, limit: int = 60, **measure: float | None) -> None:
        for _ in range(limit):
            if self.state and self.state["phase"] in machine.FINAL:
                return
            self.step(seconds=seconds, measure=dict(measure) if measure else None)
        raise AssertionError(f"not final after {limit} steps: {self.state}")
