"""`modelmon demo` end to end: the story a newcomer sees must really happen."""

from __future__ import annotations

import io
import re

from modelmon.cli import main
from modelmon_kits.demo import scenario


def run_demo(outcome: str) -> tuple[int, str]:
    out = io.StringIO()
    code = scenario.run(outcome=outcome, out=out)
    return code, out.getvalue()


def test_demo_shows_the_whole_loop():
    code, text = run_demo("promote")
    assert code == 0, text
    # The monitor goes Healthy on stable data, then Critical on drifted data ...
    assert re.search(r"credit-risk\s+Healthy\s+0\s", text), text
    assert re.search(r"credit-risk\s+Critical\s+7\s", text), text
    # ... alerts are in status, as Events, and delivered (grouped) to the webhook sink ...
    assert re.search(r"firing\s+critical\s+drift\s+income", text)
    assert "webhook sink received one grouped notification (10 alert(s))" in text
    assert "AlertFiring" in text
    # ... and critical drift starts a RetrainingJob whose validated model is recorded.
    assert re.search(r"credit-risk-retrain-\w+\s+(Succeeded|RollingOut)\s+v2\s+drift", text), text
    assert "previous: v1" in text
    # ... which a canary rolls out: weights by replica share, analysis passes, promotion.
    assert re.search(r"credit-model-canary\s+1/1\s+canary\s+v2", text), text
    assert "effective weight 20.0% (asked 25%)" in text  # 1 canary beside 4 stable pods
    assert re.search(r"credit-risk-retrain-\w+\s+Succeeded\s+v2", text)
    assert "MODEL_URI=s3://models/credit-risk/v2 MODEL_VERSION=v2" in text
    assert "deployments now: credit-model\n" in text
    assert "done in" in text


def test_demo_rollback_leaves_the_old_model_serving():
    code, text = run_demo("rollback")
    assert code == 0, text
    assert re.search(r"credit-risk-retrain-\w+\s+RolledBack\s+v2", text), text
    assert "MODEL_URI=s3://models/credit-risk/v1 MODEL_VERSION=v1" in text
    assert "deployments now: credit-model\n" in text
    assert "rollout/credit-risk-retrain-" in text and "AnalysisFailed" in text
    # The rolled-back rollout is a warning alert, delivered to the webhook sink.
    assert re.search(r"\[warning\] firing: rollout/credit-risk-retrain-\w+/rolledback", text), text


def test_demo_command_is_registered(capsys):
    try:
        main(["demo", "--help"])
    except SystemExit as exit:
        assert exit.code == 0
    assert "--outcome" in capsys.readouterr().out
