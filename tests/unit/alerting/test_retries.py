"""Backoff with jitter and the per-sink hourly rate limit, by hand-computed values."""

import pytest

from modelmon.alerting.retries import DEFAULT, RetryPolicy, rate_wait, retry_delay


@pytest.mark.parametrize(("failures", "expected"), [(1, 2.0), (2, 4.0), (3, 8.0), (8, 256.0), (9, 300.0), (40, 300.0)])
def test_exponential_and_capped_at_the_middle_of_the_jitter(failures, expected):
    assert retry_delay(failures, DEFAULT, rand=0.5) == pytest.approx(expected)


def test_jitter_spans_plus_minus_its_fraction():
    assert retry_delay(3, DEFAULT, rand=0.0) == pytest.approx(8.0 * 0.8)
    assert retry_delay(3, DEFAULT, rand=0.999999) == pytest.approx(8.0 * 1.2, rel=1e-5)
    assert retry_delay(1, RetryPolicy(first_delay=0.5, factor=3, cap=10, jitter=0), rand=0.9) == 0.5
    assert retry_delay(3, RetryPolicy(first_delay=0.5, factor=3, cap=10, jitter=0), rand=0.9) == 4.5


def test_rate_wait():
    assert rate_wait([1.0, 2.0, 3.0], limit=None, now=10.0) == 0.0
    assert rate_wait([1.0, 2.0], limit=3, now=10.0) == 0.0
    # Three sent at 100, 200, 300 with a limit of 3: the next may go when the one at 100 is an hour old.
    assert rate_wait([300.0, 100.0, 200.0], limit=3, now=1000.0) == 3700.0 - 1000.0
    # With a limit of 2, the second oldest of the last hour decides.
    assert rate_wait([100.0, 200.0, 300.0], limit=2, now=1000.0) == 3800.0 - 1000.0
    # Sends older than an hour do not count.
    assert rate_wait([0.0, 100.0], limit=1, now=3650.0) == 3700.0 - 3650.0
    assert rate_wait([0.0], limit=1, now=3600.0) == 0.0
