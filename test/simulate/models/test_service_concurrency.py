"""A task's worker runs ``SCALE_TO_ZERO_CONCURRENCY`` messages at once and receives ahead.

The worker CLI reads its concurrency from the container's environment (the contract's
``CONCURRENCY``); our worker receives ahead the messages its handlers are expected to start
within ``DEFAULT_PREFETCH_SECONDS`` by their average duration.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate import SimulationInputError, WorkItem, load_service, simulate
from sqs_scale_to_zero.simulate.run import Simulation
from sqs_scale_to_zero.worker import contract
from test.simulate.templates import write_template


def _with_environment(source: Path, directory: Path, name: str, **env: str) -> Path:
    """``source`` with ``env`` added to its (only) container's environment."""
    template: dict[str, Any] = copy.deepcopy(json.loads(source.read_text()))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ECS::TaskDefinition":
            (container,) = resource["Properties"]["ContainerDefinitions"]
            container.setdefault("Environment", []).extend(
                {"Name": k, "Value": v} for k, v in env.items()
            )
    return write_template(directory, name, template)


@pytest.fixture(scope="module")
def always_on(anchor_templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One task always running, whose container runs our worker with 3 handlers."""
    return _with_environment(
        anchor_templates["AlwaysOn"],
        tmp_path_factory.mktemp("always-on-3"),
        "AlwaysOnThree",
        **{contract.CONCURRENCY: "3"},
    )


@pytest.fixture(scope="module")
def always_on_one(
    anchor_templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One task always running, whose container runs our worker with its default of 1 handler."""
    return _with_environment(
        anchor_templates["AlwaysOn"],
        tmp_path_factory.mktemp("always-on-1"),
        "AlwaysOnOne",
        **{contract.LOG_LEVEL: "INFO"},
    )


# --- what the template says -------------------------------------------------------------------


def test_the_concurrency_is_read_from_the_container_environment(
    always_on: Path, always_on_one: Path, anchor_templates: dict[str, Path]
) -> None:
    assert load_service(always_on).task.concurrency == 3
    assert load_service(always_on_one).task.concurrency == 1
    # our worker receives ahead; a consumer other than ours does not
    assert load_service(always_on_one).task.prefetch_seconds == contract.DEFAULT_PREFETCH_SECONDS
    assert load_service(anchor_templates["AlwaysOn"]).task.prefetch_seconds == 0.0


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", ""])
def test_a_concurrency_that_is_not_a_whole_number_of_handlers_is_refused(
    value: str, anchor_templates: dict[str, Path], tmp_path: Path
) -> None:
    path = _with_environment(
        anchor_templates["AlwaysOn"], tmp_path, "Bad", **{contract.CONCURRENCY: value}
    )
    with pytest.raises(SimulationInputError, match=contract.CONCURRENCY):
        load_service(path)


# --- running it -------------------------------------------------------------------------------


def test_a_task_runs_as_many_messages_at_once_as_its_concurrency(
    always_on: Path, always_on_one: Path
) -> None:
    items = [WorkItem(0.0, 100.0, 50.0) for _ in range(6)]
    three, one = simulate([always_on, always_on_one], items, horizon=3600)
    assert sorted(three.waits) == [0.0, 0.0, 0.0, 100.0, 100.0, 100.0]
    assert sorted(one.waits) == [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
    assert three.task_launches == one.task_launches == 1
    assert (three.drain_seconds, one.drain_seconds) == (200.0, 600.0)
    # busy is the time at least one handler works, not the sum over the handlers
    assert three.idle_task_hours == pytest.approx(1.0 - 200 / 3600)
    assert one.idle_task_hours == pytest.approx(1.0 - 600 / 3600)


@pytest.mark.parametrize(("jobs", "cpu"), [(1, 40.0), (2, 80.0), (3, 100.0)])
def test_the_task_s_cpu_adds_up_its_running_messages_up_to_100_percent(
    always_on: Path, jobs: int, cpu: float
) -> None:
    sim = Simulation(
        load_service(always_on), [WorkItem(0.0, 100.0, 40.0) for _ in range(jobs)], horizon=50.0
    )
    sim.run()
    (task,) = sim.service.live
    assert (len(task.running), task.cpu_now) == (jobs, cpu)


def test_the_worker_receives_ahead_what_its_handlers_start_within_a_second(
    always_on_one: Path, anchor_templates: dict[str, Path]
) -> None:
    # given a first job of 0.5 s (the average that sizes the prefetch), then five at once
    items = [WorkItem(0.0, 0.5, 50.0)] + [WorkItem(10.0, 0.5, 50.0) for _ in range(5)]
    # when the run stops just as the five arrive
    ours = Simulation(load_service(always_on_one), items, horizon=10.0)
    ours.run()
    other = Simulation(load_service(anchor_templates["AlwaysOn"]), items, horizon=10.0)
    other.run()
    # then our worker holds one running and 1 s / 0.5 s = 2 received ahead; the other one
    (task,) = ours.service.live
    assert (len(task.running), len(task.waiting)) == (1, 2)
    assert (ours.queue.n_in_flight, ours.queue.n_visible) == (3, 2)
    (plain,) = other.service.live
    assert (len(plain.running), len(plain.waiting)) == (1, 0)
    assert (other.queue.n_in_flight, other.queue.n_visible) == (1, 4)


def test_messages_received_ahead_start_in_order_as_the_handler_frees_up(
    always_on_one: Path,
) -> None:
    items = [WorkItem(0.0, 0.5, 50.0)] + [WorkItem(10.0, 0.5, 50.0) for _ in range(5)]
    (r,) = simulate([always_on_one], items, horizon=600)
    assert r.processed == 6 and r.duplicate_deliveries == 0
    assert sorted(r.waits) == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.5, 2.0])


