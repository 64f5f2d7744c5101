"""The backlog-signal benchmark's arithmetic: pooling over seeds, the goal line, the cost."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.backlog_signal import (
    GOAL_P50_SECONDS,
    GOAL_P95_SECONDS,
    Row,
    aggregate,
    render,
    stack_calls,
)
from benchmarks.signal_cost import (
    CUSTOM_METRIC_MONTH,
    HOURS_PER_MONTH,
    PUT_METRIC_DATA_PER_CALL,
    signal_cost,
)
from sqs_scale_to_zero.simulate import simulate
from sqs_scale_to_zero.simulate.workload import idle_then_one
from sqs_scale_to_zero.worker import contract


def test_waits_are_pooled_over_seeds_and_only_the_signal_is_judged(
    ours_template: Path, ours_signal_template: Path
) -> None:
    items = idle_then_one(idle_hours=8.0)
    runs = [simulate([ours_template, ours_signal_template], items, seed=s) for s in range(3)]
    sqs_row = aggregate("idle", "SQS metrics", [r[0] for r in runs])
    signal_row = aggregate("idle", "fresh signal", [r[1] for r in runs])
    assert (signal_row.processed, signal_row.messages) == (3, 3)
    assert signal_row.max == max(r[1].waits[0] for r in runs)
    scaling = sorted(w for r in runs for w in r[1].scaling_waits())
    assert signal_row.scaling_p50 == scaling[1] and signal_row.scaling_p95 <= signal_row.p95
    assert sqs_row.verdict() == "-"
    passing = replace(signal_row, scaling_p50=GOAL_P50_SECONDS, scaling_p95=GOAL_P95_SECONDS)
    assert passing.verdict() == "PASS"
    text = render([sqs_row, passing], 3, markdown=True, cost_line="$1/month")
    assert "| idle | fresh signal |" in text and "- idle, fresh signal: PASS" in text
    assert "- idle, SQS metrics" not in text
    assert "Overall: PASS" in text and "adds $1/month" in text


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
    row = Row("idle", "fresh signal", 90, 150, 160, 30, 60, 0, 3, 3, 0, 0.25, 0.003)
    assert row.passes()
    failed = replace(row, **change)
    assert not failed.passes()
    assert "Overall: FAIL" in render([failed], 3, markdown=False)


def test_the_signal_cost_is_read_from_the_template(
    ours_template: Path, ours_signal_template: Path
) -> None:
    assert signal_cost(ours_template) is None
    cost = signal_cost(ours_signal_template)
    assert cost is not None
    runs = HOURS_PER_MONTH * 60  # rate(1 minute)
    assert cost.invocations == pytest.approx(runs)
    assert cost.put_metric_data_usd == pytest.approx(runs * PUT_METRIC_DATA_PER_CALL)
    # the three counts and the desired count of the service it wakes
    assert cost.metrics == len(contract.SIGNAL_METRICS) + 1
    assert cost.metrics_usd == pytest.approx(cost.metrics * CUSTOM_METRIC_MONTH)
    assert cost.alarm_metrics == 2  # the signal-health alarm: Errors and Invocations
    assert cost.total == pytest.approx(
        cost.lambda_usd
        + cost.put_metric_data_usd
        + cost.metrics_usd
        + cost.alarms_usd
        + cost.sqs_usd
    )


def test_messages_per_task_reaches_both_modes_only_when_given() -> None:
    assert "messages_per_task" not in "".join(stack_calls().values())
    calls = stack_calls(2)
    assert all(call.endswith(", messages_per_task=2)") for call in calls.values())
    assert "backlog_signal=True, messages_per_task=2)" in calls["ScaleToZeroSignal"]
