"""The compute part: the Fargate service, its task definition and container, and its cluster.

Two rooms, one per concept: :mod:`.task` (the task definition and the worker container) and
:mod:`.network` (the cluster, VPC, subnets and capacity). This module checks what spans both
and builds the service that joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from sqs_scale_to_zero.architecture import architecture_name
from sqs_scale_to_zero.capacity import (
    Capacity,
    CapacityKind,
    CapacitySettings,
    GpuInstances,
    build_gpu_instances,
    capacity_provider_strategy,
    placement_strategies,
    resolve_capacity,
)
from sqs_scale_to_zero.compute.network import (
    NetworkSettings,
    build_cluster,
    resolve_network,
    task_subnets,
)
from sqs_scale_to_zero.compute.task import (
    TaskSettings,
    WorkerTask,
    build_task,
    resolve_task,
)
from sqs_scale_to_zero.delivery import DeliverySettings
from sqs_scale_to_zero.deploy_drain import MAX_HEALTHY_PERCENT, MIN_HEALTHY_PERCENT
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.queue import WorkQueues

__all__ = [
    "Compute",
    "ComputeSettings",
    "NetworkSettings",
    "TaskSettings",
    "build_compute",
    "resolve_compute",
    "resolve_network",
    "resolve_task",
]


@dataclass(frozen=True)
class ComputeSettings:
    """The task, the network, the capacity it runs on and its delivery, validated together."""

    task: TaskSettings
    network: NetworkSettings
    capacity: CapacitySettings
    delivery: DeliverySettings

    @property
    def on_fargate_spot(self) -> bool:
        """True when the tasks run on Fargate Spot (the capacity or a given strategy)."""
        strategies = self.network.capacity_provider_strategies or ()
        return self.capacity.capacity.kind is CapacityKind.FARGATE_SPOT or any(
            s.capacity_provider == "FARGATE_SPOT" for s in strategies
        )


@dataclass(frozen=True)
class Compute:
    """The composed service resources."""

    cluster: ecs.ICluster
    task_definition: ecs.TaskDefinition
    container: ecs.ContainerDefinition
    log_group: logs.LogGroup
    service: ecs.BaseService
    runtime_container: Optional[ecs.ContainerDefinition]
    """The worker runtime's own container with HTTP delivery; else ``None``."""
    runtime_host: Optional[ecs.ContainerDefinition]
    """The container the worker runtime runs in; ``None`` with the user's own consumer."""
    auto_scaling_group: Optional[autoscaling.AutoScalingGroup] = None
    capacity_provider: Optional[ecs.AsgCapacityProvider] = None


def resolve_compute(
    task: TaskSettings,
    network: NetworkSettings,
    delivery: DeliverySettings,
    capacity: Capacity | None,
    gpu_count: int | None,
) -> ComputeSettings:
    """Check what the task, the network, the delivery and the capacity must agree on.

    Raises:
        ScaleToZeroValidationError: E.g. ARM64 tasks on Fargate Spot, or a GPU count on
            Fargate (:func:`sqs_scale_to_zero.capacity.resolve_capacity`), a Fargate
            platform version on GPU instances, or ``http_delivery`` on GPU instances.
    """
    capacity_settings = resolve_capacity(
        capacity=capacity,
        gpu_count=gpu_count,
        architecture=architecture_name(task.cpu_architecture),
        cpu=task.cpu,
        memory_limit_mib=task.memory_limit_mib,
        cluster=network.cluster,
        capacity_provider_strategies=network.capacity_provider_strategies,
    )
    if capacity_settings.on_instances and network.platform_version is not None:
        raise ScaleToZeroValidationError(
            "platform_version",
            "applies only to Fargate: omit it with capacity=Capacity.gpu_instances(...)",
        )
    if capacity_settings.on_instances and delivery.http is not None:
        # GPU tasks use bridge mode (compute.task), where each container has its own network
        # namespace: the runtime can't reach the app on localhost, which only the awsvpc mode
        # shares between a task's containers ("Task networking for tasks on Amazon EC2
        # instances"). On EC2, awsvpc gives tasks no public IP, so it needs a NAT gateway.
        raise ScaleToZeroValidationError(
            "http_delivery",
            "can't be combined with capacity=Capacity.gpu_instances(...): GPU tasks run in "
            "bridge network mode, where the runtime can't reach the app on localhost; run the "
            "Python runtime in your image (omit http_delivery), or pass own_consumer=True",
        )
    return ComputeSettings(
        task=task, network=network, capacity=capacity_settings, delivery=delivery
    )


