"""The scaling part: the scalable target, message-count scale-out steps and the scale-in to zero.

How the service scales, all on one-minute CloudWatch periods:

* **Wake and scale out.** An alarm on the queue's ``ApproximateNumberOfMessagesVisible``
  (Maximum, 1 minute) with ``>= 1`` — not ``> 1``, which never wakes for one message — drives a
  ``ChangeInCapacity`` step policy. Missing data is ``notBreaching``: no data never scales out,
  and it never blocks a wake either, because the first datapoint that shows a message alarms.
* **Scale in to zero.** One metric-math alarm drives an ``ExactCapacity`` policy whose single
  step ``[0, +inf)`` matches every breach (a breach that matches no step scales nothing). It
  breaches only when the backlog — visible *and* in flight — has been empty, and the service's
  CPU idle, for every one of ``idle_timeout`` minutes; see :func:`idle_expression` for why each
  input counts missing points the way it does.
* Nothing else reduces capacity: there is no CPU target tracking. A gradual scale-in
  (N -> N-1) exists only on request, and only beside ECS task scale-in protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.settings import ScaleOutStep, ScalingSettings

ONE_MINUTE = Duration.minutes(1)
SCALE_OUT_THRESHOLD = 1
"""Visible messages that wake the service: one message is enough."""
IDLE_THRESHOLD = 1
"""The idle expression is 1 for an idle minute and 0 otherwise."""


@dataclass(frozen=True)
class BacklogMetrics:
    """The queue-depth metrics both alarms read, so they can never disagree about the backlog."""

    visible: cloudwatch.IMetric
    in_flight: cloudwatch.IMetric
    published_when_empty: bool = False
    """True when a datapoint is published every minute even for an empty queue (the fresh
    backlog signal): a missing point then means the publisher failed, not that the queue is
    empty, and it must never count as idle."""

    @classmethod
    def of_queue(cls, queue: sqs.IQueue) -> BacklogMetrics:
        """SQS's own metrics for ``queue``: Maximum over one minute."""
        return cls(
            visible=queue.metric_approximate_number_of_messages_visible(
                period=ONE_MINUTE, statistic="Maximum"
            ),
            in_flight=queue.metric_approximate_number_of_messages_not_visible(
                period=ONE_MINUTE, statistic="Maximum"
            ),
        )


@dataclass(frozen=True)
class Scaling:
    """The composed scaling resources."""

    scalable_target: appscaling.ScalableTarget
    scale_out_alarm: cloudwatch.Alarm
    scale_out_action: appscaling.StepScalingAction
    scale_in_alarm: cloudwatch.Alarm
    scale_in_action: appscaling.StepScalingAction
    gradual_scale_in_alarm: Optional[cloudwatch.Alarm]


def build_scaling(
    scope: Construct,
    settings: ScalingSettings,
    service: ecs.FargateService,
    backlog: BacklogMetrics,
) -> Scaling:
    """Create the scalable target of ``service`` and the policies and alarms that drive it.

    The policies reference the service's own scalable target, created here in the same
    template, so one ``cdk deploy`` is enough (no look-up by name, no second stage).
    """
    target = appscaling.ScalableTarget(
        scope,
        "ScalableTarget",
        service_namespace=appscaling.ServiceNamespace.ECS,
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=f"service/{service.cluster.cluster_name}/{service.service_name}",
        min_capacity=0,
        max_capacity=settings.max_capacity,
        role=_ecs_scaling_role(scope),
    )

    scale_out_action = appscaling.StepScalingAction(
        scope,
        "ScaleOutPolicy",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        cooldown=settings.scale_out_cooldown,
    )
    for step in settings.scale_out_steps:
        lower, upper = relative_bounds(step)
        scale_out_action.add_adjustment(
            adjustment=step.change, lower_bound=lower, upper_bound=upper
        )
    scale_out_alarm = cloudwatch.Alarm(
        scope,
        "ScaleOutAlarm",
        alarm_description=(
            "Messages are waiting in the queue: add tasks (wakes the service from zero on one "
            "visible message)."
        ),
        metric=backlog.visible,
        threshold=SCALE_OUT_THRESHOLD,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    scale_out_alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(scale_out_action))

    scale_in_action = appscaling.StepScalingAction(
        scope,
        "ScaleInToZeroPolicy",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
    )
    if settings.scale_in_on_cpu_only:
        scale_in_alarm = _cpu_only_scale_in_alarm(scope, settings, service)
        # The CPU alarm breaches at or below its threshold: the step covers (-inf, 0].
        scale_in_action.add_adjustment(adjustment=0, upper_bound=0)
    else:
        scale_in_alarm = _idle_scale_in_alarm(scope, settings, service, backlog)
        # Every breach of `idle >= 1` is at or above the threshold: the step covers [0, +inf).
        scale_in_action.add_adjustment(adjustment=0, lower_bound=0)
    scale_in_alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(scale_in_action))

    gradual_alarm = (
        _gradual_scale_in(scope, settings, target, backlog) if settings.gradual_scale_in else None
    )
    return Scaling(
        scalable_target=target,
        scale_out_alarm=scale_out_alarm,
        scale_out_action=scale_out_action,
        scale_in_alarm=scale_in_alarm,
        scale_in_action=scale_in_action,
        gradual_scale_in_alarm=gradual_alarm,
    )


