"""What the API server would refuse in a monitor's children is found before anything is sent:
a monitor name longer than a label value may be (63) is an invalid spec naming metadata.name."""

from __future__ import annotations

import pytest

from modelmon.api import monitor as api
from modelmon.controller import reconcile
from modelmon.manifests import checkjob, limits
from modelmon.settings import OperatorSettings

SPEC = {"model": {"name": "m"}, "reference": {"uri": "file:///data/r.csv"}, "current": {"uri": "file:///data/c.csv"}}


def children(name: str) -> list[dict]:
    return checkjob.build_children(
        monitor=name,
        namespace="risk",
        uid="u1",
        spec=api.parse_spec(SPEC),
        image="modelmon:1",
        pull_policy="IfNotPresent",
    )


@pytest.mark.parametrize("length", [1, 52, 63])
def test_names_up_to_63_characters_give_children_the_api_server_accepts(length):
    assert limits.plan_problems(children("m" * length), monitor="m" * length) == []


def test_a_99_character_name_is_one_line_naming_metadata_name_and_the_fix():
    name = "m" * 99
    assert limits.plan_problems(children(name), monitor=name) == [
        "metadata.name is 99 characters, but the children carry it as the value of the label modelmon.io/monitor, "
        "which Kubernetes limits to 63: recreate the ModelMonitor with a name of at most 63 characters"
    ]


def test_the_reconciler_refuses_it_as_an_invalid_spec_before_any_api_call():
    body = {"metadata": {"name": "m" * 64, "namespace": "risk", "uid": "u1"}, "spec": SPEC}
    with pytest.raises(reconcile.InvalidSpec, match=r"^metadata\.name is 64 characters"):
        reconcile.desired_children(body, reconcile.parse(body), OperatorSettings(check_image="modelmon:1"))


def test_bad_names_and_label_values_of_any_child_are_found():
    job = {"kind": "CronJob", "metadata": {"name": "x" * 53, "labels": {"team": "a b"}}}
    assert limits.plan_problems([job], monitor="credit") == [
        "the CronJob's label team='a b' is not a valid label value",
        f"CronJob name {'x' * 53!r} is not a DNS-1123 name of at most 52 characters",
    ]
