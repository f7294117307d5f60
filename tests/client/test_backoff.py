"""Reconnection delays grow exponentially, stay under the cap and are jittered."""

import pytest

from stockwatch.backoff import backoff_delay


@pytest.mark.parametrize(
    "attempt, low, high", [(0, 0.25, 0.5), (1, 0.5, 1), (3, 2, 4), (9, 15, 30)]
)
def test_delay_lies_in_the_upper_half_of_the_capped_ceiling(attempt, low, high):
    assert backoff_delay(attempt, base=0.5, cap=30, rand=lambda: 0) == low
    assert backoff_delay(attempt, base=0.5, cap=30, rand=lambda: 1) == high


def test_delay_never_exceeds_the_cap_however_many_attempts():
    assert backoff_delay(10_000, base=0.5, cap=30, rand=lambda: 1) == 30


def test_clients_that_dropped_together_do_not_return_together():
    delays = {backoff_delay(4, base=0.5, cap=30) for _ in range(50)}
    assert len(delays) > 40
    assert all(4 <= delay <= 8 for delay in delays)