def relative_bounds(step: ScaleOutStep) -> tuple[float, Optional[float]]:
    """A step in visible messages as step-adjustment bounds relative to the alarm threshold."""
    lower = float(step.lower - SCALE_OUT_THRESHOLD)
    upper = None if step.upper is None else float(step.upper - SCALE_OUT_THRESHOLD)
    return lower, upper


def idle_expression(
    idle_cpu_threshold_percent: Optional[float], *, fill_backlog: bool = True
) -> str:
    """The metric-math expression that is 1 for an idle minute and 0 for a busy one.

    How missing points count, input by input:

    * ``visible`` and ``in_flight`` (SQS's own metrics) are the primary guard. A queue with no messages and no
      API calls for six hours is *inactive* and publishes no metrics at all, which must read as
      an empty queue, so they are ``FILL(..., 0)``. CloudWatch warns that ``FILL`` on a metric
      that arrives late makes the newest point look filled at every evaluation; here a late
      point can only ever look *empty*, and the alarm needs ``idle_timeout`` consecutive idle
      minutes, so a late point matters only after minutes that really were idle — and then the
      next on-time point, showing the message, turns the alarm back to OK before it has done
      harm. A task already working on such a message holds ECS task scale-in protection, which
      an ``ExactCapacity`` of 0 cannot override.
    * ``cpu`` (ECS) has no datapoints while no task runs, and may lag while tasks run. It is a
      secondary guard, for work the queue can't see (a handler that deleted its message early),
      so it is ``FILL(..., 0)`` too: a missing CPU point never keeps a service awake on its own.

    If every input is missing (an inactive queue and no task), the expression has no data at
    all; the alarm's ``TreatMissingData`` is ``breaching`` for exactly that case.

    With the fresh backlog signal (``fill_backlog=False``) the backlog is published every minute,
    zeros included, so a missing point means the publishing function failed: it is left missing
    (the minute is not idle) and the alarm treats missing data as ``notBreaching``. A broken
    signal therefore never scales a service with queued work to zero.

    Args:
        idle_cpu_threshold_percent: The CPU at or below which a minute counts as idle, or
            ``None`` to judge by the backlog alone.
        fill_backlog: Count a missing backlog point as an empty queue. Default: True.
    """
    backlog_empty = (
        "(FILL(visible, 0) + FILL(in_flight, 0)) == 0"
        if fill_backlog
        else "(visible + in_flight) == 0"
    )
    if idle_cpu_threshold_percent is None:
        return f"IF({backlog_empty}, 1, 0)"
    threshold = _decimal(idle_cpu_threshold_percent)
    return f"IF(({backlog_empty}) AND (FILL(cpu, 0) <= {threshold}), 1, 0)"


