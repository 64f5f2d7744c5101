"""Fargate tasks: which ones scale-in stops, and how long they take to start."""

from __future__ import annotations

import random

import pytest

from sqs_scale_to_zero.simulate.models.tasks import (
    StartLatency,
    Task,
    TaskState,
    choose_tasks_to_stop,
)


def test_scale_in_never_picks_protected_tasks_and_prefers_starting_ones() -> None:
    rng = random.Random(0)
    tasks = [Task(i, float(i)) for i in range(4)]
    for t in tasks[:3]:
        t.state = TaskState.RUNNING
    tasks[0].protected = True
    assert tasks[3].state is TaskState.PROVISIONING
    chosen = choose_tasks_to_stop(tasks, 2, rng)
    assert chosen[0] is tasks[3] and tasks[0] not in chosen
    assert tasks[0] not in choose_tasks_to_stop(tasks, 4, rng)


def test_start_latency_stays_within_bounds() -> None:
    rng = random.Random(1)
    draws = [StartLatency(10, 20, 60).sample(rng) for _ in range(500)]
    assert min(draws) >= 10 and max(draws) <= 60 and 20 < sum(draws) / 500 < 40


def test_start_latency_quantiles_invert_the_triangular_distribution() -> None:
    latency = StartLatency(25, 40, 120)
    assert (latency.quantile(0.0), latency.quantile(1.0)) == (25, 120)
    assert latency.quantile((40 - 25) / (120 - 25)) == pytest.approx(40)
    rng = random.Random(3)
    draws = sorted(latency.sample(rng) for _ in range(4000))
    assert latency.quantile(0.95) == pytest.approx(draws[3800], abs=2.0)
    assert StartLatency(30, 30, 30).quantile(0.95) == 30
