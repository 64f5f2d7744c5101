"""The wake function's handler on GPU instances, against moto: a wake from zero also raises the
instances' Auto Scaling group to what the woken tasks need, never lowering it, never past its
maximum; a failed raise leaves the wake in place."""

from __future__ import annotations

from collections.abc import Iterator

import boto3  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero.wake_function_handler import handler
from sqs_scale_to_zero.worker.contract import (
    SIGNAL_AUTO_SCALING_GROUP,
    SIGNAL_MAX_CAPACITY,
    SIGNAL_MESSAGES_PER_TASK,
    SIGNAL_TASKS_PER_INSTANCE,
)
from test.test_wake_function_handler import desired_count, queue, service

__all__ = ["queue", "service"]


@pytest.fixture
def group(service: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto Auto Scaling group at 0 instances, at most 3, two tasks to an instance."""
    autoscaling = boto3.client("autoscaling")
    name = f"gpu-{service}"
    autoscaling.create_launch_configuration(
        LaunchConfigurationName=name, ImageId="ami-12c6146b", InstanceType="g5.12xlarge"
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchConfigurationName=name,
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=0,
        AvailabilityZones=["us-east-1a"],
    )
    monkeypatch.setenv(SIGNAL_AUTO_SCALING_GROUP, name)
    monkeypatch.setenv(SIGNAL_TASKS_PER_INSTANCE, "2")
    monkeypatch.setenv(SIGNAL_MESSAGES_PER_TASK, "1")
    monkeypatch.setenv(SIGNAL_MAX_CAPACITY, "10")
    yield name
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    autoscaling.delete_launch_configuration(LaunchConfigurationName=name)


def desired_instances(group: str) -> int:
    (found,) = boto3.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[group]
    )["AutoScalingGroups"]
    return int(found["DesiredCapacity"])


def send(queue_url: str, messages: int) -> None:
    sqs = boto3.client("sqs")
    for start in range(0, messages, 10):
        entries = [
            {"Id": str(i), "MessageBody": "job"} for i in range(start, min(messages, start + 10))
        ]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


@pytest.mark.parametrize(("messages", "instances"), [(1, 1), (3, 2), (9, 3)])
def test_a_wake_raises_the_group_to_the_instances_its_tasks_need(
    queue: str,
    service: str,
    group: str,
    messages: int,
    instances: int,
) -> None:
    """One task a message, two tasks an instance, at most the group's 3."""
    send(queue, messages)
    handler({}, None)
    assert desired_count(service) == messages
    assert desired_instances(group) == instances


def test_a_wake_never_lowers_the_group(
    queue: str,
    service: str,
    group: str,
) -> None:
    """Instances still up from the last burst stay: the raise only ever adds."""
    boto3.client("autoscaling").set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=3)
    send(queue, 1)
    handler({}, None)
    assert desired_count(service) == 1
    assert desired_instances(group) == 3


def test_no_wake_no_raise(queue: str, service: str, group: str) -> None:
    handler({}, None)
    assert desired_instances(group) == 0
    # Tasks already desired: no wake, so the group is left to managed scaling.
    boto3.client("ecs").update_service(cluster=service, service="worker", desiredCount=1)
    send(queue, 1)
    handler({}, None)
    assert desired_instances(group) == 0


def test_a_missing_group_leaves_the_wake_in_place(
    queue: str,
    service: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Managed scaling launches the instance the slow way; the tasks are still desired (and a
    missing tasks-per-instance variable reads as 1)."""
    monkeypatch.setenv(SIGNAL_AUTO_SCALING_GROUP, "no-such-group")
    send(queue, 1)
    values = handler({}, None)
    assert desired_count(service) == 1
    assert values["DesiredTaskCount"] == 1.0
