"""The compute part: the Fargate service, its task definition and container, and its cluster.

Two rooms, one per concept: :mod:`.task` (the task definition and the worker container) and
:mod:`.network` (the cluster, VPC, subnets and capacity). This module checks what spans both
and builds the service that joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from sqs_scale_to_zero.architecture import architecture_name
from sqs_scale_to_zero.compute.network import (
    NetworkSettings,
    build_cluster,
    resolve_network,
    task_subnets,
)
from sqs_scale_to_zero.compute.task import (
    TaskSettings,
    build_task,
    resolve_task,
)
from sqs_scale_to_zero.delivery import DeliverySettings
from sqs_scale_to_zero.deployment import MAX_HEALTHY_PERCENT, MIN_HEALTHY_PERCENT
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
    """The task and the network it runs in, validated together."""

    task: TaskSettings
    network: NetworkSettings
    delivery: DeliverySettings


@dataclass(frozen=True)
class Compute:
    """The composed Fargate resources."""

    cluster: ecs.ICluster
    task_definition: ecs.FargateTaskDefinition
    container: ecs.ContainerDefinition
    log_group: logs.LogGroup
    service: ecs.FargateService
    runtime_container: Optional[ecs.ContainerDefinition]
    """The worker runtime's own container with HTTP delivery; else ``None``."""
    runtime_host: Optional[ecs.ContainerDefinition]
    """The container the worker runtime runs in; ``None`` with the user's own consumer."""


def resolve_compute(
    task: TaskSettings, network: NetworkSettings, delivery: DeliverySettings
) -> ComputeSettings:
    """Check what the task and the network settings must agree on.

    Raises:
        ScaleToZeroValidationError: ARM64 tasks on Fargate Spot.
    """
    if network.uses_spot and architecture_name(task.cpu_architecture) == "ARM64":
        raise ScaleToZeroValidationError(
            "capacity_provider_strategies",
            "FARGATE_SPOT runs only X86_64 Linux tasks (Amazon ECS developer guide, Fargate "
            "capacity providers): use FARGATE with cpu_architecture=ARM64, or X86_64 on Spot",
        )
    return ComputeSettings(task=task, network=network, delivery=delivery)


def build_compute(scope: Construct, settings: ComputeSettings, queues: WorkQueues) -> Compute:
    """Create the cluster (unless given), task definition, container and Fargate service.

    The service starts without a fixed desired count: CloudFormation creates it with one task,
    which the idle alarm removes after ``idle_timeout``, and later deploys keep whatever count
    the scaling policies set instead of resetting it. The rollout settings are explained in
    :mod:`sqs_scale_to_zero.deployment`.
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
        delivery=settings.delivery,
    )
    service = ecs.FargateService(
        scope,
        "Service",
        cluster=cluster,
        task_definition=task.task_definition,
        assign_public_ip=network.assign_public_ip,
        vpc_subnets=task_subnets(network),
        security_groups=list(network.security_groups) if network.security_groups else None,
        capacity_provider_strategies=(
            list(network.capacity_provider_strategies)
            if network.capacity_provider_strategies
            else None
        ),
        platform_version=network.platform_version,
        min_healthy_percent=MIN_HEALTHY_PERCENT,
        max_healthy_percent=MAX_HEALTHY_PERCENT,
        circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
    )
    return Compute(
        cluster=cluster,
        task_definition=task.task_definition,
        container=task.container,
        log_group=task.log_group,
        service=service,
        runtime_container=task.runtime_container,
        runtime_host=task.runtime_host,
    )
