"""The construct's parts, built in order from the resolved settings: the resources it exposes.

The order matters: the compute reads the queues, the deploy drain the service, the wake function
the service and queue, the scaling the wake's metrics, and the fast wake the scaling's idle alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from aws_cdk import CfnOutput
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

from sqs_scale_to_zero.advice import warn_surprising_values
from sqs_scale_to_zero.backlog import BacklogMetrics
from sqs_scale_to_zero.compute import build_compute
from sqs_scale_to_zero.delivery.settings import DeliveryMode
from sqs_scale_to_zero.deploy_drain import build_deploy_drain
from sqs_scale_to_zero.monitoring import build_monitoring
from sqs_scale_to_zero.monitoring.monitored import MonitoredService
from sqs_scale_to_zero.queue import build_queues
from sqs_scale_to_zero.scaling import build_scaling
from sqs_scale_to_zero.scaling.not_receiving import scale_in_when_not_receiving
from sqs_scale_to_zero.schedules.builder import build_schedules
from sqs_scale_to_zero.service_settings import ServiceSettings
from sqs_scale_to_zero.topics.subscriptions import build_topics
from sqs_scale_to_zero.wake import build_wake, finish_wake


@dataclass(frozen=True)
class ServiceParts:
    """The composed resources, one field per attribute of ``ScaleToZeroQueueService``.

    The construct documents each one; it sets each of its attributes from the field of the same
    name.
    """

    queue: sqs.IQueue
    dead_letter_queue: Optional[sqs.IQueue]
    topic_subscriptions: list[sns.Subscription]
    schedules: list[scheduler.Schedule]
    cluster: ecs.ICluster
    task_definition: ecs.TaskDefinition
    container: ecs.ContainerDefinition
    runtime_container: Optional[ecs.ContainerDefinition]
    log_group: logs.LogGroup
    service: ecs.BaseService
    auto_scaling_group: Optional[autoscaling.AutoScalingGroup]
    capacity_provider: Optional[ecs.AsgCapacityProvider]
    scalable_target: appscaling.ScalableTarget
    scale_out_alarm: cloudwatch.Alarm
    scale_out_action: appscaling.StepScalingAction
    scale_in_alarm: cloudwatch.Alarm
    scale_in_action: appscaling.StepScalingAction
    gradual_scale_in_alarm: Optional[cloudwatch.Alarm]
    backlog_metrics: BacklogMetrics
    wake_function: Optional[lambda_.Function]
    dashboard: Optional[cloudwatch.Dashboard]
    dead_letter_queue_alarm: Optional[cloudwatch.Alarm]
    oldest_message_age_alarm: Optional[cloudwatch.Alarm]
    tasks_on_empty_queue_alarm: Optional[cloudwatch.Alarm]
    backlog_signal_alarm: Optional[cloudwatch.Alarm]
    tasks_not_receiving_alarm: Optional[cloudwatch.Alarm]


def build_parts(scope: Construct, settings: ServiceSettings) -> ServiceParts:
    """Build every part into ``scope`` from ``settings``, in order, and the stack's outputs."""
    warn_surprising_values(
        scope, settings.queue, settings.task, settings.compute, settings.scaling.max_capacity
    )
    settings.delivery.warn_about(scope)

    queues = build_queues(scope, settings.queue)
    queue = queues.queue
    dead_letter_queue = queues.dead_letter_queue
    topic_subscriptions = build_topics(scope, settings.topics, queue)
    schedules = build_schedules(scope, settings.schedules, queue)

    compute = build_compute(scope, settings.compute, queues, settings.scaling.max_capacity)
    cluster = compute.cluster
    task_definition = compute.task_definition
    container = compute.container
    log_group = compute.log_group
    service = compute.service
    auto_scaling_group = compute.auto_scaling_group
    capacity_provider = compute.capacity_provider
    runtime_container = compute.runtime_container
    if compute.runtime_host is not None:
        build_deploy_drain(
            scope,
            service=service,
            container=compute.runtime_host,
            max_capacity=settings.scaling.max_capacity,
        )

    wiring = build_wake(
        scope,
        settings.wake,
        queue,
        service,
        log_retention=settings.task.log_retention,
        backlog_sizing=settings.scaling.messages_per_task is not None,
        container_insights=settings.network.has_container_insights,
    )
    wake_function = wiring.function.function if wiring.function else None
    backlog_metrics = wiring.metrics
    scaling = build_scaling(
        scope,
        settings.scaling,
        service,
        backlog_metrics,
        scale_out_minutes=wiring.scale_out_minutes,
    )
    finish_wake(
        wiring,
        service,
        scaling.scale_in_alarm,
        messages_per_task=settings.scaling.messages_per_task,
        max_capacity=settings.scaling.max_capacity,
        auto_scaling_group=compute.auto_scaling_group,
        tasks_per_instance=settings.compute.capacity.tasks_per_instance,
    )
    scalable_target = scaling.scalable_target
    scale_out_alarm = scaling.scale_out_alarm
    scale_out_action = scaling.scale_out_action
    scale_in_alarm = scaling.scale_in_alarm
    scale_in_action = scaling.scale_in_action
    gradual_scale_in_alarm = scaling.gradual_scale_in_alarm

    dashboard = None
    dead_letter_queue_alarm = None
    oldest_message_age_alarm = None
    tasks_on_empty_queue_alarm = None
    backlog_signal_alarm = None
    tasks_not_receiving_alarm = None
    if settings.monitoring is not None:
        built = build_monitoring(
            scope,
            settings.monitoring,
            MonitoredService(
                queue=queue,
                dead_letter_queue=dead_letter_queue,
                service=service,
                backlog=backlog_metrics,
                # Only the fresh signal's function blinds the alarms when it fails; a failed
                # fast wake falls back to the scale-out alarm (and the oldest-message alarm).
                wake_function=(wake_function if settings.wake.publishes_backlog else None),
                scaling_alarms=scaling.alarms,
                idle=scaling.idle,
                warm_tasks=settings.scaling.min_capacity,
                scales_in_tasks_not_working=settings.task.task_protection,
                holds_messages_in_flight=settings.delivery.mode is not DeliveryMode.OWN_CONSUMER,
            ),
        )
        dashboard = built.dashboard
        dead_letter_queue_alarm = built.alarms.dead_letter_queue_alarm
        oldest_message_age_alarm = built.alarms.oldest_message_age_alarm
        tasks_on_empty_queue_alarm = built.alarms.tasks_on_empty_queue_alarm
        backlog_signal_alarm = built.alarms.backlog_signal_alarm
        tasks_not_receiving_alarm = built.alarms.tasks_not_receiving_alarm
        if tasks_not_receiving_alarm is not None and settings.task.task_protection:
            scale_in_when_not_receiving(
                scope,
                target=scalable_target,
                alarm=tasks_not_receiving_alarm,
                min_capacity=settings.scaling.min_capacity,
            )

    CfnOutput(scope, "QueueUrl", value=queue.queue_url, description="URL of the work queue")
    CfnOutput(scope, "QueueArn", value=queue.queue_arn, description="ARN of the work queue")

    return ServiceParts(
        queue=queue,
        dead_letter_queue=dead_letter_queue,
        topic_subscriptions=topic_subscriptions,
        schedules=schedules,
        cluster=cluster,
        task_definition=task_definition,
        container=container,
        runtime_container=runtime_container,
        log_group=log_group,
        service=service,
        auto_scaling_group=auto_scaling_group,
        capacity_provider=capacity_provider,
        scalable_target=scalable_target,
        scale_out_alarm=scale_out_alarm,
        scale_out_action=scale_out_action,
        scale_in_alarm=scale_in_alarm,
        scale_in_action=scale_in_action,
        gradual_scale_in_alarm=gradual_scale_in_alarm,
        backlog_metrics=backlog_metrics,
        wake_function=wake_function,
        dashboard=dashboard,
        dead_letter_queue_alarm=dead_letter_queue_alarm,
        oldest_message_age_alarm=oldest_message_age_alarm,
        tasks_on_empty_queue_alarm=tasks_on_empty_queue_alarm,
        backlog_signal_alarm=backlog_signal_alarm,
        tasks_not_receiving_alarm=tasks_not_receiving_alarm,
    )