def build_compute(
    scope: Construct, settings: ComputeSettings, queues: WorkQueues, max_tasks: int
) -> Compute:
    """Create the cluster (unless given), task definition, container and service.

    On Fargate (Spot) the service is a Fargate service; on GPU instances an EC2 service on the
    capacity provider of :mod:`sqs_scale_to_zero.capacity`, with room for ``max_tasks`` tasks.

    The service starts without a fixed desired count: CloudFormation creates it with one task,
    which the idle alarm removes after ``idle_timeout``, and later deploys keep whatever count
    the scaling policies set instead of resetting it. The rollout settings are explained in
    :mod:`sqs_scale_to_zero.deploy_drain`.
    """
    network = settings.network
    cluster = build_cluster(scope, network, settings.task.log_retention)
    task = build_task(
        scope,
        settings.task,
        cluster=cluster,
        queue=queues.queue,
        visibility_timeout_seconds=queues.visibility_timeout_seconds,
        dead_letter_queue=queues.dead_letter_target,
        gpu_count=settings.capacity.gpu_count,
        delivery=settings.delivery,
    )
    if settings.capacity.on_instances:
        return _build_instance_service(scope, settings, cluster, task, max_tasks)
    strategies = network.capacity_provider_strategies or (
        [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]
        if settings.capacity.capacity.kind is CapacityKind.FARGATE_SPOT
        else None
    )
    service = ecs.FargateService(
        scope,
        "Service",
        cluster=cluster,
        task_definition=task.task_definition,
        assign_public_ip=network.assign_public_ip,
        vpc_subnets=task_subnets(network),
        security_groups=list(network.security_groups) if network.security_groups else None,
        capacity_provider_strategies=list(strategies) if strategies else None,
        platform_version=network.platform_version,
        **_rollout(),
    )
    return _compute(cluster, task, service)


def _rollout() -> dict[str, Any]:
    """The rollout settings every service gets (:mod:`sqs_scale_to_zero.deploy_drain`)."""
    return {
        "min_healthy_percent": MIN_HEALTHY_PERCENT,
        "max_healthy_percent": MAX_HEALTHY_PERCENT,
        "circuit_breaker": ecs.DeploymentCircuitBreaker(rollback=True),
    }


def _build_instance_service(
    scope: Construct,
    settings: ComputeSettings,
    cluster: ecs.ICluster,
    task: WorkerTask,
    max_tasks: int,
) -> Compute:
    """The GPU instances, their capacity provider and an EC2 service placed on it."""
    assert isinstance(cluster, ecs.Cluster)  # resolve_capacity refuses an imported cluster
    network = settings.network
    instances = build_gpu_instances(
        scope,
        settings.capacity,
        cluster=cluster,
        subnets=task_subnets(network),
        security_groups=list(network.security_groups or ()),
        assign_public_ip=network.assign_public_ip,
        max_tasks=max_tasks,
    )
    service = ecs.Ec2Service(
        scope,
        "Service",
        cluster=cluster,
        task_definition=task.task_definition,
        capacity_provider_strategies=[capacity_provider_strategy(instances)],
        placement_strategies=placement_strategies(),
        **_rollout(),
    )
    return _compute(cluster, task, service, instances)


def _compute(
    cluster: ecs.ICluster,
    task: WorkerTask,
    service: ecs.BaseService,
    instances: Optional[GpuInstances] = None,
) -> Compute:
    """The composed resources, from the task, its service and the instances if any."""
    return Compute(
        cluster=cluster,
        task_definition=task.task_definition,
        container=task.container,
        log_group=task.log_group,
        service=service,
        runtime_container=task.runtime_container,
        runtime_host=task.runtime_host,
        auto_scaling_group=instances.auto_scaling_group if instances else None,
        capacity_provider=instances.capacity_provider if instances else None,
    )
