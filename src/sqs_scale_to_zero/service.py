"""``ScaleToZeroQueueService``: the L3 construct. It only composes the parts."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Optional, Union

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

from sqs_scale_to_zero.backlog import BacklogMetrics
from sqs_scale_to_zero.capacity import Capacity
from sqs_scale_to_zero.delivery import HttpDelivery
from sqs_scale_to_zero.monitoring import MonitoringOptions
from sqs_scale_to_zero.scaling import DEFAULT_IDLE_CPU_THRESHOLD_PERCENT
from sqs_scale_to_zero.schedules.schedule import QueueSchedule
from sqs_scale_to_zero.service_parts import build_parts
from sqs_scale_to_zero.service_settings import resolve_service
from sqs_scale_to_zero.topics.subscriptions import TopicSubscription
from sqs_scale_to_zero.wake import Wake


class ScaleToZeroQueueService(Construct):
    """An SQS queue worker on ECS (Fargate, or GPU instances) that scales to zero while idle.

    One visible message wakes the service (a one-minute function sets its desired count to 1,
    then a task starts; see ``wake``); a step policy adds tasks for bigger backlogs; and one
    alarm sets the service to exactly 0 tasks only after ``idle_timeout`` of idle minutes: no
    message sent, received or deleted, none visible or in flight, and the tasks' CPU at rest.
    Nothing else removes tasks while work is in flight: there is no CPU target tracking, and the
    worker runtime (``sqs_scale_to_zero.worker``) holds ECS task scale-in protection while it
    works. Everything is created in one stack, so a single ``cdk deploy`` is enough.

    Example:
        ```python
        service = ScaleToZeroQueueService(
            self, "Thumbnails",
            image=ecs.ContainerImage.from_asset("worker/"),
            max_capacity=4,
        )
        service.queue.grant_send_messages(uploader_role)
        ```
    """

    queue: sqs.IQueue
    """The queue the service consumes: the one passed as ``queue``, or the one created."""
    dead_letter_queue: Optional[sqs.IQueue]
    """The dead-letter queue created with the queue; ``None`` when ``queue`` was passed."""
    topic_subscriptions: list[sns.Subscription]
    """The queue's subscriptions to the ``topics``, in their order; empty without topics."""
    schedules: list[scheduler.Schedule]
    """The EventBridge Scheduler schedules of the periodic tasks (``schedules``), in order."""

    cluster: ecs.ICluster
    """The cluster the service runs in: the one passed, or the one created."""
    task_definition: ecs.TaskDefinition
    """The task definition (Fargate, or EC2 on GPU instances); add containers, volumes or
    task-role grants here."""
    container: ecs.ContainerDefinition
    """The container of ``image``: the worker, or with ``http_delivery`` the app."""
    runtime_container: Optional[ecs.ContainerDefinition]
    """The worker runtime's container beside the app with ``http_delivery``; else ``None``."""
    log_group: logs.LogGroup
    """The CloudWatch Logs group of the worker container."""
    service: ecs.BaseService
    """The ECS service (``ecs.FargateService``, or ``ecs.Ec2Service`` on GPU instances); its
    desired count belongs to the scaling policies."""
    auto_scaling_group: Optional[autoscaling.AutoScalingGroup]
    """The GPU instances' Auto Scaling group with ``capacity=Capacity.gpu_instances(...)``;
    else ``None``."""
    capacity_provider: Optional[ecs.AsgCapacityProvider]
    """The GPU instances' capacity provider (managed scaling and termination protection) with
    ``capacity=Capacity.gpu_instances(...)``; else ``None``."""

    scalable_target: appscaling.ScalableTarget
    """The service's scalable target (min ``min_capacity``, max ``max_capacity``); add policies
    or scheduled actions to it."""
    scale_out_alarm: cloudwatch.Alarm
    """Alarm on visible messages (Maximum, 1 minute, ``>= 1``) that drives the scale-out steps."""
    scale_out_action: appscaling.StepScalingAction
    """The ``ChangeInCapacity`` step policy the scale-out alarm invokes."""
    scale_in_alarm: cloudwatch.Alarm
    """The idle alarm that sets the service to 0 tasks: every minute of ``idle_timeout`` had no
    message sent, received or deleted, none visible or in flight, and idle CPU."""
    scale_in_action: appscaling.StepScalingAction
    """The ``ExactCapacity`` 0 step policy the scale-in alarm invokes."""
    gradual_scale_in_alarm: Optional[cloudwatch.Alarm]
    """The N -> N-1 alarm, when ``gradual_scale_in=True``; else ``None``."""

    backlog_metrics: BacklogMetrics
    """The metrics every scaling and monitoring alarm reads: the visible and in-flight gauges
    (SQS's own, or the fresh backlog signal's with ``wake=Wake.FRESH_SIGNAL``) and SQS's
    per-minute sent, received and deleted sums."""
    wake_function: Optional[lambda_.Function]
    """The wake function (it reads the queue every minute, wakes the service, and with
    ``Wake.FRESH_SIGNAL`` publishes the backlog signal); ``None`` with ``wake=Wake.ON_ALARM``."""

    dashboard: Optional[cloudwatch.Dashboard]
    """The CloudWatch dashboard; ``None`` when ``monitoring=False``."""
    dead_letter_queue_alarm: Optional[cloudwatch.Alarm]
    """Alarm: the DLQ holds a message. ``None`` with monitoring off or a brought ``queue``."""
    oldest_message_age_alarm: Optional[cloudwatch.Alarm]
    """Alarm: the oldest message waited far longer than a wake takes. ``None`` with monitoring
    off."""
    tasks_on_empty_queue_alarm: Optional[cloudwatch.Alarm]
    """Alarm: tasks ran on an idle queue (idle as ``scale_in_alarm`` defines it) for 3x
    ``idle_timeout`` (at most one day). The same alarm as ``tasks_not_receiving_alarm`` where
    both are made (the default): it flags either. ``None`` with monitoring off,
    ``MonitoringOptions(tasks_on_empty_queue_alarm=False)``, or an ``idle_timeout`` too close to
    one day to leave room for it."""
    backlog_signal_alarm: Optional[cloudwatch.Alarm]
    """Alarm: the backlog signal function failed or did not run for 5 minutes. ``None`` unless
    ``wake=Wake.FRESH_SIGNAL`` with monitoring on."""
    tasks_not_receiving_alarm: Optional[cloudwatch.Alarm]
    """Alarm: tasks ran for 10 minutes at least (the ``tasks_on_empty_queue_alarm`` window
    where that is longer) while messages waited, none in flight and none received (a task that
    crashes at start or cannot receive). With ``task_protection`` it also sets the service to
    ``min_capacity``. The same alarm as ``tasks_on_empty_queue_alarm`` where both are made.
    ``None`` with monitoring off, ``MonitoringOptions(tasks_not_receiving_alarm=False)``, and
    with ``own_consumer`` (whose long job may be visible again while it runs)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: ecs.ContainerImage,
        queue: Optional[sqs.IQueue] = None,
        queue_name: Optional[str] = None,
        fifo: Optional[bool] = None,
        content_based_deduplication: Optional[bool] = None,
        encryption_key: Optional[kms.IKey] = None,
        visibility_timeout: Optional[Duration] = None,
        retention_period: Optional[Duration] = None,
        max_receive_count: Optional[int] = None,
        topics: Optional[Sequence[TopicSubscription]] = None,
        schedules: Optional[Sequence[QueueSchedule]] = None,
        command: Optional[Sequence[str]] = None,
        environment: Optional[Mapping[str, str]] = None,
        secrets: Optional[Mapping[str, ecs.Secret]] = None,
        cpu: Optional[int] = None,
        memory_limit_mib: Optional[int] = None,
        cpu_architecture: Optional[ecs.CpuArchitecture] = None,
        log_retention: Optional[logs.RetentionDays] = None,
        stop_timeout: Optional[Duration] = None,
        task_protection: Optional[bool] = None,
        cluster: Optional[ecs.ICluster] = None,
        vpc: Optional[ec2.IVpc] = None,
        vpc_subnets: Optional[ec2.SubnetSelection] = None,
        security_groups: Optional[Sequence[ec2.ISecurityGroup]] = None,
        assign_public_ip: Optional[bool] = None,
        capacity_provider_strategies: Optional[Sequence[ecs.CapacityProviderStrategy]] = None,
        capacity: Optional[Capacity] = None,
        gpu_count: Optional[int] = None,
        platform_version: Optional[ecs.FargatePlatformVersion] = None,
        container_insights: Optional[bool] = None,
        min_capacity: Optional[int] = None,
        max_capacity: Optional[int] = None,
        messages_per_task: Optional[int] = None,
        scale_out_steps: Optional[Sequence[appscaling.ScalingInterval]] = None,
        scale_out_cooldown: Optional[Duration] = None,
        idle_timeout: Optional[Duration] = None,
        idle_cpu_threshold_percent: Optional[float] = DEFAULT_IDLE_CPU_THRESHOLD_PERCENT,
        scale_in_on_cpu_only: Optional[bool] = None,
        gradual_scale_in: Optional[bool] = None,
        gradual_scale_in_cooldown: Optional[Duration] = None,
        monitoring: Union[bool, MonitoringOptions] = True,
        wake: Optional[Wake] = None,
        backlog_signal: Optional[bool] = None,
        http_delivery: Optional[HttpDelivery] = None,
        own_consumer: Optional[bool] = None,
    ) -> None:
        """Compose the queue, the Fargate service and its scaling.

        Args:
            scope: The parent construct.
            id: The construct id.
            image: The worker's container image, e.g. ``ecs.ContainerImage.from_asset("worker/")``.
                Required.
            queue: A queue to consume instead of creating one. If set, ``queue_name``, ``fifo``,
                ``content_based_deduplication``, ``encryption_key``, ``visibility_timeout``,
                ``retention_period`` and ``max_receive_count`` must be omitted: configure the
                queue where you create it. Default: a new queue with a dead-letter queue.
            queue_name: Name of the new queue; must end in ``.fifo`` exactly when ``fifo`` is
                true. The DLQ is named ``<name>-dlq``. Default: generated by CloudFormation.
            fifo: Make the queue and its DLQ FIFO queues. Default: False.
            content_based_deduplication: Deduplicate FIFO messages by a hash of their body
                (FIFO only). Without it, producers must send a ``MessageDeduplicationId``;
                synthesis warns so. Default: False.
            encryption_key: A KMS key (CMK) to encrypt both queues with; the task role may
                decrypt with it. Default: SQS-managed encryption (SSE-SQS).
            visibility_timeout: How long a received message stays hidden; the worker runtime
                extends it while a handler runs, so a few minutes suits long jobs too. Whole
                seconds, 1 second to 12 hours. Default: 5 minutes.
            retention_period: How long the queue keeps a message, 1 minute to 14 days. The DLQ
                always keeps messages 14 days. Default: 4 days.
            max_receive_count: Receives before a message moves to the DLQ, 1 to 1000.
                Default: 3.
            topics: SNS topics whose messages the queue receives (``TopicSubscription``: topic,
                filter policy and scope, raw delivery); the queue policy admits exactly these
                topics. FIFO topics need ``fifo=True``; the AWS managed key ``alias/aws/sqs``
                is refused. Default: none.
            schedules: Periodic tasks (``QueueSchedule``, or ``schedules_from_cron_yaml``):
                EventBridge Scheduler sends each a message marked with the task's name,
                scheduled time and path. On a FIFO queue each needs a ``message_group_id``.
                Default: none.
            command: The container's command, one string per argument, e.g.
                ``["python", "-m", "sqs_scale_to_zero.worker", "app:handle"]`` (a single string
                is refused; split it with ``shlex.split``). Default: the image's.
            environment: Extra environment variables, names and values strings. ``QUEUE_URL``,
                ``QUEUE_NAME`` and every ``SCALE_TO_ZERO_*`` name are reserved for what the
                construct sets, except the worker settings ``SCALE_TO_ZERO_CONCURRENCY``
                (handlers at once, e.g. ``"4"``) and ``SCALE_TO_ZERO_LOG_LEVEL`` (``DEBUG`` to
                ``CRITICAL``), which are checked here. Default: none.
            secrets: Environment variables read from SSM parameters or Secrets Manager at task
                start; the execution role may read (and decrypt) exactly these. Default: none.
            cpu: Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default: 256.
            memory_limit_mib: Task memory in MiB; must be a size Fargate offers for ``cpu``.
                Default: 512.
            cpu_architecture: ``ecs.CpuArchitecture.X86_64`` or ``ARM64`` (cheaper per hour;
                the image must be built for it). Default: X86_64.
            log_retention: Retention of the container's CloudWatch Logs group.
                Default: one month.
            stop_timeout: Time between SIGTERM and SIGKILL when ECS stops a task, at most 120 s
                on Fargate. The worker lets handlers finish for this minus 10 s, then releases
                unfinished messages. Default: 120 seconds.
            task_protection: Let the task role set ECS task scale-in protection (the worker
                runtime protects a task while it works on a message). Default: True.
            cluster: An ECS cluster to run in, e.g. from ``Cluster.from_cluster_attributes``.
                Default: a new cluster (in ``vpc``, or in a new VPC).
            vpc: A VPC for the new cluster; can't be combined with ``cluster``.
                Default: a new two-AZ VPC with public subnets only and no NAT gateway.
            vpc_subnets: Subnets for the tasks. Default: the private subnets of a given VPC (its
                public subnets with ``assign_public_ip=True``), or the public subnets of the
                VPC the construct creates.
            security_groups: Security groups for the tasks. Default: a new group that admits
                no inbound traffic.
            assign_public_ip: Give tasks a public IP. Must stay True in the VPC the construct
                creates (it has no NAT gateway). Default: True in the VPC the construct creates,
                False otherwise.
            capacity_provider_strategies: E.g. ``FARGATE_SPOT`` for lower cost (X86_64 only:
                Fargate Spot does not run ARM64 tasks); the cluster must have Fargate capacity
                providers (a cluster the construct creates has). Can't be combined with
                ``capacity``. Default: the FARGATE launch type.
            capacity: Where tasks run (see ``Capacity``): ``Capacity.fargate()``,
                ``Capacity.fargate_spot()`` (X86_64 only), or
                ``Capacity.gpu_instances(instance_type=...)``, NVIDIA GPU instances that ECS
                scales to zero once no task runs; there ``vpc_subnets``, ``security_groups`` and
                ``assign_public_ip`` apply to the instances, and tasks use their network (bridge
                mode). With ``cluster``, pass an ``ecs.Cluster`` of this app (the construct adds
                the capacity provider to it). Default: Fargate.
            gpu_count: GPUs each task reserves, at least 1 and at most the instance type's;
                only with ``capacity=Capacity.gpu_instances(...)`` (Fargate runs no GPU).
                Default: 1 on GPU instances.
            platform_version: Fargate platform version. Default: LATEST.
            container_insights: Enable Container Insights on the cluster the construct creates
                (task counts, memory; billed as custom metrics, see the README's "Costs"). Only
                with no ``cluster``. Default: False.
            min_capacity: Tasks kept running while the queue is idle: the idle scale-in goes
                down to this many instead of zero, so they take a message at once, each at its
                Fargate price around the clock. For warm tasks only at some hours, leave this
                at 0 and add scheduled actions to ``scalable_target`` (``scale_on_schedule``
                with ``min_capacity``). From 0 to ``max_capacity``. Default: 0.
            max_capacity: Most tasks the service scales out to, at least 1. Synthesis warns,
                with the price, when that many tasks cost $10 an hour or more. Default: 4.
            messages_per_task: The backlog one task should carry: while a message waits, the
                service is sized to ``ceil((visible + in flight) / messages_per_task)`` tasks, up
                to ``max_capacity``, in one scaling action, and grows the same way if the backlog
                grows; nothing here ever removes a task. One visible message wakes one task. Can't
                be combined with ``scale_out_steps``. Default: 3.
            scale_out_steps: Fixed steps instead of backlog sizing: tasks to add per
                visible-message backlog, as ``ScalingInterval(lower=..., upper=..., change=...)``
                in absolute message counts, re-applied once per ``scale_out_cooldown``. Steps must
                start at ``lower=1`` (one message wakes the service), touch without gaps or
                overlaps, end unbounded, and add tasks (``change >= 1``); e.g.
                ``sqs_scale_to_zero.fixed_scale_out_steps()``. Can't be combined with
                ``messages_per_task``. Default: none (backlog sizing).
            scale_out_cooldown: With backlog sizing, the window in which the service is sized to
                the largest backlog seen (a bigger backlog adds only the difference); with fixed
                steps, the time before the same step adds tasks again (cover a task's start-up so
                one message doesn't start two tasks). Default: with backlog sizing, 4 minutes
                where the desired count is published (by the wake function, or by Container
                Insights on the construct's own cluster), else 10 minutes; 3 minutes with fixed
                steps.
            idle_timeout: How long the service must have been idle before it goes to 0 tasks:
                every minute with no message sent, received or deleted, none visible or in
                flight, and the tasks' CPU at rest. Whole minutes, 1 minute to 24 hours.
                Default: 5 minutes.
            idle_cpu_threshold_percent: Average service CPU (%) at or below which a minute
                counts as idle; ``None`` judges by the backlog alone. Default: 5.
            scale_in_on_cpu_only: Seed-blog parity: scale in on average CPU over one
                ``idle_timeout`` period at or below ``idle_cpu_threshold_percent`` alone,
                ignoring the backlog. This stops I/O-bound jobs that idle at ~0 % CPU unless the
                worker holds task protection; prefer the default. Default: False.
            gradual_scale_in: Also remove one task per ``gradual_scale_in_cooldown`` while
                nothing is visible but work is in flight. Requires ``task_protection``.
                Default: False (tasks are only removed all at once, when idle).
            gradual_scale_in_cooldown: Period of the gradual scale-in; whole minutes, 1 minute
                to 24 hours. Default: 5 minutes.
            monitoring: ``True`` for a dashboard and operational alarms (DLQ not empty, oldest
                message too old, tasks running on an empty queue) with default options, a
                ``MonitoringOptions`` to tune them (e.g. an SNS ``alarm_topic``), or ``False``
                for none. Default: True.
            wake: How the service wakes from zero tasks (see ``Wake``): ``Wake.FAST``, a
                one-minute function wakes it; ``Wake.FRESH_SIGNAL``, the same, and the scaling
                alarms read the backlog signal it publishes; ``Wake.ON_ALARM``, no function.
                Can't be combined with ``backlog_signal``. Default: ``Wake.FAST``.
            backlog_signal: The older switch, an alias: ``True`` is ``wake=Wake.FRESH_SIGNAL``,
                ``False`` is ``wake=Wake.ON_ALARM``. Default: None (``wake`` decides).
            http_delivery: Deliver each message over HTTP to the app in ``image``, in any
                language (see ``HttpDelivery``). ``command`` is then the app's;
                ``SCALE_TO_ZERO_CONCURRENCY`` and ``SCALE_TO_ZERO_LOG_LEVEL`` in ``environment``
                go to the runtime. Can't be combined with ``own_consumer``, a ``command`` that
                runs ``sqs_scale_to_zero.worker``, or ``capacity=Capacity.gpu_instances(...)``
                (bridge network mode). Default: none (``image`` runs the Python runtime).
            own_consumer: ``image`` consumes the queue itself, without the worker runtime (any
                language): it gets ``QUEUE_URL`` and ``QUEUE_NAME``, no ``SCALE_TO_ZERO_*``
                variable and none of the runtime's guarantees (task protection while it works,
                heartbeat, deploy drain, graceful stop), as ``sqs-scale-to-zero synth`` lists.
                Default: False (``image`` runs ``python -m sqs_scale_to_zero.worker``).

        Raises:
            ScaleToZeroValidationError: Before any child construct is created, for any invalid
                prop; the message names the prop and the fix.
        """
        # Every prop is resolved and checked here, before any child construct exists.
        settings = resolve_service(
            image=image,
            queue=queue,
            queue_name=queue_name,
            fifo=fifo,
            content_based_deduplication=content_based_deduplication,
            encryption_key=encryption_key,
            visibility_timeout=visibility_timeout,
            retention_period=retention_period,
            max_receive_count=max_receive_count,
            topics=topics,
            schedules=schedules,
            command=command,
            environment=environment,
            secrets=secrets,
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            cpu_architecture=cpu_architecture,
            log_retention=log_retention,
            stop_timeout=stop_timeout,
            task_protection=task_protection,
            cluster=cluster,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
            assign_public_ip=assign_public_ip,
            capacity_provider_strategies=capacity_provider_strategies,
            capacity=capacity,
            gpu_count=gpu_count,
            platform_version=platform_version,
            container_insights=container_insights,
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
            monitoring=monitoring,
            wake=wake,
            backlog_signal=backlog_signal,
            http_delivery=http_delivery,
            own_consumer=own_consumer,
        )
        super().__init__(scope, id)
        parts = build_parts(self, settings)
        for name, part in vars(parts).items():  # each attribute declared above, as built
            setattr(self, name, part)

    @property
    def backlog_signal_function(self) -> Optional[lambda_.Function]:
        """Deprecated: ``wake_function``'s older name (default: as ``wake_function``)."""
        warnings.warn(
            "backlog_signal_function is deprecated: use wake_function", DeprecationWarning, 2
        )
        return self.wake_function
