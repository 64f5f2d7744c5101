"""The GPU benchmark's workloads and arithmetic: the shapes it promises, the goal lines."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from benchmarks.gpu import (
    ALWAYS_ON,
    JOB_SECONDS,
    OURS,
    SINGLE,
    SPARSE,
    Row,
    chain_parts,
    cold_start_p95,
    single_wakes,
    sparse_day,
    trickle,
    verdict,
)
from sqs_scale_to_zero.simulate.models.instances.assumptions import InstanceAssumptions
from sqs_scale_to_zero.simulate.models.tasks import StartLatency


def test_the_sparse_day_is_forty_three_minute_jobs_in_eight_bursts() -> None:
    items = sparse_day(seed=2)
    assert len(items) == 40 and {w.work_seconds for w in items} == {JOB_SECONDS}
    starts = sorted(w.at for w in items)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert sum(1 for g in gaps if g > 120.0) <= 7  # at most 8 separate bursts
    assert starts[0] >= 3600.0 and starts[-1] <= 23 * 3600.0 + 60.0


def test_the_trickle_and_the_single_wakes_fit_the_day() -> None:
    assert 20 <= len(trickle(seed=1)) <= 80
    wakes = sorted(w.at for w in single_wakes(seed=1))
    assert all(b - a >= 7200.0 - 60.0 for a, b in itertools.pairwise(wakes))


def test_the_cold_start_chain_sums_the_three_distributions() -> None:
    fixed = InstanceAssumptions(
        launch=StartLatency(100.0, 100.0, 100.0),
        image_pull=StartLatency(50.0, 50.0, 50.0),
        container_start=StartLatency(5.0, 5.0, 5.0),
    )
    assert cold_start_p95(fixed, samples=100) == 155.0


def row(workload: str, config: str, **values: Any) -> Row:
    base = Row(workload, config, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0, 0, 10)
    return replace(base, **values)


def test_the_verdict_judges_cost_interruptions_and_the_wake_on_ours() -> None:
    rows = [
        row(SPARSE, OURS, cost_per_day=2.0),
        row(SPARSE, ALWAYS_ON, cost_per_day=10.0),
        row(SINGLE, OURS, wait_p95=550.0),
    ]
    lines = verdict(rows, chain_p95=500.0)
    assert lines[0].startswith("cost vs always on: 20.0%") and lines[0].endswith("met")
    assert lines[1].endswith(": met")
    assert "+50 s" in lines[2] and lines[2].endswith(": met")
    worse = verdict([*rows[:2], row(SINGLE, OURS, wait_p95=600.0)], chain_p95=500.0)
    assert worse[2].endswith("NOT met")
    interrupted = verdict([row(SPARSE, OURS, interrupted=1), *rows[1:]], chain_p95=500.0)
    assert interrupted[1].endswith("NOT met")


def test_the_chain_parts_are_the_stage_means_and_the_rest_of_the_mean_wait() -> None:
    fixed = InstanceAssumptions(
        launch=StartLatency(100.0, 100.0, 100.0),
        image_pull=StartLatency(50.0, 50.0, 50.0),
        container_start=StartLatency(5.0, 5.0, 5.0),
    )
    line = chain_parts([row(SINGLE, OURS, wait_mean=200.0)], fixed)
    assert line == (
        "single wake, mean 200 s: launch 100 s (50%), pull 50 s (25%), start 5 s (2%), "
        "poll and the rest 45 s (22%)"
    )
