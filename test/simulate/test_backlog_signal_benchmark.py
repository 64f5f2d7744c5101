"""The backlog-signal benchmark's arithmetic: goal line, pooling over seeds, PASS/FAIL lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.backlog_signal import aggregate, goal_seconds, render
from sqs_scale_to_zero.simulate import simulate
from sqs_scale_to_zero.simulate.workload import idle_then_one


def test_goal_is_one_and_a_half_times_polling_plus_p95_start() -> None:
    # triangular 25/40/120: p95 = 120 - sqrt(0.05 * 95 * 80)
    assert goal_seconds() == pytest.approx(1.5 * (60 + 120 - (0.05 * 95 * 80) ** 0.5))


def test_waits_are_pooled_over_seeds_and_judged(
    ours_template: Path, ours_signal_template: Path
) -> None:
    items = idle_then_one(idle_hours=8.0)
    runs = [simulate([ours_template, ours_signal_template], items, seed=s) for s in range(3)]
    sqs_row = aggregate("idle", "SQS metrics", [r[0] for r in runs])
    signal_row = aggregate("idle", "fresh signal", [r[1] for r in runs])
    assert (signal_row.processed, signal_row.messages) == (3, 3)
    assert signal_row.max == max(r[1].waits[0] for r in runs)
    assert signal_row.passes(goal_seconds())
    text = render([sqs_row, signal_row], goal_seconds(), 3, markdown=True)
    assert "| idle | fresh signal |" in text and "- idle, fresh signal: PASS" in text
