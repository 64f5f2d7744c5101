"""The scaling part: the scalable target, scale-out by backlog, and the scale-in to zero.

Props: ``min_capacity``, ``max_capacity``, ``messages_per_task``, ``scale_out_steps``, ``scale_out_cooldown``,
``idle_timeout``,
``idle_cpu_threshold_percent``, ``scale_in_on_cpu_only``, ``gradual_scale_in`` and
``gradual_scale_in_cooldown``.

How the service scales, all on one-minute CloudWatch periods:

* **Wake and scale out** (:mod:`.scale_out`). An alarm that breaches at ``>= 1`` while a message
  is visible (Maximum, 1 minute) — not ``> 1``, which never wakes for one message — drives a
  ``ChangeInCapacity`` step policy: by default one step per task level sizes the service to the backlog
  (:mod:`.sizing`); fixed ``scale_out_steps`` replace it (:mod:`.steps`). Missing data is
  ``notBreaching``: no data never scales out, and it never blocks a wake either, because the
  first datapoint that shows a message alarms.
* **Scale in to zero** (:mod:`.idle`), or to ``min_capacity`` warm tasks. One metric-math alarm
  drives an ``ExactCapacity`` policy (to ``min_capacity``) whose single step ``[0, +inf)`` matches
  every breach (a breach that matches no step scales
  nothing). It breaches only when every one of ``idle_timeout`` minutes was idle: no message
  sent, received or deleted, none visible or in flight, and the service's CPU idle
  (:func:`.idle.idle_condition`).
* Nothing else reduces capacity: there is no CPU target tracking. A gradual scale-in
  (N -> N-1) exists only on request, and only beside ECS task scale-in protection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from sqs_scale_to_zero.backlog import BacklogMetrics
from sqs_scale_to_zero.checks import (
    optional_bool,
    optional_duration,
    optional_int,
    optional_number,
    optional_sequence,
    whole_minutes,
    whole_seconds,
)
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.scaling.idle import (
    IdleCondition,
    cpu_only_scale_in_alarm,
    gradual_scale_in,
    idle_condition,
    idle_scale_in_alarm,
)
from sqs_scale_to_zero.scaling.scale_out import build_scale_out
from sqs_scale_to_zero.scaling.sizing import (
    COVERED_SIZING_COOLDOWN_SECONDS,
    resolve_messages_per_task,
    sizing_steps,
)
from sqs_scale_to_zero.scaling.steps import (
    ScaleOutStep,
    resolve_scale_out_steps,
)

DEFAULT_MIN_CAPACITY = 0
"""Tasks kept running while the queue is idle: none, so an idle service costs nothing."""
DEFAULT_MAX_CAPACITY = 4
DEFAULT_MESSAGES_PER_TASK = 3
DEFAULT_SIZING_COOLDOWN = Duration.minutes(10)
"""The scale-out cooldown when sizing by backlog: the window within which the service is
sized to the largest backlog seen, adding only the difference."""
DEFAULT_IDLE_TIMEOUT = Duration.minutes(5)
DEFAULT_IDLE_CPU_THRESHOLD_PERCENT = 5.0
DEFAULT_SCALE_OUT_COOLDOWN = Duration.minutes(3)
"""The scale-out cooldown with fixed ``scale_out_steps``: covers a Fargate task start plus the
SQS metric delay, so one message starts one task."""
DEFAULT_GRADUAL_SCALE_IN_COOLDOWN = Duration.minutes(5)


@dataclass(frozen=True)
class ScalingSettings:
    """Capacity bounds, scale-out steps and the scale-in-to-zero condition, validated."""

    min_capacity: int
    """Tasks kept warm; the idle scale-in goes down to this many."""
    max_capacity: int
    messages_per_task: Optional[int]
    """The backlog one task carries; ``None`` with fixed ``scale_out_steps``."""
    scale_out_steps: tuple[ScaleOutStep, ...]
    scale_out_cooldown: Duration
    idle_timeout_minutes: int
    idle_cpu_threshold_percent: Optional[float]
    scale_in_on_cpu_only: bool
    gradual_scale_in_minutes: Optional[int]
    """The gradual scale-in's period; ``None`` when ``gradual_scale_in`` is off."""


@dataclass(frozen=True)
class Scaling:
    """The composed scaling resources."""

    scalable_target: appscaling.ScalableTarget
    scale_out_alarm: cloudwatch.Alarm
    scale_out_action: appscaling.StepScalingAction
    scale_in_alarm: cloudwatch.Alarm
    scale_in_action: appscaling.StepScalingAction
    gradual_scale_in_alarm: Optional[cloudwatch.Alarm]
    idle: IdleCondition
    """The definition of an idle minute, shared with the monitoring alarms."""

    @property
    def alarms(self) -> tuple[cloudwatch.Alarm, ...]:
        """The scaling alarms: scale-out, scale-in and, if any, gradual scale-in."""
        return (self.scale_out_alarm, self.scale_in_alarm) + (
            (self.gradual_scale_in_alarm,) if self.gradual_scale_in_alarm else ()
        )


