"""``min_capacity``: tasks kept warm. The scalable target's MinCapacity and the idle scale-in's
exact capacity are both ``min_capacity``, the leak alarm counts only the tasks above it, the
simulator (reading the template) keeps that many running, and bad values are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from sqs_scale_to_zero import ScaleToZeroQueueService, ScaleToZeroValidationError
from sqs_scale_to_zero.simulate import FargatePricing, simulate
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.workload.items import WorkItem
from test.conftest import TEST_ENV, TEST_IMAGE, Synthesized, synthesize
from test.simulate.templates import write_template

HOURS_PER_MONTH = 730


@pytest.fixture(scope="module")
def warm_service() -> Synthesized:
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack, "Worker", image=TEST_IMAGE, min_capacity=2, max_capacity=4
        )
    )


@pytest.fixture(scope="module")
def templates(
    warm_service: Synthesized,
    default_service: Synthesized,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path]:
    """(min_capacity=2, the default) as template files for the simulator."""
    directory = tmp_path_factory.mktemp("warm")
    return (
        write_template(directory, "Warm", warm_service.template.to_json()),
        write_template(directory, "Cold", default_service.template.to_json()),
    )


def only(synthesized: Synthesized, resource_type: str) -> dict[str, Any]:
    (resource,) = synthesized.resources(resource_type).values()
    return dict(resource["Properties"])


def scale_in_policy(synthesized: Synthesized) -> dict[str, Any]:
    policy = synthesized.properties(synthesized.construct.scale_in_action)
    return dict(policy["StepScalingPolicyConfiguration"])


def test_the_scalable_target_keeps_min_capacity_tasks(warm_service: Synthesized) -> None:
    target = only(warm_service, "AWS::ApplicationAutoScaling::ScalableTarget")

    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 4)


def test_the_idle_scale_in_goes_down_to_min_capacity(warm_service: Synthesized) -> None:
    config = scale_in_policy(warm_service)

    assert config["AdjustmentType"] == "ExactCapacity"
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}]


def test_by_default_the_service_scales_to_zero(default_service: Synthesized) -> None:
    target = only(default_service, "AWS::ApplicationAutoScaling::ScalableTarget")
    config = scale_in_policy(default_service)

    assert target["MinCapacity"] == 0
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 0}]


def test_the_leak_alarm_counts_only_tasks_above_min_capacity(warm_service: Synthesized) -> None:
    alarm = warm_service.properties(warm_service.construct.tasks_on_empty_queue_alarm)
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]

    assert expression.endswith("AND (FILL(tasks_reporting, 0) > 2), 1, 0))")
    assert "A value of 1: More than 2 tasks (min_capacity) have run" in alarm["AlarmDescription"]


def test_the_docstrings_monthly_price_of_a_warm_task_is_the_simulators() -> None:
    monthly = FargatePricing().hourly(256, 512) * HOURS_PER_MONTH

    assert monthly == pytest.approx(9.0, abs=0.1)  # "about $9 a month" in the docstring


def test_the_simulator_reads_min_capacity_and_keeps_the_warm_tasks(
    templates: tuple[Path, Path],
) -> None:
    warm_template, cold_template = templates
    items = [WorkItem(600.0, 10.0, 50.0)]

    warm, cold = simulate([warm_template, cold_template], items, horizon=4 * 3600)

    assert load_service(warm_template).min_capacity == 2
    assert warm.processed == cold.processed == 1
    assert warm.waits[0] < 25 < cold.waits[0]  # a warm task takes it at once; zero must wake
    assert warm.task_hours == pytest.approx(2 * 4, rel=0.02)  # two tasks, all four hours
    assert cold.task_hours < 0.5


@pytest.mark.parametrize(
    ("props", "says"),
    [
        ({"min_capacity": -1}, "must be from 0 to max_capacity (4), got -1"),
        ({"min_capacity": 5}, "must be from 0 to max_capacity (4), got 5"),
        ({"min_capacity": 3, "max_capacity": 2}, "must be from 0 to max_capacity (2), got 3"),
        ({"min_capacity": "1"}, "min_capacity"),
        ({"min_capacity": 1.5}, "min_capacity"),
        ({"min_capacity": True}, "min_capacity"),
    ],
)
def test_a_bad_min_capacity_is_refused_naming_it(props: dict[str, Any], says: str) -> None:
    stack = cdk.Stack(cdk.App(), "Bad", env=TEST_ENV)

    with pytest.raises(ScaleToZeroValidationError, match="min_capacity") as raised:
        ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, **props)

    assert says in str(raised.value)
    assert stack.node.try_find_child("Worker") is None  # refused before any child
