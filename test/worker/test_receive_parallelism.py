"""How many receives the worker keeps in flight: one more only while one more brings messages
sooner, judged from the round trips of full receives (servers modelled by their round trips)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from sqs_scale_to_zero.worker.receive_parallelism import (
    FIRST_RETRY_AFTER,
    LAST_RETRY_AFTER,
    SAMPLES,
    ReceiveParallelism,
)

RoundTrip = Callable[[int], float]


def side_by_side(in_flight: int) -> float:
    """SQS: receives are answered side by side, in 20 ms however many are in flight."""
    return 0.020


def one_at_a_time(in_flight: int) -> float:
    """A server that answers one request at a time: 100 ms of work each, queued."""
    return 0.100 * in_flight


def far_and_one_at_a_time(in_flight: int) -> float:
    """30 ms there and back, 10 ms of work each, one at a time: the way overlaps, the work not."""
    return 0.030 + 0.010 * in_flight


def drive(parallelism: ReceiveParallelism, round_trip: RoundTrip, receives: int) -> list[int]:
    """Run ``receives`` full receives, each sent with ``allowed`` in flight; the allowed after each."""
    seen = []
    for _ in range(receives):
        level = parallelism.allowed
        parallelism.returned(level, round_trip(level), full=True)
        seen.append(parallelism.allowed)
    return seen


def test_it_starts_with_one_receive_in_flight() -> None:
    assert ReceiveParallelism(3).allowed == 1


def test_against_sqs_it_climbs_to_the_most_and_stays() -> None:
    parallelism = ReceiveParallelism(3)
    seen = drive(parallelism, side_by_side, 40)
    assert seen[SAMPLES - 1] == 2  # tried once the first round trips are known
    assert seen.index(3) < 3 * (SAMPLES + 1)
    assert seen[-20:] == [3] * 20


def test_against_a_server_answering_one_at_a_time_it_keeps_one() -> None:
    parallelism = ReceiveParallelism(3)
    seen = drive(parallelism, one_at_a_time, 600)
    assert max(seen) == 2 and seen[-1] == 1
    # Each try that did not pay waits twice as long as the one before, up to a bound.
    tries = [i for i in range(1, len(seen)) if seen[i] == 2 and seen[i - 1] == 1]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert gaps == sorted(gaps) and gaps[0] >= FIRST_RETRY_AFTER
    assert gaps[-1] <= LAST_RETRY_AFTER + 2 * SAMPLES + 1
    assert sum(level == 2 for level in seen) < 0.1 * len(seen)


def test_it_keeps_a_second_receive_when_the_round_trip_is_mostly_the_way_there() -> None:
    parallelism = ReceiveParallelism(3)
    drive(parallelism, far_and_one_at_a_time, 60)
    # 2 in flight: 2 batches in 50 ms against 1 in 40 ms (1.6x): kept; 3 in 60 ms is 1.25x
    # 2 in 50 ms: kept too.
    assert parallelism.allowed == 3


def test_it_finds_a_server_that_became_faster() -> None:
    parallelism = ReceiveParallelism(2)
    drive(parallelism, one_at_a_time, 50)
    assert parallelism.allowed == 1
    drive(parallelism, side_by_side, 2 * LAST_RETRY_AFTER)
    assert parallelism.allowed == 2


def test_receives_not_full_or_sent_at_another_level_are_not_counted() -> None:
    parallelism = ReceiveParallelism(3)
    for _ in range(10):
        parallelism.returned(1, 0.02, full=False)  # the queue is running dry
        parallelism.returned(2, 0.02, full=True)  # sent while two were allowed
    assert parallelism.allowed == 1
    drive(parallelism, side_by_side, SAMPLES)
    assert parallelism.allowed == 2


def test_the_first_receive_after_a_change_is_left_out_of_the_judgement() -> None:
    parallelism = ReceiveParallelism(2)
    drive(parallelism, side_by_side, SAMPLES)
    assert parallelism.allowed == 2
    parallelism.returned(2, 1.0, full=True)  # one slow receive, sent while the first was away
    drive(parallelism, side_by_side, SAMPLES)
    assert parallelism.allowed == 2


def test_one_most_keeps_one() -> None:
    parallelism = ReceiveParallelism(1)
    assert drive(parallelism, side_by_side, 20) == [1] * 20


@pytest.mark.parametrize("most", [0, -1])
def test_most_below_one_is_refused(most: int) -> None:
    with pytest.raises(ValueError, match="most must be at least 1"):
        ReceiveParallelism(most)
