"""The deploys benchmark: the goal's arithmetic, the verdicts, and its scenarios on our drain."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.deploys import (
    OURS,
    POLL_SECONDS,
    SCENARIOS,
    TASK_STARTS_ALLOWED,
    Row,
    deployment_failures,
    goal_seconds,
    render,
    rows_for,
)
from sqs_scale_to_zero.simulate import SimulationConfig, simulate
from sqs_scale_to_zero.simulate.report import DeploymentResult

START = 120.0
# a deploy at the limit of every part of the goal
AT_LIMIT = DeploymentResult(
    at=3600.0,
    completed_after_seconds=600.0 + TASK_STARTS_ALLOWED * START,
    started_on_old_code=2,
    old_tasks=2,
    longest_job_in_progress=600.0,
    last_old_start_after=POLL_SECONDS,
    most_old_starts_per_task=1,
)


def test_the_goal_is_the_longest_job_in_progress_plus_two_task_starts() -> None:
    assert goal_seconds(AT_LIMIT, START) == 600.0 + 2 * START
    assert deployment_failures(AT_LIMIT, START) == []


@pytest.mark.parametrize(
    ("change", "failure"),
    [
        ({"completed_after_seconds": None}, "never completes"),
        ({"completed_after_seconds": 600.0 + 2 * START + 1}, "completes late"),
        ({"interrupted": 1}, "interrupts messages"),
        ({"started_on_old_code": 3}, "old code keeps taking messages"),
        ({"most_old_starts_per_task": 2}, "old code keeps taking messages"),
        ({"last_old_start_after": POLL_SECONDS + 1}, "old code keeps taking messages"),
        ({"duplicates": 1}, "duplicates messages"),
    ],
)
def test_each_part_of_the_goal_fails_on_its_own(change: dict[str, object], failure: str) -> None:
    assert deployment_failures(replace(AT_LIMIT, **change), START) == [failure]  # type: ignore[arg-type]


def test_ours_gets_pass_or_fail_and_an_anchor_what_it_does_instead() -> None:
    late = replace(AT_LIMIT, completed_after_seconds=None)
    ours = Row("s", OURS, [AT_LIMIT], START)
    ours_late = Row("s", OURS, [AT_LIMIT, late], START)
    anchor = Row("s", "QPFS defaults", [replace(AT_LIMIT, interrupted=3)], START, run_interrupted=5)
    assert ours.verdict() == "PASS" and ours_late.verdict() == "FAIL: never completes"
    assert anchor.verdict() == "interrupts messages, scale-in interrupts 2 outside the deploys"
    cells = ours_late.cells()
    assert cells[2] == "1/2" and cells[3].startswith("never (goal ")
    assert render([ours, anchor], markdown=False).endswith(f"Overall, {OURS}: PASS")
    assert render([ours_late, anchor], markdown=False).endswith(f"Overall, {OURS}: FAIL")


def test_our_drain_meets_the_goal_with_two_hour_jobs_and_the_busy_day_s_completion(
    ours_template: Path,
) -> None:
    start = SimulationConfig().start_latency.high
    busy, long_jobs = SCENARIOS.values()
    (long_row,) = rows_for(
        "2-hour jobs",
        [OURS],
        [
            simulate(
                [ours_template],
                long_jobs.workload,
                seed=1,
                horizon=long_jobs.horizon,
                deploy_at=long_jobs.deploy_at,
            )
        ],
        start,
    )
    assert long_row.passes, long_row.failures
    (busy_row,) = rows_for(
        "busy day",
        [OURS],
        [simulate([ours_template], busy.workload, seed=1, deploy_at=busy.deploy_at)],
        start,
    )
    assert len(busy_row.deployments) == len(busy.deploy_at)
    assert "never completes" not in busy_row.failures
    assert "completes late" not in busy_row.failures
    assert "interrupts messages" not in busy_row.failures
