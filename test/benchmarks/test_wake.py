"""The wake benchmark's arithmetic: pooling over seeds, the goal lines, the judged modes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.wake import (
    AFTER_SILENCE,
    GOAL_P50_SECONDS,
    GOAL_P95_SECONDS,
    SILENCE_GOAL_P50_SECONDS,
    SILENCE_GOAL_P95_SECONDS,
    Row,
    aggregate,
    render,
    stack_calls,
)
from sqs_scale_to_zero.simulate import simulate
from sqs_scale_to_zero.simulate.workload import idle_then_one


def test_waits_are_pooled_over_seeds_and_the_baseline_is_not_judged(
    ours_template: Path, ours_signal_template: Path
) -> None:
    items = idle_then_one(idle_hours=8.0)
    runs = [simulate([ours_template, ours_signal_template], items, seed=s) for s in range(3)]
    sqs_row = aggregate("idle", "on alarm", [r[0] for r in runs])
    signal_row = aggregate("idle", "fresh signal", [r[1] for r in runs])
    assert (signal_row.processed, signal_row.messages) == (3, 3)
    assert signal_row.max == max(r[1].waits[0] for r in runs)
    scaling = sorted(w for r in runs for w in r[1].scaling_waits())
    assert signal_row.scaling_p50 == scaling[1] and signal_row.scaling_p95 <= signal_row.p95
    assert sqs_row.verdict() == "-"
    passing = replace(signal_row, scaling_p50=GOAL_P50_SECONDS, scaling_p95=GOAL_P95_SECONDS)
    assert passing.verdict() == "PASS"
    text = render([sqs_row, passing], 3, markdown=True, cost_lines=["fresh signal: $1/month"])
    assert "| idle | fresh signal |" in text and "- idle, fresh signal: PASS" in text
    assert "- idle, on alarm" not in text
    assert "Overall: PASS" in text and "- fresh signal: $1/month" in text


@pytest.mark.parametrize(
    "change",
    [
        {"scaling_p50": GOAL_P50_SECONDS + 1},
        {"scaling_p95": GOAL_P95_SECONDS + 1},
        {"wasted_starts": 1},
        {"interrupted": 1},
        {"processed": 2},
    ],
)
def test_each_criterion_of_the_goal_can_fail_the_row(change: dict[str, Any]) -> None:
    row = Row("idle", "fast (default)", 90, 150, 160, 30, 60, 0, 3, 3, 0, 0.25, 0.003)
    assert row.passes()
    failed = replace(row, **change)
    assert not failed.passes()
    assert "Overall: FAIL" in render([failed], 3, markdown=False)


@pytest.mark.parametrize(
    "change",
    [{"p50": SILENCE_GOAL_P50_SECONDS + 1}, {"p95": SILENCE_GOAL_P95_SECONDS + 1}],
)
def test_the_wait_after_silence_can_fail_only_a_row_after_silence(
    change: dict[str, Any],
) -> None:
    quiet = Row("quiet", "fast (default)", 90, 150, 160, 30, 60, 0, 3, 3, 0, 0.25, 0.003)
    sparse = replace(quiet, workload=f"sparse ({AFTER_SILENCE})")
    assert sparse.passes()
    assert replace(quiet, **change).passes()
    assert not replace(sparse, **change).passes()


def test_messages_per_task_reaches_every_mode_only_when_given() -> None:
    assert "messages_per_task" not in "".join(stack_calls().values())
    calls = stack_calls(2)
    assert all(call.endswith(", messages_per_task=2)") for call in calls.values())
    assert "wake=Wake.FRESH_SIGNAL, messages_per_task=2)" in calls["ScaleToZeroSignal"]
