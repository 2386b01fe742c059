"""The RetrainingJob step planner on typed status gives the steps it gave on dicts (#16).

``golden_retraining_steps.json.gz`` holds every step planned with the dict-based planner of
0d4962a: by tests/unit/policies/test_retraining_job_steps.py and by the operator in
tests/integration/test_retraining.py and test_rollout.py (there, statuses as the API server
returned them; ``finish`` also as the controller calls it when a Job cannot be created). Each is
replayed through the typed path the controller now takes (the stored status parsed once into
RetrainingJobStatus) and must give the same status patch, value for value and as JSON, the same
Job actions and the same Event.
"""

from __future__ import annotations

import gzip
import json
import pathlib
from typing import Any

import pytest

from modelmon.api.retraining import RetrainingJobSpec, RetrainingJobStatus
from modelmon.conditions import RetrainingPhase, RetrainingReason
from modelmon.policies import retraining_job
from modelmon.policies.retraining_job import JobState, Observed, Termination

GOLDEN = json.loads(gzip.decompress((pathlib.Path(__file__).parent / "golden_retraining_steps.json.gz").read_bytes()))


def _observed(raw: dict[str, Any]) -> Observed:
    job = raw["job"]
    if job is not None:
        termination = Termination(**job["termination"]) if job["termination"] else None
        job = JobState(**{**job, "termination": termination})
    return Observed(monitor=raw["monitor"], job=job, admitted=raw["admitted"], queue_note=raw["queue_note"])


def _step(step: retraining_job.Step) -> dict[str, Any]:
    return {
        "status": step.status,
        "create_job": step.create_job,
        "delete_job": step.delete_job,
        "event": list(step.event) if step.event else None,
    }


def test_the_recording_covers_every_step():
    phases = {s["step"]["status"].get("phase") for s in GOLDEN}
    assert {"Pending", "Training", "Validating", "RollingOut", "Succeeded", "Failed", "Cancelled"} <= phases
    assert any(s["call"] == "plan_step" and s["status"].get("conditions") for s in GOLDEN)


@pytest.mark.parametrize("index", range(len(GOLDEN)))
def test_a_recorded_step_is_planned_the_same(index):
    recorded = GOLDEN[index]
    status = RetrainingJobStatus.model_validate(recorded["status"])
    if recorded["call"] == "plan_step":
        spec = RetrainingJobSpec.model_validate(recorded["spec"]) if recorded["spec"] is not None else None
        step = retraining_job.plan_step(
            spec=spec,
            spec_error=recorded["spec_error"],
            status=status,
            generation=recorded["generation"],
            job_name=recorded["job_name"],
            observed=_observed(recorded["observed"]),
            now=recorded["now"],
        )
    else:
        args = dict(recorded["args"])
        args.update(phase=RetrainingPhase(args["phase"]), reason=RetrainingReason(args["reason"]))
        step = retraining_job.finish(status, **args)
    assert _step(step) == recorded["step"]
    assert json.dumps(_step(step)["status"], sort_keys=True) == json.dumps(recorded["step"]["status"], sort_keys=True)
