"""The deploy drain: the rollout settings and what the worker is given to drain an outdated task."""

from __future__ import annotations

from typing import Any

import pytest

from sqs_scale_to_zero.deploy_drain import deploy_check_seconds
from sqs_scale_to_zero.worker import contract
from test.conftest import Synthesized
from test.test_compute import environment, role_statements


def drain_policy(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, resource)
        for logical_id, resource in synth.resources("AWS::IAM::Policy").items()
        if "DeployDrainPolicy" in logical_id
    ]
    return found


@pytest.mark.parametrize("synth_name", ["default_service", "seed_like_service"])
def test_worker_is_told_where_its_service_is(
    synth_name: str, request: pytest.FixtureRequest
) -> None:
    synth: Synthesized = request.getfixturevalue(synth_name)
    env = environment(synth)
    assert env[contract.DEPLOY_STACK] == {"Ref": "AWS::StackId"}
    assert env[contract.DEPLOY_SERVICE_RESOURCE] == synth.logical_id(synth.construct.service)
    assert env[contract.DEPLOY_CHECK_SECONDS] == "5"


def test_task_role_may_read_only_its_own_service_and_stack(default_service: Synthesized) -> None:
    synth = default_service
    _, policy = drain_policy(synth)
    service_id = synth.logical_id(synth.construct.service)
    role_id = synth.logical_id(synth.construct.task_definition.task_role)
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "ecs:DescribeServices", "Effect": "Allow", "Resource": {"Ref": service_id}},
        {
            "Action": "cloudformation:DescribeStackResource",
            "Effect": "Allow",
            "Resource": {"Ref": "AWS::StackId"},
        },
    ]
    statements = role_statements(synth, synth.construct.task_definition.task_role)
    describe = [s for s in statements if "Describe" in str(s["Action"])]
    assert len(describe) == 2, "no other statement of the task role describes anything"


def test_service_does_not_wait_for_the_drain_policy(default_service: Synthesized) -> None:
    """The policy refers to the service, so the service must not depend on it (a cycle)."""
    synth = default_service
    policy_id, _ = drain_policy(synth)
    service = synth.template.to_json()["Resources"][synth.logical_id(synth.construct.service)]
    assert policy_id not in service.get("DependsOn", [])


def test_rollout_starts_new_tasks_first_and_rolls_back_a_failed_image(
    default_service: Synthesized,
) -> None:
    service = default_service.properties(default_service.construct.service)
    configuration = service["DeploymentConfiguration"]
    assert configuration["MinimumHealthyPercent"] == 100
    assert configuration["MaximumPercent"] == 200
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert "LoadBalancers" not in service


@pytest.mark.parametrize(
    ("max_capacity", "seconds"), [(1, 5), (4, 5), (10, 5), (11, 6), (200, 100)]
)
def test_fleet_checks_stay_within_two_calls_a_second(max_capacity: int, seconds: int) -> None:
    assert deploy_check_seconds(max_capacity) == seconds
    assert max_capacity / deploy_check_seconds(max_capacity) <= contract.DEPLOY_CHECKS_PER_SECOND