def resolve_scaling(
    *,
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
    task_protection: bool,
    desired_count_published: bool,
) -> ScalingSettings:
    """Validate the scaling props and resolve their defaults.

    Args:
        min_capacity: As on the construct.
        max_capacity: As on the construct.
        messages_per_task: As on the construct.
        scale_out_steps: As on the construct.
        scale_out_cooldown: As on the construct.
        idle_timeout: As on the construct.
        idle_cpu_threshold_percent: As on the construct; ``None`` turns the CPU condition off.
        scale_in_on_cpu_only: As on the construct.
        gradual_scale_in: As on the construct.
        gradual_scale_in_cooldown: As on the construct.
        task_protection: The resolved ``task_protection``, which gradual scale-in needs.
        desired_count_published: Whether a desired-count metric exists (the backlog signal,
            or Container Insights on a cluster the construct creates): sizing then reads the
            backlog the desired tasks don't cover, on a shorter cooldown.

    Raises:
        ScaleToZeroValidationError: For the first invalid prop, naming it and the fix.
    """
    min_capacity = optional_int("min_capacity", min_capacity)
    max_capacity = optional_int("max_capacity", max_capacity)
    intervals = optional_sequence(
        "scale_out_steps", scale_out_steps, "[ScalingInterval(lower=1, change=1)]"
    )
    scale_out_cooldown = optional_duration("scale_out_cooldown", scale_out_cooldown)
    idle_timeout = optional_duration("idle_timeout", idle_timeout)
    idle_cpu_threshold_percent = optional_number(
        "idle_cpu_threshold_percent", idle_cpu_threshold_percent
    )
    scale_in_on_cpu_only = optional_bool("scale_in_on_cpu_only", scale_in_on_cpu_only)
    gradual_scale_in = optional_bool("gradual_scale_in", gradual_scale_in)
    gradual_scale_in_cooldown = optional_duration(
        "gradual_scale_in_cooldown", gradual_scale_in_cooldown
    )
    resolved_max = DEFAULT_MAX_CAPACITY if max_capacity is None else max_capacity
    if resolved_max < 1:
        raise ScaleToZeroValidationError(
            "max_capacity",
            f"must be at least 1 (got {resolved_max}): raise it, or omit it for the default "
            f"{DEFAULT_MAX_CAPACITY}",
        )
    resolved_min = DEFAULT_MIN_CAPACITY if min_capacity is None else min_capacity
    if not 0 <= resolved_min <= resolved_max:
        raise ScaleToZeroValidationError(
            "min_capacity",
            f"must be from 0 to max_capacity ({resolved_max}), got {resolved_min}: 0 scales to "
            "zero, more keeps that many tasks warm; raise max_capacity for more",
        )
    if intervals is not None and messages_per_task is not None:
        raise ScaleToZeroValidationError(
            "messages_per_task",
            "cannot be combined with scale_out_steps: size the fleet by backlog "
            "(messages_per_task) or add fixed steps (scale_out_steps), not both",
        )
    per_task: Optional[int] = None
    if intervals is None:
        per_task = resolve_messages_per_task(
            DEFAULT_MESSAGES_PER_TASK if messages_per_task is None else messages_per_task
        )
        steps = sizing_steps(per_task, resolved_max)
        default_cooldown = (
            Duration.seconds(COVERED_SIZING_COOLDOWN_SECONDS)
            if desired_count_published
            else DEFAULT_SIZING_COOLDOWN
        )
    else:
        steps = resolve_scale_out_steps(intervals)
        default_cooldown = DEFAULT_SCALE_OUT_COOLDOWN
    resolved_cooldown = scale_out_cooldown or default_cooldown
    if whole_seconds("scale_out_cooldown", resolved_cooldown) < 0:
        raise ScaleToZeroValidationError("scale_out_cooldown", "must not be negative")
    idle_minutes = whole_minutes("idle_timeout", idle_timeout or DEFAULT_IDLE_TIMEOUT)
    if idle_cpu_threshold_percent is not None and not 0 <= idle_cpu_threshold_percent <= 100:
        raise ScaleToZeroValidationError(
            "idle_cpu_threshold_percent",
            f"must be between 0 and 100 (got {idle_cpu_threshold_percent:g}), or None to scale "
            "in on the backlog alone",
        )
    cpu_only = bool(scale_in_on_cpu_only)
    if cpu_only and idle_cpu_threshold_percent is None:
        raise ScaleToZeroValidationError(
            "idle_cpu_threshold_percent",
            "must be set when scale_in_on_cpu_only=True: the CPU threshold is then the only "
            "scale-in condition (the seed blog used 0.01)",
        )
    gradual = bool(gradual_scale_in)
    if gradual and not task_protection:
        raise ScaleToZeroValidationError(
            "gradual_scale_in",
            "needs task_protection=True: without ECS task scale-in protection a gradual scale-in "
            "stops tasks in the middle of a message",
        )
    gradual_minutes = whole_minutes(
        "gradual_scale_in_cooldown", gradual_scale_in_cooldown or DEFAULT_GRADUAL_SCALE_IN_COOLDOWN
    )
    return ScalingSettings(
        min_capacity=resolved_min,
        max_capacity=resolved_max,
        messages_per_task=per_task,
        scale_out_steps=steps,
        scale_out_cooldown=resolved_cooldown,
        idle_timeout_minutes=idle_minutes,
        idle_cpu_threshold_percent=idle_cpu_threshold_percent,
        scale_in_on_cpu_only=cpu_only,
        gradual_scale_in_minutes=gradual_minutes if gradual else None,
    )


