"""Deployments in the simulator: the rollout each template declares, the drain, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, load_service
from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.models.deploy_drain.rollout import (
    HEALTHY_AFTER_RUNNING_SECONDS,
    ROLLOUT_PASS_SECONDS,
)
from sqs_scale_to_zero.simulate.models.tasks import TaskState
from sqs_scale_to_zero.simulate.report import DeploymentResult, Result
from sqs_scale_to_zero.simulate.run import Simulation, run_simulation
from sqs_scale_to_zero.simulate.workload import steady
from sqs_scale_to_zero.worker import contract
from test.simulate.templates import write_template

HOUR = 3600.0
START_HIGH = SimulationConfig().start_latency.high

# 6 one-minute jobs a minute for two hours: more than 4 tasks can do, so no task is ever idle.
SATURATING = steady(interval_seconds=10.0, hours=2.0, work_seconds=60.0, cpu_percent=60.0)
DEPLOY_AT = 1800.0


def _saturated(template: Path, seed: int = 0) -> Result:
    return run_simulation(
        load_service(template), SATURATING, seed=seed, horizon=2 * HOUR, deploy_at=[DEPLOY_AT]
    )


def _only(result: Result) -> DeploymentResult:
    (deployment,) = result.deployments
    return deployment


# --- our construct, with and without the drain ------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_a_saturated_queue_our_tasks_drain_and_the_deploy_completes(
    ours_template: Path, seed: int
) -> None:
    result = _saturated(ours_template, seed)
    deployment = _only(result)
    check = load_service(ours_template).deployment.drain_check_seconds
    assert check is not None
    assert deployment.old_tasks == 4 and deployment.longest_job_in_progress == 60.0
    assert deployment.interrupted == 0 and result.interrupted == 0
    assert deployment.duplicates == 0
    assert result.max_tasks <= 2 * deployment.old_tasks  # maximum percent 200
    assert deployment.completed_after_seconds is not None
    assert deployment.completed_after_seconds <= 60.0 + 2 * START_HIGH
    # an old task takes no message after its first check once the deploy began, even while
    # the new tasks are still starting; a one-minute job ends at most once in that window
    latest = check * (1 + contract.DEPLOY_CHECK_JITTER)
    assert deployment.last_old_start_after is None or deployment.last_old_start_after <= latest
    assert deployment.most_old_starts_per_task <= 1


def test_during_a_rollout_the_desired_count_is_the_new_deployment_s(ours_template: Path) -> None:
    sim = Simulation(
        load_service(ours_template), SATURATING, horizon=2 * HOUR, deploy_at=[DEPLOY_AT]
    )
    deployment = _only(sim.run())
    assert deployment.completed_after_seconds is not None
    end = DEPLOY_AT + deployment.completed_after_seconds
    new = [t for t in sim.service.finished if t.revision == 1]  # every task, once the run ended
    # old and new tasks together exceed the desired count, yet no new task is stopped for it
    assert len(new) == deployment.old_tasks == 4
    assert all(t.stopped_at is None or t.stopped_at > end for t in new)


def test_without_the_drain_our_protected_busy_tasks_never_let_the_deploy_complete(
    ours_no_drain_template: Path,
) -> None:
    assert load_service(ours_no_drain_template).deployment.drain_check_seconds is None
    result = _saturated(ours_no_drain_template)
    deployment = _only(result)
    assert deployment.completed_after_seconds is None
    assert deployment.interrupted == 0
    assert deployment.last_old_start_after is not None
    assert deployment.last_old_start_after > 2 * HOUR - DEPLOY_AT - 120.0


def test_a_two_hour_job_across_a_deploy_finishes_on_the_old_task_and_the_deploy_ends_with_it(
    ours_template: Path,
) -> None:
    model = load_service(ours_template)
    sim = Simulation(model, [WorkItem(60.0, 2 * HOUR, 50.0)], horizon=4 * HOUR, deploy_at=[HOUR])
    result = sim.run()
    deployment = _only(result)
    assert (result.processed, result.interrupted, result.duplicate_deliveries) == (1, 0, 0)
    assert deployment.started_on_old_code == 0 and deployment.interrupted == 0
    job_end = 60.0 + 2 * HOUR
    exit_seconds = SimulationConfig().exit_seconds
    assert deployment.completed_after_seconds == pytest.approx(job_end + exit_seconds - HOUR)
    (old,) = [t for t in sim.service.finished if t.revision == 0]
    assert old.served == 1 and old.draining and old.retired_by == 0
    assert old.stopped_at == pytest.approx(job_end + exit_seconds)


def test_a_deploy_at_zero_completes_at_once_and_the_next_wake_runs_the_new_code(
    ours_template: Path,
) -> None:
    model = load_service(ours_template)
    work = [WorkItem(60.0, 30.0, 50.0), WorkItem(6 * HOUR, 30.0, 50.0)]
    sim = Simulation(model, work, horizon=8 * HOUR, deploy_at=[4 * HOUR])
    result = sim.run()
    deployment = _only(result)
    assert deployment.old_tasks == 0
    assert deployment.completed_after_seconds == 0.0
    assert result.processed == 2
    woken = [t for t in sim.service.finished if t.served and t.launched_at > 4 * HOUR]
    assert woken and all(t.revision == 1 for t in woken)


# --- the anchors: SIGTERM and the stop timeout ------------------------------------------------


def test_qpfs_defaults_stop_busy_tasks_at_once_and_interrupt_their_messages(
    anchor_templates: dict[str, Path],
) -> None:
    model = load_service(anchor_templates["QpfsDefaults"])
    sim = Simulation(model, SATURATING, horizon=2 * HOUR, deploy_at=[DEPLOY_AT])
    deployment = _only(sim.run())
    assert deployment.completed_after_seconds is not None
    old = [t for t in sim.service.finished if t.revision == 0]
    assert len(old) == deployment.old_tasks == 4
    assert all(t.retired_by == 1 and not t.draining for t in old)
    # minimum healthy 50 % of 4: two stopped at the first pass, the rest once new tasks are
    # healthy; a 60 s job with more than the 30 s stop timeout left is killed
    first_pass = DEPLOY_AT + ROLLOUT_PASS_SECONDS
    assert sorted(t.stopped_at or 0.0 for t in old)[1] <= first_pass + model.task.stop_timeout
    assert deployment.interrupted > 0
    assert deployment.started_on_old_code > 0


def test_the_seed_blog_kills_a_two_hour_job_once_the_new_task_is_healthy(
    anchor_templates: dict[str, Path],
) -> None:
    model = load_service(anchor_templates["SeedBlog"])
    # sent after the CPU alarm has stopped the idle first task, so the wake's task runs it
    work = [WorkItem(900.0, 2 * HOUR, 50.0)]
    sim = Simulation(model, work, horizon=4 * HOUR, deploy_at=[1800.0])
    result = sim.run()
    deployment = _only(result)
    assert deployment.interrupted == 1 and deployment.old_tasks == 1
    assert deployment.longest_job_in_progress == 2 * HOUR
    (busy,) = [t for t in sim.service.finished if t.revision == 0 and t.served]
    (new,) = [t for t in sim.service.finished if t.revision == 1]
    assert busy.retired_by == 1 and busy.stopped_at is not None and new.ready_at is not None
    # SIGTERM at a pass once the new task was healthy; SIGKILL at the 30 s stop timeout
    sigterm = busy.stopped_at - model.task.stop_timeout
    assert sigterm >= new.ready_at + HEALTHY_AFTER_RUNNING_SECONDS
    assert (sigterm - 1800.0) % ROLLOUT_PASS_SECONDS == pytest.approx(0.0)
    assert deployment.completed_after_seconds == pytest.approx(busy.stopped_at - 1800.0)
    # the job is hidden for the queue's 12-hour visibility timeout: nobody runs it again
    assert (result.processed, new.served) == (0, 0)


def test_old_tasks_wait_for_a_new_deployment_that_cannot_start_then_go_back_to_work(
    ours_template: Path, tmp_path: Path
) -> None:
    """Minimum healthy and maximum 100 %: ECS can neither start a new task nor stop an old one."""
    template = json.loads(ours_template.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ECS::Service":
            resource["Properties"]["DeploymentConfiguration"].update(
                {"MinimumHealthyPercent": 100, "MaximumPercent": 100}
            )
    model = load_service(write_template(tmp_path, "NoRoom", template))
    check = model.deployment.drain_check_seconds
    assert check is not None
    sim = Simulation(model, SATURATING, horizon=2 * HOUR, deploy_at=[DEPLOY_AT])
    deployment = _only(sim.run())
    assert not any(t.revision == 1 for t in sim.service.finished)
    assert deployment.completed_after_seconds is None
    starts = sorted(
        m.started_at - DEPLOY_AT
        for m in sim.service.messages
        if m.started_at is not None and m.started_at > DEPLOY_AT
    )
    pause_ends = contract.DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS + check * (
        1 + contract.DEPLOY_CHECK_JITTER
    )
    # nothing starts between the first checks and the end of the pause, then work goes on
    assert not [
        t
        for t in starts
        if check * (1 + contract.DEPLOY_CHECK_JITTER)
        < t
        < contract.DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS
    ]
    assert [
        t for t in starts if contract.DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS <= t <= pause_ends + 60.0
    ]
    assert deployment.interrupted == 0


# --- ECS's bounds: minimum healthy and maximum percent, rounded ------------------------------


def _fixed_service(
    anchor_templates: dict[str, Path], tmp_path: Path, desired: int, low: int, high: int
) -> Path:
    template = json.loads(anchor_templates["AlwaysOn"].read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ECS::Service":
            resource["Properties"]["DesiredCount"] = desired
            resource["Properties"]["DeploymentConfiguration"].update(
                {"MinimumHealthyPercent": low, "MaximumPercent": high}
            )
    return write_template(tmp_path, f"Fixed{desired}x{low}x{high}", template)


@pytest.mark.parametrize(
    ("desired", "low", "high", "stopped", "launched"),
    [
        (4, 50, 200, 2, 4),  # the guide's example: stop two, start four
        (4, 50, 100, 2, 2),  # no room above 100 %: stop two first, then start two
        (2, 75, 200, 0, 2),  # 75 % of 2 rounds up to 2: nothing can stop before new tasks
        (3, 100, 150, 0, 1),  # 150 % of 3 rounds down to 4: one more task
    ],
)
def test_the_first_pass_stops_and_starts_within_the_rounded_bounds(
    anchor_templates: dict[str, Path],
    tmp_path: Path,
    desired: int,
    low: int,
    high: int,
    stopped: int,
    launched: int,
) -> None:
    model = load_service(_fixed_service(anchor_templates, tmp_path, desired, low, high))
    first_pass = 10.0 + ROLLOUT_PASS_SECONDS
    sim = Simulation(model, [], horizon=first_pass + 1.0, deploy_at=[10.0])
    sim.run()
    old = [t for t in sim.service.finished if t.revision == 0]
    assert len(old) == desired
    assert sum(1 for t in old if t.retired_by == 1) == stopped
    assert sum(1 for t in sim.service.finished if t.revision == 1) == launched


def test_old_tasks_stop_only_once_new_ones_have_been_healthy_for_the_documented_delay(
    anchor_templates: dict[str, Path], tmp_path: Path
) -> None:
    model = load_service(_fixed_service(anchor_templates, tmp_path, 1, 100, 200))
    sim = Simulation(model, [], horizon=2 * HOUR, deploy_at=[10.0])
    result = sim.run()
    (old,) = [t for t in sim.service.finished if t.revision == 0]
    (new,) = [t for t in sim.service.finished if t.revision == 1]
    assert new.ready_at is not None and old.stopped_at is not None
    assert old.stopped_at >= new.ready_at + HEALTHY_AFTER_RUNNING_SECONDS
    assert new.state is TaskState.RUNNING
    assert _only(result).completed_after_seconds == pytest.approx(old.stopped_at - 10.0)


# --- the report ----------------------------------------------------------------------------


def test_each_result_lists_its_deployments_in_its_json(
    ours_template: Path,
) -> None:
    result = run_simulation(
        load_service(ours_template),
        [WorkItem(60.0, 2 * HOUR, 50.0)],
        horizon=HOUR,
        deploy_at=[1800.0, 600.0],
    )
    entries = result.to_json()["deployments"]
    assert [set(e) for e in entries] == [
        {"at", "completed_after_seconds", "started_on_old_code", "interrupted", "duplicates"}
    ] * 2
    assert [e["at"] for e in entries] == [600.0, 1800.0]
    assert [e["completed_after_seconds"] for e in entries] == [None, None]  # the job runs on


def test_no_deploy_means_no_deployment_entry(ours_template: Path) -> None:
    result = run_simulation(load_service(ours_template), [WorkItem(60.0, 30.0, 50.0)])
    assert result.deployments == [] and result.to_json()["deployments"] == []


@pytest.mark.parametrize("at", [-1.0, float("nan"), float("inf"), 3600.0])
def test_a_deploy_outside_the_run_is_refused(ours_template: Path, at: float) -> None:
    with pytest.raises(SimulationArgumentError, match="deploy_at must be a number of seconds"):
        run_simulation(load_service(ours_template), [], horizon=3600.0, deploy_at=[at])