def test_sigkill_interrupts_every_message_the_handlers_run(
    anchor_templates: dict[str, Path], tmp_path: Path
) -> None:
    # given the seed blog's stack, whose CPU alarm stops its task while its jobs wait at 0 % CPU
    items = [WorkItem(600.0, 3600.0, 0.0) for _ in range(3)]
    three = _with_environment(
        anchor_templates["SeedBlog"], tmp_path, "SeedBlogThree", **{contract.CONCURRENCY: "3"}
    )
    one = _with_environment(
        anchor_templates["SeedBlog"], tmp_path, "SeedBlogOne", **{contract.LOG_LEVEL: "INFO"}
    )
    first = Simulation(load_service(three), items, horizon=2 * 3600, seed=1)
    first.run()
    killed_at = min(t.stopped_at or math.inf for t in first.service.finished if t.served)
    # when each runs until just after that first stop
    r_three, r_one = simulate([three, one], items, horizon=killed_at + 1.0, seed=1)
    # then the task with three handlers lost all three jobs, the one with one handler one job
    assert (r_three.processed, r_three.interrupted) == (0, 3)
    assert (r_one.processed, r_one.interrupted) == (0, 1)


@pytest.mark.parametrize("stop", ["sigterm", "pause for a deploy"])
def test_a_worker_that_stops_receiving_hands_back_what_it_has_not_started(
    always_on_one: Path, stop: str
) -> None:
    # given our worker holding one message running and two received ahead
    items = [WorkItem(0.0, 0.5, 50.0)] + [WorkItem(10.0, 0.5, 50.0) for _ in range(5)]
    sim = Simulation(load_service(always_on_one), items, horizon=10.0)
    sim.run()
    (task,) = sim.service.live
    assert (len(task.running), len(task.waiting), sim.queue.n_visible) == (1, 2, 2)
    # when it is stopped, or pauses for a deploy
    if stop == "sigterm":
        sim.service.sigterm(task, 10.0)
    else:
        task.paused_since = 10.0
        sim.service.stop_receiving(task, 10.0)
    # then the two it had not started are visible again, and it finishes the one it runs
    assert (len(task.running), len(task.waiting), sim.queue.n_visible) == (1, 0, 4)
    assert task not in sim.service.idle


def test_an_outdated_task_finishes_every_message_its_handlers_run_before_it_exits(
    ours_template: Path, tmp_path: Path
) -> None:
    # given our construct's tasks with 3 handlers, each busy with 20-minute jobs at a deploy
    three = _with_environment(ours_template, tmp_path, "OursThree", **{contract.CONCURRENCY: "3"})
    items = [WorkItem(60.0, 1200.0, 50.0) for _ in range(6)]
    (result,) = simulate([three], items, horizon=3 * 3600, deploy_at=[900.0])
    # then the deploy waits for every running job: none is interrupted, all are processed
    (deployment,) = result.deployments
    assert deployment.longest_job_in_progress == 1200.0
    assert (result.processed, result.interrupted, deployment.interrupted) == (6, 0, 0)
    assert deployment.completed_after_seconds is not None
