"""The construct's props, resolved: every part's settings, checked before any child construct.

``ScaleToZeroQueueService`` passes its props here with explicit keywords; each part resolves and
checks its own (its ``resolve_*`` function), in an order where a later part may read an earlier
part's result (the topics read the queue's, the scaling reads the wake's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional, Union

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero.capacity import Capacity
from sqs_scale_to_zero.compute import (
    ComputeSettings,
    resolve_compute,
    resolve_network,
    resolve_task,
)
from sqs_scale_to_zero.compute.network import NetworkSettings
from sqs_scale_to_zero.compute.task import TaskSettings
from sqs_scale_to_zero.delivery import DeliverySettings, HttpDelivery, resolve_delivery
from sqs_scale_to_zero.monitoring import MonitoringOptions, resolve_monitoring
from sqs_scale_to_zero.monitoring.monitored import MonitoringSettings
from sqs_scale_to_zero.queue import QueueSettings, resolve_queue
from sqs_scale_to_zero.scaling import ScalingSettings, resolve_scaling
from sqs_scale_to_zero.schedules.schedule import QueueSchedule, resolve_schedules
from sqs_scale_to_zero.topics.subscriptions import ResolvedTopic, TopicSubscription, resolve_topics
from sqs_scale_to_zero.wake import Wake, WakeSettings, resolve_wake


@dataclass(frozen=True)
class ServiceSettings:
    """Every part's resolved settings: what the construct builds its parts from."""

    queue: QueueSettings
    topics: list[ResolvedTopic]
    schedules: list[QueueSchedule]
    task: TaskSettings
    network: NetworkSettings
    delivery: DeliverySettings
    compute: ComputeSettings
    wake: WakeSettings
    scaling: ScalingSettings
    monitoring: Optional[MonitoringSettings]


def resolve_service(
    *,
    image: ecs.ContainerImage,
    queue: Optional[sqs.IQueue],
    queue_name: Optional[str],
    fifo: Optional[bool],
    content_based_deduplication: Optional[bool],
    encryption_key: Optional[kms.IKey],
    visibility_timeout: Optional[Duration],
    retention_period: Optional[Duration],
    max_receive_count: Optional[int],
    topics: Optional[Sequence[TopicSubscription]],
    schedules: Optional[Sequence[QueueSchedule]],
    command: Optional[Sequence[str]],
    environment: Optional[Mapping[str, str]],
    secrets: Optional[Mapping[str, ecs.Secret]],
    cpu: Optional[int],
    memory_limit_mib: Optional[int],
    cpu_architecture: Optional[ecs.CpuArchitecture],
    log_retention: Optional[logs.RetentionDays],
    stop_timeout: Optional[Duration],
    task_protection: Optional[bool],
    cluster: Optional[ecs.ICluster],
    vpc: Optional[ec2.IVpc],
    vpc_subnets: Optional[ec2.SubnetSelection],
    security_groups: Optional[Sequence[ec2.ISecurityGroup]],
    assign_public_ip: Optional[bool],
    capacity_provider_strategies: Optional[Sequence[ecs.CapacityProviderStrategy]],
    capacity: Optional[Capacity],
    gpu_count: Optional[int],
    platform_version: Optional[ecs.FargatePlatformVersion],
    container_insights: Optional[bool],
    min_capacity: Optional[int],
    max_capacity: Optional[int],
    messages_per_task: Optional[int],
    scale_out_steps: Optional[Sequence[appscaling.ScalingInterval]],
    scale_out_cooldown: Optional[Duration],
    idle_timeout: Optional[Duration],
    idle_cpu_threshold_percent: Optional[float],
    scale_in_on_cpu_only: Optional[bool],
    gradual_scale_in: Optional[bool],
    gradual_scale_in_cooldown: Optional[Duration],
    monitoring: Union[bool, MonitoringOptions],
    wake: Optional[Wake],
    backlog_signal: Optional[bool],
    http_delivery: Optional[HttpDelivery],
    own_consumer: Optional[bool],
) -> ServiceSettings:
    """Resolve and check every prop of ``ScaleToZeroQueueService`` (see it for each one).

    Raises:
        ScaleToZeroValidationError: For the first invalid prop, naming it and the fix.
    """
    queue_settings = resolve_queue(
        queue=queue,
        queue_name=queue_name,
        fifo=fifo,
        content_based_deduplication=content_based_deduplication,
        encryption_key=encryption_key,
        visibility_timeout=visibility_timeout,
        retention_period=retention_period,
        max_receive_count=max_receive_count,
    )
    topic_settings = resolve_topics(topics=topics, queue=queue_settings)
    schedule_settings = resolve_schedules(schedules=schedules, fifo=queue_settings.is_fifo)
    task_settings = resolve_task(
        image=image,
        command=command,
        environment=environment,
        secrets=secrets,
        cpu=cpu,
        memory_limit_mib=memory_limit_mib,
        cpu_architecture=cpu_architecture,
        log_retention=log_retention,
        stop_timeout=stop_timeout,
        task_protection=task_protection,
        on_fargate=not isinstance(capacity, Capacity) or not capacity.on_instances,
    )
    network_settings = resolve_network(
        cluster=cluster,
        vpc=vpc,
        vpc_subnets=vpc_subnets,
        security_groups=security_groups,
        assign_public_ip=assign_public_ip,
        capacity_provider_strategies=capacity_provider_strategies,
        platform_version=platform_version,
        container_insights=container_insights,
    )
    delivery_settings = resolve_delivery(
        http_delivery=http_delivery,
        own_consumer=own_consumer,
        command=task_settings.command,
        environment=task_settings.environment,
        cpu_architecture=task_settings.cpu_architecture,
    )
    compute_settings = resolve_compute(
        task_settings, network_settings, delivery_settings, capacity, gpu_count
    )
    wake_settings = resolve_wake(wake=wake, backlog_signal=backlog_signal)
    scaling_settings = resolve_scaling(
        min_capacity=min_capacity,
        max_capacity=max_capacity,
        messages_per_task=messages_per_task,
        scale_out_steps=scale_out_steps,
        scale_out_cooldown=scale_out_cooldown,
        idle_timeout=idle_timeout,
        idle_cpu_threshold_percent=idle_cpu_threshold_percent,
        scale_in_on_cpu_only=scale_in_on_cpu_only,
        gradual_scale_in=gradual_scale_in,
        gradual_scale_in_cooldown=gradual_scale_in_cooldown,
        task_protection=task_settings.task_protection,
        desired_count_published=(
            wake_settings.has_function or network_settings.has_container_insights
        ),
    )
    monitoring_settings = resolve_monitoring(
        monitoring=monitoring, idle_timeout_minutes=scaling_settings.idle_timeout_minutes
    )
    return ServiceSettings(
        queue=queue_settings,
        topics=topic_settings,
        schedules=schedule_settings,
        task=task_settings,
        network=network_settings,
        delivery=delivery_settings,
        compute=compute_settings,
        wake=wake_settings,
        scaling=scaling_settings,
        monitoring=monitoring_settings,
    )