def _decimal(value: float) -> str:
    """``value`` as a plain decimal literal (no exponent), e.g. 0.00001 -> ``0.00001``."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def _idle_scale_in_alarm(
    scope: Construct,
    settings: ScalingSettings,
    service: ecs.FargateService,
    backlog: BacklogMetrics,
) -> cloudwatch.Alarm:
    using_metrics: dict[str, cloudwatch.IMetric] = {
        "visible": backlog.visible,
        "in_flight": backlog.in_flight,
    }
    if settings.idle_cpu_threshold_percent is not None:
        using_metrics["cpu"] = service.metric_cpu_utilization(
            period=ONE_MINUTE, statistic="Average"
        )
    minutes = settings.idle_timeout_minutes
    return cloudwatch.Alarm(
        scope,
        "ScaleInAlarm",
        alarm_description=(
            f"No message visible or in flight (and CPU idle) for {minutes} consecutive minutes: "
            "set the service to 0 tasks."
        ),
        metric=cloudwatch.MathExpression(
            expression=idle_expression(
                settings.idle_cpu_threshold_percent, fill_backlog=not backlog.published_when_empty
            ),
            using_metrics=using_metrics,
            period=ONE_MINUTE,
            label="idle (1) or busy (0)",
        ),
        threshold=IDLE_THRESHOLD,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        # N out of N: the alarm leaves ALARM on the first minute that shows any message, so a
        # freshly woken service is never set back to 0 by the alarm's once-a-minute re-invocation.
        evaluation_periods=minutes,
        datapoints_to_alarm=minutes,
        treat_missing_data=(
            cloudwatch.TreatMissingData.NOT_BREACHING
            if backlog.published_when_empty
            else cloudwatch.TreatMissingData.BREACHING
        ),
    )


def _cpu_only_scale_in_alarm(
    scope: Construct, settings: ScalingSettings, service: ecs.FargateService
) -> cloudwatch.Alarm:
    """The seed blog's scale-in: average CPU over one ``idle_timeout`` period at or below the
    threshold, one datapoint, missing data left as missing."""
    assert settings.idle_cpu_threshold_percent is not None  # checked in settings
    return cloudwatch.Alarm(
        scope,
        "ScaleInAlarm",
        alarm_description=(
            "Seed-blog parity: average CPU at or below "
            f"{settings.idle_cpu_threshold_percent:g} % for {settings.idle_timeout_minutes} "
            "minutes: set the service to 0 tasks (ignores messages in flight)."
        ),
        metric=service.metric_cpu_utilization(
            period=Duration.minutes(settings.idle_timeout_minutes), statistic="Average"
        ),
        threshold=settings.idle_cpu_threshold_percent,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=1,
        datapoints_to_alarm=1,
    )


def _gradual_scale_in(
    scope: Construct,
    settings: ScalingSettings,
    target: appscaling.ScalableTarget,
    backlog: BacklogMetrics,
) -> cloudwatch.Alarm:
    """Remove one task per cooldown while nothing waits but work is still in flight.

    Busy tasks hold ECS task scale-in protection, so ECS removes idle ones. Once nothing is in
    flight either, the scale-in-to-zero alarm takes over after ``idle_timeout``.
    """
    minutes = max(int(settings.gradual_scale_in_cooldown.to_minutes()), 1)
    action = appscaling.StepScalingAction(
        scope,
        "GradualScaleInPolicy",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        cooldown=settings.gradual_scale_in_cooldown,
    )
    action.add_adjustment(adjustment=-1, lower_bound=0)
    alarm = cloudwatch.Alarm(
        scope,
        "GradualScaleInAlarm",
        alarm_description=(
            f"Backlog drained for {minutes} minutes while messages are still in flight: remove "
            "one idle task (busy tasks are protected)."
        ),
        metric=cloudwatch.MathExpression(
            expression="IF((FILL(visible, 0) == 0) AND (FILL(in_flight, 0) >= 1), 1, 0)",
            using_metrics={"visible": backlog.visible, "in_flight": backlog.in_flight},
            period=ONE_MINUTE,
            label="drained with work in flight (1) or not (0)",
        ),
        threshold=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=minutes,
        datapoints_to_alarm=minutes,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(action))
    return alarm


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
