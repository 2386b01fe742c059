"""Peering priorities by seniority: distinct per replica, higher the earlier it started."""

from __future__ import annotations

import json

import pytest

from modelmon.policies.peering import TIEBREAKS, seniority_priority

NOW = 1_796_169_341_596_000_000  # epoch nanoseconds (December 2026), on a millisecond


def test_an_earlier_start_has_the_higher_priority_whatever_the_tiebreak():
    assert seniority_priority(NOW, TIEBREAKS - 1) > seniority_priority(NOW + 1_000_000, 0)


def test_replicas_started_in_the_same_millisecond_differ_by_their_tiebreak():
    same = {seniority_priority(NOW + offset, tiebreak) for offset in (0, 999_999) for tiebreak in (3, 4)}
    assert len(same) == 2


def test_priorities_survive_a_json_round_trip_through_the_peering_object():
    priority = seniority_priority(NOW, 999)
    assert abs(priority) < 2**53
    assert json.loads(json.dumps({"priority": priority}))["priority"] == priority


def test_a_tiebreak_outside_its_range_is_refused():
    with pytest.raises(ValueError, match="tiebreak"):
        seniority_priority(NOW, TIEBREAKS)
