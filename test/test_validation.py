"""Validation: every invalid prop raises ScaleToZeroValidationError, naming the prop and the fix,
before any child construct is made."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero import (
    MonitoringOptions,
    ScaleToZeroQueueService,
    ScaleToZeroValidationError,
)
from test.conftest import TEST_ENV, TEST_IMAGE


def build(**props: Any) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "ValidationStack", env=TEST_ENV)
    ScaleToZeroQueueService(stack, "Worker", **{"image": TEST_IMAGE, **props})
    return stack


def assert_rejected(prop: str, fix: str, *, stack: cdk.Stack | None = None, **props: Any) -> None:
    """Building with ``props`` raises for ``prop`` with ``fix`` in the message, and adds nothing
    to ``stack`` (a fresh one unless given, e.g. holding a cluster the props refer to)."""
    stack = stack or cdk.Stack(cdk.App(), "ValidationStack", env=TEST_ENV)
    before = len(stack.node.find_all())
    with pytest.raises(ScaleToZeroValidationError) as raised:
        ScaleToZeroQueueService(stack, "Worker", **{"image": TEST_IMAGE, **props})
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.prop == prop
    assert str(error).startswith(f"{prop}: ")
    assert fix in str(error)
    assert len(stack.node.find_all()) == before, "a child construct was created before the error"


def steps(*intervals: tuple[float | None, float | None, float]) -> list[appscaling.ScalingInterval]:
    return [appscaling.ScalingInterval(lower=lo, upper=up, change=ch) for lo, up, ch in intervals]


def test_fifo_queue_name_must_end_in_fifo() -> None:
    assert_rejected("queue_name", "use 'jobs.fifo'", fifo=True, queue_name="jobs")


def test_standard_queue_name_must_not_end_in_fifo() -> None:
    assert_rejected("queue_name", "set fifo=True", queue_name="jobs.fifo")


def test_queue_name_must_be_a_valid_sqs_name() -> None:
    assert_rejected("queue_name", "letters, digits", queue_name="has spaces")


def test_content_based_deduplication_needs_fifo() -> None:
    assert_rejected(
        "content_based_deduplication", "set fifo=True", content_based_deduplication=True
    )


def test_brought_queue_excludes_queue_shaping_props() -> None:
    stack = cdk.Stack(cdk.App(), "Own", env=TEST_ENV)
    queue = sqs.Queue(stack, "Queue")
    with pytest.raises(ScaleToZeroValidationError) as raised:
        ScaleToZeroQueueService(
            stack, "Worker", image=TEST_IMAGE, queue=queue, max_receive_count=5, fifo=True
        )
    assert raised.value.prop == "fifo"
    assert "fifo, max_receive_count" in str(raised.value)
    assert "omit queue" in str(raised.value)
    assert stack.node.try_find_child("Worker") is None


def test_max_capacity_must_be_at_least_one() -> None:
    assert_rejected("max_capacity", "raise it", max_capacity=0)


def test_scale_out_steps_must_not_overlap() -> None:
    assert_rejected("scale_out_steps", "overlap", scale_out_steps=steps((1, 20, 1), (10, None, 2)))


def test_scale_out_steps_must_not_leave_gaps() -> None:
    assert_rejected(
        "scale_out_steps", "gap between 10 and 20", scale_out_steps=steps((1, 10, 1), (20, None, 2))
    )


def test_scale_out_steps_must_add_tasks() -> None:
    assert_rejected("scale_out_steps", "change >= 1", scale_out_steps=steps((1, None, 0)))


def test_scale_out_steps_must_start_at_one_message() -> None:
    assert_rejected("scale_out_steps", "start it at lower=1", scale_out_steps=steps((5, None, 1)))


def test_scale_out_steps_must_end_unbounded() -> None:
    assert_rejected("scale_out_steps", "leave its upper unset", scale_out_steps=steps((1, 50, 1)))


def test_scale_out_steps_need_lower_bounds() -> None:
    assert_rejected("scale_out_steps", "no lower bound", scale_out_steps=steps((None, 10, 1)))


def test_scale_out_steps_must_not_be_empty() -> None:
    assert_rejected("scale_out_steps", "at least one step", scale_out_steps=[])


def test_idle_timeout_must_be_at_least_a_minute() -> None:
    assert_rejected(
        "idle_timeout", "whole number of minutes", idle_timeout=cdk.Duration.seconds(30)
    )


def test_idle_timeout_must_be_whole_minutes() -> None:
    assert_rejected("idle_timeout", "Duration.minutes(5)", idle_timeout=cdk.Duration.seconds(90))


def test_idle_timeout_must_fit_a_one_day_alarm_window() -> None:
    assert_rejected("idle_timeout", "at most 24 hours", idle_timeout=cdk.Duration.hours(25))


def test_idle_cpu_threshold_must_be_a_percentage() -> None:
    assert_rejected(
        "idle_cpu_threshold_percent", "between 0 and 100", idle_cpu_threshold_percent=101
    )
    assert_rejected(
        "idle_cpu_threshold_percent", "between 0 and 100", idle_cpu_threshold_percent=-1
    )


def test_cpu_only_scale_in_needs_a_cpu_threshold() -> None:
    assert_rejected(
        "idle_cpu_threshold_percent",
        "must be set when scale_in_on_cpu_only=True",
        scale_in_on_cpu_only=True,
        idle_cpu_threshold_percent=None,
    )


def test_gradual_scale_in_needs_task_protection() -> None:
    assert_rejected(
        "gradual_scale_in",
        "needs task_protection=True",
        gradual_scale_in=True,
        task_protection=False,
    )


@pytest.mark.parametrize(
    ("cooldown", "fix"),
    [
        (cdk.Duration.seconds(90), "whole number of minutes"),
        (cdk.Duration.days(2), "at most 24 hours"),
    ],
)
def test_gradual_scale_in_cooldown_must_fit_a_one_minute_alarm(
    cooldown: cdk.Duration, fix: str
) -> None:
    assert_rejected(
        "gradual_scale_in_cooldown", fix, gradual_scale_in=True, gradual_scale_in_cooldown=cooldown
    )


def test_max_capacity_must_be_whole() -> None:
    assert_rejected("max_capacity", "pass an int", max_capacity=2.5)


def test_fifo_queue_name_must_be_literal() -> None:
    stack = cdk.Stack(cdk.App(), "TokenName", env=TEST_ENV)
    name = cdk.CfnParameter(stack, "QueueName").value_as_string
    assert_rejected(
        "queue_name", "must be a literal string", stack=stack, fifo=True, queue_name=name
    )


def test_dashboard_name_must_be_valid() -> None:
    assert_rejected(
        "dashboard_name",
        "up to 255 letters",
        monitoring=MonitoringOptions(dashboard_name="bad name!"),
    )


def test_gradual_scale_in_cooldown_must_be_a_minute_or_more() -> None:
    assert_rejected(
        "gradual_scale_in_cooldown",
        "minutes, at least 1",
        gradual_scale_in=True,
        gradual_scale_in_cooldown=cdk.Duration.seconds(10),
    )


def test_stop_timeout_is_at_most_120_seconds_on_fargate() -> None:
    assert_rejected("stop_timeout", "Duration.seconds(120)", stop_timeout=cdk.Duration.seconds(121))


def test_cpu_must_be_a_fargate_size() -> None:
    assert_rejected("cpu", "Fargate offers 256, 512", cpu=300)


def test_memory_must_fit_the_cpu_on_fargate() -> None:
    assert_rejected(
        "memory_limit_mib",
        "use 8192 to 30720 MiB in steps of 1024",
        cpu=4096,
        memory_limit_mib=4096,
    )


def test_visibility_timeout_of_zero_is_refused_since_the_worker_could_not_run() -> None:
    assert_rejected("visibility_timeout", "1 second", visibility_timeout=cdk.Duration.seconds(0))


def test_visibility_timeout_is_whole_seconds() -> None:
    assert_rejected(
        "visibility_timeout", "whole seconds", visibility_timeout=cdk.Duration.millis(1500)
    )


def test_visibility_timeout_is_at_most_twelve_hours() -> None:
    assert_rejected(
        "visibility_timeout",
        "1 second and 12 hours",
        visibility_timeout=cdk.Duration.hours(13),
    )


def test_retention_period_within_sqs_limits() -> None:
    assert_rejected(
        "retention_period", "1 minute and 14 days", retention_period=cdk.Duration.days(15)
    )


def test_max_receive_count_must_be_at_least_one() -> None:
    assert_rejected("max_receive_count", "between 1 and 1000", max_receive_count=0)


def test_reserved_environment_names_are_refused() -> None:
    assert_rejected("environment", "rename your variable", environment={"QUEUE_URL": "x"})


def test_a_variable_has_one_source() -> None:
    stack = cdk.Stack(cdk.App(), "Secrets", env=TEST_ENV)
    secret = ecs.Secret.from_ssm_parameter(
        cdk.aws_ssm.StringParameter.from_string_parameter_name(stack, "P", "/app/token")
    )
    assert_rejected(
        "secrets",
        "TOKEN is also in environment",
        stack=stack,
        environment={"TOKEN": "x"},
        secrets={"TOKEN": secret},
    )


def test_environment_values_must_be_strings() -> None:
    assert_rejected("environment", "e.g. str(value)", environment={"WORKERS": 4})


def test_cluster_and_vpc_are_exclusive() -> None:
    stack = cdk.Stack(cdk.App(), "Placement", env=TEST_ENV)
    vpc = ec2.Vpc(stack, "Vpc")
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    with pytest.raises(
        ScaleToZeroValidationError, match="vpc: cannot be set together with cluster"
    ):
        ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, cluster=cluster, vpc=vpc)


def test_container_insights_only_for_a_created_cluster() -> None:
    stack = cdk.Stack(cdk.App(), "Insights", env=TEST_ENV)
    cluster = ecs.Cluster(stack, "Cluster", vpc=ec2.Vpc(stack, "Vpc"))
    assert_rejected(
        "container_insights", "omit cluster", stack=stack, cluster=cluster, container_insights=False
    )


def test_arm64_tasks_cannot_run_on_fargate_spot() -> None:
    assert_rejected(
        "capacity_provider_strategies",
        "FARGATE_SPOT runs only X86_64",
        cpu_architecture=ecs.CpuArchitecture.ARM64,
        capacity_provider_strategies=[
            ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1),
            ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=3),
        ],
    )


def test_x86_tasks_may_run_on_fargate_spot() -> None:
    stack = build(
        capacity_provider_strategies=[
            ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)
        ]
    )
    assert stack.node.try_find_child("Worker") is not None


def test_tasks_in_the_created_vpc_need_a_public_ip() -> None:
    assert_rejected("assign_public_ip", "no NAT gateway", assign_public_ip=False)


def test_subnets_need_a_vpc_of_the_users() -> None:
    assert_rejected(
        "vpc_subnets",
        "needs a vpc or cluster",
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
    )


def test_durations_must_not_be_tokens() -> None:
    assert_rejected(
        "idle_timeout",
        "not a token",
        idle_timeout=cdk.Duration.minutes(cdk.Token.as_number(cdk.Fn.ref("Minutes"))),
    )


def test_valid_props_build() -> None:
    stack = build(
        max_capacity=1, idle_timeout=cdk.Duration.minutes(1), idle_cpu_threshold_percent=0
    )
    assert stack.node.try_find_child("Worker") is not None


def test_messages_per_task_must_be_at_least_one() -> None:
    assert_rejected("messages_per_task", "at least 1", messages_per_task=0)


def test_messages_per_task_and_fixed_steps_are_exclusive() -> None:
    assert_rejected(
        "messages_per_task",
        "not both",
        messages_per_task=10,
        scale_out_steps=steps((1, None, 1)),
    )
