"""Backlog sizing (``messages_per_task``) on the real synthesized construct, as simulated."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import Result, WorkItem, simulate
from sqs_scale_to_zero.simulate.workload import burst
from test.conftest import Synthesized
from test.simulate.templates import write_template


@pytest.fixture(scope="module")
def sized_template(sized_service: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """max_capacity=50, messages_per_task=10, a brought cluster: no desired-count metric."""
    return write_template(
        tmp_path_factory.mktemp("sized"), "Sized", sized_service.template.to_json()
    )


@pytest.fixture(scope="module")
def sized_insights_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """max_capacity=50, messages_per_task=10 on the construct's own cluster (Container
    Insights on, so the desired count is known), and no wake function: the alarm sizes."""
    from sqs_scale_to_zero import ScaleToZeroQueueService, Wake
    from test.conftest import TEST_IMAGE, synthesize

    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            max_capacity=50,
            messages_per_task=10,
            wake=Wake.ON_ALARM,
            container_insights=True,
        )
    )
    return write_template(
        tmp_path_factory.mktemp("sized-insights"), "SizedInsights", synth.template.to_json()
    )


def run(template: Path, items: list[WorkItem]) -> Result:
    (result,) = simulate([template], items, seed=0)
    return result


def test_a_burst_gets_the_capacity_it_needs_in_one_action(sized_insights_template: Path) -> None:
    """200 messages at 10 a task: 20 tasks, started together, not a few per cooldown (above 20
    tasks the step levels are spaced, so 20 rounds up to the next level, 22)."""
    from sqs_scale_to_zero.scaling.sizing import capacity_levels

    needed = min(level for level in capacity_levels(50) if level >= 20)
    result = run(sized_insights_template, burst(count=200, at=1800.0, work_seconds=60.0))
    assert result.processed == 200 and result.interrupted == 0
    assert result.max_tasks == needed
    assert result.wasted_starts == 0
    # The deploy-time task scaled in long before; then one action up, and back to 0.
    assert result.task_launches == 1 + needed
    assert result.scaling_activities == 3


def test_without_a_task_count_a_burst_is_sized_and_drained(sized_template: Path) -> None:
    """A brought cluster publishes no desired count: the first action still sizes the burst,
    and a backlog that outlives the cooldown is sized again on top (bounded by max_capacity)."""
    result = run(sized_template, burst(count=200, at=1800.0, work_seconds=60.0))
    assert result.processed == 200 and result.interrupted == 0
    assert 20 <= result.max_tasks <= 50


def test_a_small_backlog_does_not_overshoot(ours_template: Path, sized_template: Path) -> None:
    """Three messages at 3 a task (the default) or 10 a task: one task either way."""
    items = burst(count=3, at=1800.0, spread_seconds=5.0, work_seconds=30.0)
    for template in (ours_template, sized_template):
        result = run(template, items)
        assert (result.processed, result.max_tasks) == (3, 1)


def test_a_drained_backlog_with_work_in_flight_removes_nothing(ours_template: Path) -> None:
    """Four 20-minute jobs on the default construct (max 4 at 3 a task: two tasks): once the
    visible backlog is gone nothing removes a busy task, and no job is interrupted."""
    items = [WorkItem(1800.0 + i, 1200.0, 5.0) for i in range(4)]
    result = run(ours_template, items)
    assert result.processed == 4
    assert result.interrupted == 0
    assert result.duplicate_deliveries == 0
    assert result.max_tasks == 2


@pytest.mark.parametrize(
    ("start_seconds", "sample_second"), [(40.0, 0.0), (100.0, 30.0), (110.0, 59.0)]
)
def test_messages_that_pile_up_during_a_wake_start_one_task(
    ours_template: Path, start_seconds: float, sample_second: float
) -> None:
    """A trickle of the idle-detection benchmark on the default construct (SQS's metrics,
    Container Insights' desired count): short jobs every 40 s pile up to 4 messages while the
    service wakes from zero. At 3 a task that is above one task's share, but the counts that
    show it were taken before the task could start; sizing waits for a datapoint that shows the
    task at work, and the one task drains the pile in seconds, so no second task starts."""
    from sqs_scale_to_zero.simulate import SimulationConfig
    from sqs_scale_to_zero.simulate.models.tasks import StartLatency

    items = [WorkItem(1800.0 + 40.0 * i, 3.0, 20.0) for i in range(6)]
    config = SimulationConfig(
        start_latency=StartLatency(start_seconds, start_seconds, start_seconds),
        gauge_sample_second=sample_second,
    )
    (result,) = simulate([ours_template], items, seed=0, config=config)
    assert result.processed == len(items) and result.interrupted == 0
    # the deploy-time task (scaled in long before), then one task for the whole pile
    assert (result.task_launches, result.max_tasks, result.wasted_starts) == (2, 1, 0)
