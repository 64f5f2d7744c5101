"""The fast wake on GPU instances: the wake function names the instances' Auto Scaling group and
may raise its desired capacity (that group alone) and read it, so a wake from zero launches the
instance at once; on Fargate, or without the function, it gets neither."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2

from sqs_scale_to_zero import Capacity, ScaleToZeroQueueService, Wake
from sqs_scale_to_zero.worker import contract
from test.conftest import TEST_IMAGE, Synthesized, synthesize
from test.test_capacity import default_gpu_service
from test.test_wake import role_statements


@pytest.fixture(scope="module")
def gpu_service() -> Synthesized:
    """Capacity.gpu_instances() at its defaults (g5.xlarge, 1 GPU a task): the default wake."""
    return default_gpu_service()


@pytest.fixture(scope="module")
def two_tasks_an_instance() -> Synthesized:
    """Two 2-GPU tasks on each g5.12xlarge (4 GPUs)."""
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            capacity=Capacity.gpu_instances(instance_type=ec2.InstanceType("g5.12xlarge")),
            gpu_count=2,
            cpu=8192,
            memory_limit_mib=65536,
            max_capacity=5,
            monitoring=False,
        )
    )


def wake_variables(synth: Synthesized) -> dict[str, Any]:
    function = synth.construct.wake_function
    assert function is not None
    return dict(synth.properties(function)["Environment"]["Variables"])


def wake_statements(synth: Synthesized) -> list[dict[str, Any]]:
    function = synth.construct.wake_function
    assert function is not None
    return role_statements(synth, function)


def autoscaling_statements(synth: Synthesized) -> list[dict[str, Any]]:
    return [s for s in wake_statements(synth) if "autoscaling:" in str(s["Action"])]


def test_the_wake_function_names_the_group_and_its_tasks_per_instance(
    gpu_service: Synthesized, two_tasks_an_instance: Synthesized
) -> None:
    for synth, per in ((gpu_service, "1"), (two_tasks_an_instance, "2")):
        variables = wake_variables(synth)
        group_id = synth.logical_id(synth.construct.auto_scaling_group)
        assert variables[contract.SIGNAL_AUTO_SCALING_GROUP] == {"Ref": group_id}
        assert variables[contract.SIGNAL_TASKS_PER_INSTANCE] == per


def test_the_wake_may_raise_only_its_own_group_and_read_groups(gpu_service: Synthesized) -> None:
    group_id = gpu_service.logical_id(gpu_service.construct.auto_scaling_group)
    group_arn = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/",
                {"Ref": group_id},
            ],
        ]
    }
    assert autoscaling_statements(gpu_service) == [
        {"Action": "autoscaling:SetDesiredCapacity", "Effect": "Allow", "Resource": group_arn},
        # No resource-level permission exists for it; it only reads.
        {"Action": "autoscaling:DescribeAutoScalingGroups", "Effect": "Allow", "Resource": "*"},
    ]


def test_fargate_gets_no_group_and_no_autoscaling_grant(default_service: Synthesized) -> None:
    variables = wake_variables(default_service)
    assert contract.SIGNAL_AUTO_SCALING_GROUP not in variables
    assert contract.SIGNAL_TASKS_PER_INSTANCE not in variables
    assert autoscaling_statements(default_service) == []


def test_without_the_wake_function_nothing_raises_the_group() -> None:
    synth = default_gpu_service(wake=Wake.ON_ALARM, monitoring=False)
    assert synth.construct.wake_function is None
    assert synth.resources("AWS::Lambda::Function") == {}
