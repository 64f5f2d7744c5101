"""The GPU stacks :mod:`benchmarks.gpu` compares, each on g5.xlarge instances of an Auto Scaling
group capacity provider (ECS managed scaling, managed termination protection, min 0 instances
unless said), one NVIDIA GPU per task, at most one task: the always-on instance's capacity.

* ``add_gpu_scale_to_zero``: ``ScaleToZeroQueueService`` with ``Capacity.gpu_instances(...)``.
* ``add_gpu_always_on``: one task on one instance that never scales (the group's min is 1).
* ``add_gpu_keda_like``: a fixed cooldown as KEDA's SQS scaler gives it: the queue polled
  directly (our backlog signal), zero tasks after 5 idle minutes judged by the queue length
  alone (KEDA's ``cooldownPeriod`` default, ``scaleOnInFlight``), and no task protection (KEDA
  cannot choose which pod stops).
* ``add_gpu_qpfs_ec2``: ``aws_ecs_patterns.QueueProcessingEc2Service`` with
  ``min_scaling_capacity=0`` and its default scaling, on the same capacity provider.

All synthesize offline: the AMI is read from its SSM parameter at deploy time.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs

from benchmarks.anchors import ANCHOR_ENV, ANCHOR_IMAGE

INSTANCE_TYPE = "g5.xlarge"
TASK_SIZE: dict[str, Any] = {"cpu": 4096, "memory_limit_mib": 12288}
"""A task that takes a g5.xlarge: 4 vCPUs and 12 GiB of its 16."""


def add_gpu_scale_to_zero(app: cdk.App, stack_id: str, **capacity: Any) -> cdk.Stack:
    """Ours on GPU instances; ``capacity`` goes to ``Capacity.gpu_instances`` except
    ``idle_timeout_minutes``, which sets the construct's ``idle_timeout``."""
    from sqs_scale_to_zero import Capacity, ScaleToZeroQueueService

    idle_minutes = capacity.pop("idle_timeout_minutes", None)
    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    ScaleToZeroQueueService(
        stack,
        "Worker",
        image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE),
        capacity=Capacity.gpu_instances(instance_type=ec2.InstanceType(INSTANCE_TYPE), **capacity),
        gpu_count=1,
        max_capacity=1,
        idle_timeout=cdk.Duration.minutes(idle_minutes) if idle_minutes else None,
        monitoring=False,
        **TASK_SIZE,
    )
    return stack


def add_gpu_keda_like(app: cdk.App, stack_id: str = "GpuKedaLike") -> cdk.Stack:
    """A KEDA-like fixed cooldown on the same GPU capacity (see the module docstring)."""
    from sqs_scale_to_zero import Capacity, ScaleToZeroQueueService

    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    ScaleToZeroQueueService(
        stack,
        "Worker",
        image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE),
        capacity=Capacity.gpu_instances(instance_type=ec2.InstanceType(INSTANCE_TYPE)),
        gpu_count=1,
        max_capacity=1,
        task_protection=False,
        idle_cpu_threshold_percent=None,
        monitoring=False,
        **TASK_SIZE,
    )
    return stack


def _gpu_cluster(stack: cdk.Stack, min_instances: int) -> tuple[ecs.Cluster, str]:
    """A cluster with a g5.xlarge capacity provider as users write it (CDK's defaults)."""
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC)
        ],
    )
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    template = ec2.LaunchTemplate(
        stack,
        "LaunchTemplate",
        instance_type=ec2.InstanceType(INSTANCE_TYPE),
        machine_image=ecs.EcsOptimizedImage.amazon_linux2023(ecs.AmiHardwareType.GPU),
        user_data=ec2.UserData.for_linux(),
        role=iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com")),
        associate_public_ip_address=True,
    )
    group = autoscaling.AutoScalingGroup(
        stack,
        "Instances",
        vpc=vpc,
        launch_template=template,
        min_capacity=min_instances,
        max_capacity=1,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
    )
    provider = ecs.AsgCapacityProvider(stack, "CapacityProvider", auto_scaling_group=group)
    cluster.add_asg_capacity_provider(provider)
    return cluster, provider.capacity_provider_name


def add_gpu_always_on(app: cdk.App, stack_id: str = "GpuAlwaysOn") -> cdk.Stack:
    """One GPU task on one instance, always running."""
    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    cluster, provider = _gpu_cluster(stack, min_instances=1)
    queue = sqs.Queue(stack, "Queue")
    task = ecs.Ec2TaskDefinition(stack, "Task")
    task.add_container(
        "Worker",
        image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE),
        gpu_count=1,
        memory_limit_mib=12288,
        environment={"QUEUE_URL": queue.queue_url},
    )
    queue.grant_consume_messages(task.task_role)
    ecs.Ec2Service(
        stack,
        "Service",
        cluster=cluster,
        task_definition=task,
        desired_count=1,
        capacity_provider_strategies=[
            ecs.CapacityProviderStrategy(capacity_provider=provider, weight=1)
        ],
    )
    return stack


def add_gpu_qpfs_ec2(app: cdk.App, stack_id: str = "GpuQpfsEc2") -> cdk.Stack:
    """QPFS's EC2 sibling with min 0 tasks and its default scaling steps."""
    stack = cdk.Stack(app, stack_id, env=ANCHOR_ENV)
    cluster, provider = _gpu_cluster(stack, min_instances=0)
    ecs_patterns.QueueProcessingEc2Service(
        stack,
        "Service",
        cluster=cluster,
        image=ecs.ContainerImage.from_registry(ANCHOR_IMAGE),
        gpu_count=1,
        memory_limit_mib=12288,
        min_scaling_capacity=0,
        max_scaling_capacity=1,
        capacity_provider_strategies=[
            ecs.CapacityProviderStrategy(capacity_provider=provider, weight=1)
        ],
    )
    return stack
