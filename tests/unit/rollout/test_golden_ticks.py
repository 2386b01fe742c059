"""The typed planner writes the status patches the dict-based one wrote (#16).

``golden_ticks.json.gz`` holds every tick the rollout unit tests planned with the planner of
fc69f2f, when status.rollout was a dict from end to end: the spec, the stored status.rollout (as
JSON, the way the API server hands it back), what was observed, the clock, and what came out: the
RetrainingJob status patch, the Events, the actions, the annotations consumed, the outcome, the
measurements and the due analysis. Each tick is replayed here through the typed path the
controller now takes (the RetrainingJob's status parsed once, plan on its RolloutStatus, serialise once
in completion.status_patch)
and must give the same patch, value for value (JSON key order aside, which a merge patch ignores),
and the same everything else.
"""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import json
import pathlib
from typing import Any

import pytest

from modelmon import timestamps
from modelmon.api.retraining import RetrainingJobStatus
from modelmon.api.rollout import RolloutSpec, RolloutStatus
from modelmon.rollout import completion, machine
from modelmon.rollout.analysis import RawMeasurement
from modelmon.rollout.observations import DeploymentState, Observed

GOLDEN = json.loads(gzip.decompress((pathlib.Path(__file__).parent / "golden_ticks.json.gz").read_bytes()))
SPECS = [RolloutSpec.model_validate(raw) for raw in GOLDEN["specs"]]


def _observed(raw: dict[str, Any]) -> Observed:
    def deployment(d: dict[str, Any] | None) -> DeploymentState | None:
        return DeploymentState(**d) if d is not None else None

    return Observed(
        target=deployment(raw["target"]),
        track=deployment(raw["track"]),
        container_error=raw["container_error"],
        selectors=raw["selectors"],
        annotations=frozenset(raw["annotations"]),
        measurements=tuple(RawMeasurement(**m) for m in raw["measurements"]),
        model=raw["model"],
    )


def _action(action: Any) -> dict[str, Any]:
    out = dataclasses.asdict(action)
    out["kind"] = type(action).__name__
    for key in ("values", "selector"):
        if key in out:
            out[key] = dict(out[key])
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_the_recording_covers_both_strategies_and_every_ending():
    ticks = GOLDEN["ticks"]
    assert len(ticks) > 150
    assert {"canary", "blueGreen"} <= {(t["state"] or {}).get("strategy") for t in ticks}
    assert {"Succeeded", "RolledBack", "Failed"} <= {t["patch"].get("phase") for t in ticks}
    assert any(t["due"] for t in ticks) and any(t["measurements"] for t in ticks)


def test_every_recorded_status_reads_and_writes_back_unchanged():
    """What the operator stored parses into RolloutStatus and serialises back to the same JSON, so
    nothing is added (a default) or lost (a field the model does not know) by going through it."""
    stored = [t["state"] for t in GOLDEN["ticks"] if t["state"]]
    assert len(stored) > 120
    for state in stored:
        assert _canonical(RolloutStatus.model_validate(state).wire()) == _canonical(state)


@pytest.mark.parametrize("index", range(len(GOLDEN["ticks"])))
def test_a_recorded_tick_gives_the_same_patch(index):
    tick = GOLDEN["ticks"][index]
    spec, now = SPECS[tick["spec"]], datetime.datetime.fromisoformat(tick["now"])
    stored = tick["state"]
    state = RolloutStatus.model_validate(stored) if stored else None
    status = RetrainingJobStatus.model_validate(
        {"phase": "RollingOut", "rollout": stored} if stored else {"phase": "RollingOut"}
    )

    due = machine.due_analysis(spec=spec, state=state, now=now)
    plan = machine.plan(spec=spec, state=state, observed=_observed(tick["observed"]), now=now, name=tick["name"])
    patch = completion.status_patch(status, plan, generation=1, now=timestamps.format_time(now))

    assert patch == tick["patch"]
    assert _canonical(patch) == _canonical(tick["patch"]), "the same JSON, key order aside"
    assert (list(due) if due else None) == tick["due"]
    assert [dataclasses.asdict(e) for e in plan.events] == tick["events"]
    assert [_action(a) for a in plan.actions] == tick["actions"]
    assert plan.consume == tick["consume"] and plan.restarted == tick["restarted"]
    assert (dataclasses.asdict(plan.outcome) if plan.outcome else None) == tick["outcome"]
    assert [m.wire() for m in plan.measurements] == tick["measurements"]
    if state is not None:
        assert RolloutStatus.model_validate(stored) == state, "the stored status is left as it was"
