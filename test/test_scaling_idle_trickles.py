"""Trickles of short jobs on the real synthesized construct keep one task up.

Before the idle alarm read SQS's activity sums, these workloads (6 hours, seed 0) started 30+
tasks and every few messages waited about three minutes for a wake.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import Result, WorkItem, simulate
from sqs_scale_to_zero.simulate.workload import poisson, steady

TRICKLES: dict[str, list[WorkItem]] = {
    "5 s every 2 min": steady(interval_seconds=120, hours=6, work_seconds=5, cpu_percent=20),
    "2 s every 90 s": steady(interval_seconds=90, hours=6, work_seconds=2, cpu_percent=20),
    "Poisson 1/min, 3 s": poisson(
        rate_per_minute=1, hours=6, work_seconds=3, cpu_percent=20, seed=0
    ),
}


@pytest.fixture(scope="module")
def trickled(ours_template: Path, ours_signal_template: Path) -> dict[tuple[str, str], Result]:
    results = {}
    for name, items in TRICKLES.items():
        sqs_mode, signal_mode = simulate([ours_template, ours_signal_template], items, seed=0)
        results[(name, "sqs")] = sqs_mode
        results[(name, "signal")] = signal_mode
    return results


@pytest.mark.parametrize("mode", ["sqs", "signal"])
@pytest.mark.parametrize("name", ["5 s every 2 min", "2 s every 90 s"])
def test_a_steady_trickle_keeps_one_task_and_never_waits(
    trickled: dict[tuple[str, str], Result], name: str, mode: str
) -> None:
    result = trickled[(name, mode)]
    assert result.processed == len(TRICKLES[name])
    assert result.interrupted == 0
    # The deploy-time task stays up: no gap between messages reaches idle_timeout.
    assert result.task_launches == 1
    assert result.wait_seconds()["max"] == 0


@pytest.mark.parametrize("mode", ["sqs", "signal"])
def test_a_poisson_trickle_does_not_flap(
    trickled: dict[tuple[str, str], Result], mode: str
) -> None:
    result = trickled[("Poisson 1/min, 3 s", mode)]
    assert result.processed == len(TRICKLES["Poisson 1/min, 3 s"])
    assert result.interrupted == 0
    # About one 5-minute gap per 150 messages is a real idle period: a wake after each is
    # allowed, a wake every few messages (the old 30+ launches) is not.
    assert result.task_launches <= 4
    # A message may queue a few seconds behind a busy 3 s job; none waits minutes for a wake
    # (before: p95 about 2.7 minutes).
    assert result.wait_seconds()["p95"] < 10