def build_scaling(
    scope: Construct,
    settings: ScalingSettings,
    service: ecs.BaseService,
    backlog: BacklogMetrics,
    *,
    scale_out_minutes: int = 1,
) -> Scaling:
    """Create the scalable target of ``service`` and the policies and alarms that drive it.

    The policies reference the service's own scalable target, created here in the same
    template, so one ``cdk deploy`` is enough (no look-up by name, no second stage).

    Args:
        scope: The construct to add them to.
        settings: The resolved scaling settings.
        service: The service to scale.
        backlog: The metrics the alarms read.
        scale_out_minutes: Consecutive breaching minutes before the scale-out alarm acts.
            2 where a function wakes the service from zero while the alarm reads SQS's own
            gauges: SQS may sample a message in the minute before the function sees it, when
            no desired count is published yet, and that one stale minute must not add a
            second task; the minute after the wake carries the desired count. Default: 1.
    """
    target = appscaling.ScalableTarget(
        scope,
        "ScalableTarget",
        service_namespace=appscaling.ServiceNamespace.ECS,
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=f"service/{service.cluster.cluster_name}/{service.service_name}",
        min_capacity=settings.min_capacity,
        max_capacity=settings.max_capacity,
        role=_ecs_scaling_role(scope),
    )

    scale_out_action, scale_out_alarm = build_scale_out(
        scope,
        target,
        backlog,
        steps=settings.scale_out_steps,
        cooldown=settings.scale_out_cooldown,
        messages_per_task=settings.messages_per_task,
        max_capacity=settings.max_capacity,
        minutes=scale_out_minutes,
    )

    scale_in_action = appscaling.StepScalingAction(
        scope,
        "ScaleInToZeroPolicy",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
    )
    minutes = settings.idle_timeout_minutes
    idle = idle_condition(backlog, service, settings.idle_cpu_threshold_percent)
    if settings.scale_in_on_cpu_only:
        assert settings.idle_cpu_threshold_percent is not None  # checked in resolve_scaling
        scale_in_alarm = cpu_only_scale_in_alarm(
            scope,
            minutes=minutes,
            idle_cpu_threshold_percent=settings.idle_cpu_threshold_percent,
            service=service,
        )
        # The CPU alarm breaches at or below its threshold: the step covers (-inf, 0].
        scale_in_action.add_adjustment(adjustment=settings.min_capacity, upper_bound=0)
    else:
        scale_in_alarm = idle_scale_in_alarm(
            scope,
            minutes=minutes,
            idle=idle,
        )
        # Every breach of `idle >= 1` is at or above the threshold: the step covers [0, +inf).
        scale_in_action.add_adjustment(adjustment=settings.min_capacity, lower_bound=0)
    scale_in_alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(scale_in_action))

    gradual_alarm = (
        gradual_scale_in(
            scope, minutes=settings.gradual_scale_in_minutes, target=target, backlog=backlog
        )
        if settings.gradual_scale_in_minutes is not None
        else None
    )
    return Scaling(
        scalable_target=target,
        scale_out_alarm=scale_out_alarm,
        scale_out_action=scale_out_action,
        scale_in_alarm=scale_in_alarm,
        scale_in_action=scale_in_action,
        gradual_scale_in_alarm=gradual_alarm,
        idle=idle,
    )


def _ecs_scaling_role(scope: Construct) -> iam.IRole:
    """The service-linked role Application Auto Scaling uses for ECS (as ``auto_scale_task_count``)."""
    stack = Stack.of(scope)
    return iam.Role.from_role_arn(
        scope,
        "ScalingRole",
        stack.format_arn(
            region="",
            service="iam",
            resource="role/aws-service-role/ecs.application-autoscaling.amazonaws.com",
            resource_name="AWSServiceRoleForApplicationAutoScaling_ECSService",
        ),
    )
