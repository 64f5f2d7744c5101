"""The stacks users build today, which sqs-scale-to-zero is measured against.

* ``add_qpfs_defaults`` — ``aws_ecs_patterns.QueueProcessingFargateService`` with
  ``min_scaling_capacity=0`` and its default scaling steps (aws-cdk issues #20706, #9242, #34072).
* ``add_seed_blog`` — the seed blog's stack (a public tutorial this project started from; its
  text is not part of this repository), both deploy stages at once: QPFS with steps
  ``[{upper: 0, change: 0}, {lower: 1, change: +1}]`` and max 1 task, plus a 3-minute average
  CPU <= 0.01 % alarm that sets the desired count to exactly 0.
* ``add_always_on`` — one task that never scales.

and, to compare against them, ``add_scale_to_zero``: ``ScaleToZeroQueueService`` of the same
shape (new VPC and cluster, same image), with the basic example's defaults unless told otherwise.

All of them synthesize offline: no look-ups, no credentials.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_sqs as sqs

ANCHOR_ENV = cdk.Environment(account="123456789012", region="us-east-1")
ANCHOR_IMAGE = "public.ecr.aws/docker/library/python:3.12-slim"


def add_qpfs_defaults(
    app: cdk.App, stack_id: str = "QpfsDefaults", max_scaling_capacity: int = 4
) -> cdk.Stack:
    """QPFS as most users write it: new VPC and cluster, min 0, default steps.

    Args:
        app: The app.
        stack_id: The stack's ID. Default: ``QpfsDefaults``.
        max_scaling_capacity: Most tasks. Default: 4, as our construct's ``max_capacity``.
    """
    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    ecs_patterns.QueueProcessingFargateService(
        stack,
        "Service",
        image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE),
        min_scaling_capacity=0,
        max_scaling_capacity=max_scaling_capacity,
    )
    return stack


def add_seed_blog(app: cdk.App, stack_id: str = "SeedBlog") -> cdk.Stack:
    """The seed blog's stack, stage 1 and stage 2 in one template."""
    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    queue = sqs.Queue(
        stack,
        "SampleQueue",
        content_based_deduplication=True,
        fifo=True,
        queue_name="sample-queue.fifo",
        receive_message_wait_time=cdk.Duration.seconds(20),
        retention_period=cdk.Duration.seconds(345600),
        visibility_timeout=cdk.Duration.seconds(43200),
    )
    service = ecs_patterns.QueueProcessingFargateService(
        stack,
        "SampleAppService",
        cpu=4096,
        memory_limit_mib=8192,
        image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE),
        min_scaling_capacity=0,
        max_scaling_capacity=1,
        cluster=cluster,
        queue=queue,
        scaling_steps=[
            appscaling.ScalingInterval(upper=0, change=0),
            appscaling.ScalingInterval(lower=1, change=+1),
        ],
    )
    # The blog also passed visibility_timeout=12 h to QPFS; current aws-cdk-lib rejects that
    # beside `queue`, and the queue above already carries the 12-hour visibility timeout.
    cpu = service.service.metric_cpu_utilization(
        period=cdk.Duration.minutes(3), statistic="Average"
    )
    alarm = cpu.create_alarm(
        stack,
        "SampleApp-ZeroCPUAlarm",
        alarm_description="For when sample app is idle, scale service to 0",
        evaluation_periods=1,
        threshold=0.01,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
        datapoints_to_alarm=1,
    )
    # The blog looks the scalable target up by id in a second deploy; in one template the
    # service's own target is the same resource.
    scalable_target = service.service.node.find_child("TaskCount").node.find_child("Target")
    action = appscaling.StepScalingAction(
        stack,
        "scaleToZero",
        scaling_target=scalable_target,  # type: ignore[arg-type]
        adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
    )
    action.add_adjustment(adjustment=0, upper_bound=0)
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(action))
    return stack


def add_always_on(app: cdk.App, stack_id: str = "AlwaysOn") -> cdk.Stack:
    """One task, always running, no scaling at all."""
    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    queue = sqs.Queue(stack, "Queue")
    task = ecs.FargateTaskDefinition(stack, "Task", cpu=256, memory_limit_mib=512)
    task.add_container("Worker", image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE))
    queue.grant_consume_messages(task.task_role)
    cluster = ecs.Cluster(stack, "Cluster", vpc=ec2.Vpc(stack, "Vpc", max_azs=2))
    ecs.FargateService(stack, "Service", cluster=cluster, task_definition=task, desired_count=1)
    return stack


def add_scale_to_zero(app: cdk.App, stack_id: str = "ScaleToZero", **props: Any) -> cdk.Stack:
    """``ScaleToZeroQueueService`` with default props (as ``examples/basic``), or ``props``."""
    from sqs_scale_to_zero import ScaleToZeroQueueService

    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    ScaleToZeroQueueService(
        stack, "Worker", image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE), **props
    )
    return stack
