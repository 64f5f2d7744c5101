"""The anchors' failure modes (a job killed at 0 % CPU, no wake for a few messages) appear on
their templates and not on ours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate import Result, SimulationConfig, WorkItem, load_service, simulate
from sqs_scale_to_zero.simulate.workload import burst, daily_curve, idle_then_one, poisson


@pytest.fixture(scope="module")
def long_job_at_zero_cpu(
    anchor_templates: dict[str, Path], ours_template: Path
) -> dict[str, Result]:
    """One 45-minute job at ~0 % CPU (e.g. waiting on an external API)."""
    results = simulate(
        [anchor_templates["SeedBlog"], ours_template],
        [WorkItem(600.0, 2700.0, 0.0)],
        seed=1,
    )
    return dict(zip(["seed", "ours"], results, strict=True))


def test_seed_blog_cpu_alarm_kills_a_long_job_at_zero_cpu(
    long_job_at_zero_cpu: dict[str, Result],
) -> None:
    seed = long_job_at_zero_cpu["seed"]
    assert seed.interrupted >= 1 and seed.processed == 0 and seed.unprocessed == 1


def test_ours_finishes_the_long_job_at_zero_cpu(
    long_job_at_zero_cpu: dict[str, Result],
) -> None:
    ours = long_job_at_zero_cpu["ours"]
    assert (ours.processed, ours.interrupted, ours.unprocessed) == (1, 0, 0)


@pytest.fixture(scope="module")
def a_few_messages_later(
    anchor_templates: dict[str, Path], ours_template: Path
) -> dict[str, Result]:
    """Five messages two hours after deployment: QPFS's 5-minute idle alarm has scaled it to 0."""
    items = [WorkItem(7200.0 + 30 * i, 20.0, 60.0) for i in range(5)]
    results = simulate([anchor_templates["QpfsDefaults"], ours_template], items, seed=1)
    return dict(zip(["qpfs", "ours"], results, strict=True))


def test_qpfs_defaults_with_min_zero_never_process_a_few_messages(
    a_few_messages_later: dict[str, Result],
) -> None:
    qpfs = a_few_messages_later["qpfs"]
    assert (qpfs.processed, qpfs.unprocessed) == (0, 5)


def test_ours_wakes_for_a_few_messages(a_few_messages_later: dict[str, Result]) -> None:
    ours = a_few_messages_later["ours"]
    assert (ours.processed, ours.unprocessed, ours.interrupted) == (5, 0, 0)
    assert ours.wait_seconds()["max"] < 300


def test_burst_scales_out(anchor_templates: dict[str, Path], ours_template: Path) -> None:
    items = burst(count=300, at=600.0, spread_seconds=30.0, work_seconds=20.0, cpu_percent=80.0)
    ours, always_on = simulate([ours_template, anchor_templates["AlwaysOn"]], items, seed=1)
    assert ours.max_tasks == 4 and always_on.max_tasks == 1
    assert ours.processed == 300 and ours.interrupted == 0
    assert ours.wait_seconds()["p95"] < always_on.wait_seconds()["p95"] / 1.5


def test_quiet_day_costs_the_minutes_worked_plus_the_idle_tail(
    anchor_templates: dict[str, Path], ours_template: Path
) -> None:
    items = poisson(rate_per_minute=20 / 1440, hours=24, work_seconds=120, cpu_percent=5, seed=7)
    ours, always_on = simulate(
        [ours_template, anchor_templates["AlwaysOn"]], items, seed=1, horizon=24 * 3600
    )
    busy_hours = ours.task_hours - ours.idle_task_hours
    assert ours.processed == len(items) and ours.interrupted == 0
    # every task lives for its start, its work and an idle tail of ~5 alarm minutes + delays
    assert ours.task_hours <= busy_hours + ours.task_launches * 12 / 60
    assert always_on.idle_task_hours > 23
    assert ours.task_hours < always_on.task_hours / 2


def test_one_message_after_a_long_idle_waits_for_the_inactive_queue_to_publish(
    ours_on_alarm_template: Path,
) -> None:
    """Without the wake function (``Wake.ON_ALARM``) nothing keeps the queue active."""
    template = ours_on_alarm_template
    waits = [
        simulate([template], idle_then_one(idle_hours=8.0), seed=s)[0].wait_seconds()["max"]
        for s in range(4)
    ]
    (recent,) = simulate([template], [WorkItem(3600.0, 60.0, 50.0)], seed=0)
    assert all(w > 0 for w in waits)
    assert max(waits) > recent.wait_seconds()["max"] + 120  # up to 15 min of missing metrics
    assert max(waits) < 15 * 60 + 300


# --- the fresh backlog signal (backlog_signal=True) --------------------------------------------

SIGNAL_SEEDS = range(5)


def signal_wake_bound(template: Path) -> float:
    """Longest wake from zero the model allows with the signal, derived from the template.

    A message just missed by a run waits one poller period for the next run, whose datapoint is
    visible ``poll_publish_seconds`` later; the scale-out alarm acts at the next evaluation, at
    most one alarm period after that; the task then starts within ``start_latency.high``.
    """
    model = load_service(template)
    config = SimulationConfig()
    (poller,) = model.pollers
    scale_out_period = max(a.period for a in model.alarms if a.comparison.startswith("Greater"))
    return (
        poller.period + config.poll_publish_seconds + scale_out_period + config.start_latency.high
    )


@pytest.mark.parametrize("woken", ["ours_signal_template", "ours_template"])
def test_the_wake_function_wakes_within_the_model_bound_after_8_idle_hours(
    woken: str, ours_signal_template: Path, ours_on_alarm_template: Path, request: Any
) -> None:
    """The fresh signal and the default fast wake alike; ``Wake.ON_ALARM`` waits longer."""
    template: Path = request.getfixturevalue(woken)
    bound = signal_wake_bound(ours_signal_template)
    assert bound <= 4.5 * 60
    items = idle_then_one(idle_hours=8.0)
    signal, sqs_metrics = [], []
    for seed in SIGNAL_SEEDS:
        sqs_result, signal_result = simulate([ours_on_alarm_template, template], items, seed=seed)
        assert signal_result.processed == 1 and sqs_result.processed == 1
        signal.append(signal_result.waits[0])
        sqs_metrics.append(sqs_result.waits[0])
    assert max(signal) <= bound
    assert max(sqs_metrics) > bound  # the inactive queue's missing SQS metrics


def test_signal_never_interrupts_work_on_a_busy_day(ours_signal_template: Path) -> None:
    items = daily_curve(days=1, peak_per_hour=240, work_seconds=30, cpu_percent=60, seed=3)
    (r,) = simulate([ours_signal_template], items, seed=1)
    assert (r.processed, r.unprocessed, r.interrupted, r.dead_lettered) == (len(items), 0, 0, 0)
    assert r.duplicate_deliveries == 0
