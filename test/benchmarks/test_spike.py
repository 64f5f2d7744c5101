"""The spike benchmark's arithmetic: pooling, drain over seeds, the goal's ratios and verdicts."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from benchmarks.spike import (
    BURSTS,
    DRAIN_FACTOR,
    EVERYDAY_NAMES,
    FIXED,
    JUMP,
    NEW,
    TASK_HOURS_FACTOR,
    WAIT_P50_FACTOR,
    Row,
    aggregate,
    judge,
    render,
    stack_calls,
)
from sqs_scale_to_zero.simulate import Result

BURST = next(iter(BURSTS))
QUIET = EVERYDAY_NAMES[0]


def _rows(**new: float) -> list[Row]:
    jump = Row(BURST, JUMP, 600.0, 900.0, 1200.0, 10.0, 5.0, 0.1, 0)
    fixed_quiet = Row(QUIET, FIXED, 0.0, 60.0, 86000.0, 4.0, 3.0, 0.05, 0)
    ours_burst = replace(jump, policy=NEW, drain=1200.0 * DRAIN_FACTOR, p50=600.0 * WAIT_P50_FACTOR)
    ours_quiet = replace(fixed_quiet, policy=NEW, task_hours=4.0 * TASK_HOURS_FACTOR)
    burst_changes: dict[str, Any] = {k: v for k, v in new.items() if k != "task_hours"}
    ours_burst = replace(ours_burst, **burst_changes)
    if "task_hours" in new:
        ours_quiet = replace(ours_quiet, task_hours=new["task_hours"])
    return [jump, replace(jump, policy=FIXED), ours_burst, fixed_quiet, ours_quiet]


def test_a_policy_at_every_limit_passes() -> None:
    verdicts = judge(_rows(), NEW)
    assert [v.workload for v in verdicts] == [BURST, QUIET]
    assert all(v.passes for v in verdicts)
    assert verdicts[0].ratios == pytest.approx({"drain": DRAIN_FACTOR, "wait p50": WAIT_P50_FACTOR})
    assert "Overall, new default: PASS" in render(_rows(), 3, markdown=False)


@pytest.mark.parametrize(
    "change",
    [
        {"drain": 1200.0 * DRAIN_FACTOR + 1},
        {"p50": 600.0 * WAIT_P50_FACTOR + 1},
        {"drain": math.inf},
        {"interrupted": 1},
        {"task_hours": 4.0 * TASK_HOURS_FACTOR + 0.01},
    ],
)
def test_each_criterion_can_fail_the_policy(change: dict[str, float]) -> None:
    rows = _rows(**change)
    assert not all(v.passes for v in judge(rows, NEW))
    assert "Overall, new default: FAIL" in render(rows, 3, markdown=True)


def test_drain_is_the_mean_over_seeds_and_never_when_a_run_left_messages() -> None:
    def result(drain: float | None, waits: list[float]) -> Result:
        r = Result("t", "s", messages=len(waits), processed=len(waits), drain_seconds=drain)
        r.waits = waits
        return r

    row = aggregate(BURST, NEW, [result(100.0, [1.0, 3.0]), result(300.0, [5.0])])
    assert (row.drain, row.p50) == (200.0, 3.0)
    assert math.isinf(aggregate(BURST, NEW, [result(100.0, [1.0]), result(None, [])]).drain)


def test_every_policy_and_swept_value_is_synthesized_at_both_capacities() -> None:
    calls = stack_calls([1, 10])
    for stack in ("New", "Fixed", "Jump", "Qpfs", "Mpt1", "Mpt10"):
        assert {f"{stack}Burst", f"{stack}Everyday"} <= calls.keys()
    assert "max_capacity=50" in calls["JumpBurst"] and "change=50" in calls["JumpBurst"]
    assert "max_capacity" not in calls["NewEveryday"]
    assert "messages_per_task=10" in calls["Mpt10Burst"]
