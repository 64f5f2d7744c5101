"""The scale-out: the alarm on a waiting message and the ``ChangeInCapacity`` policy it drives.

The alarm breaches at ``>= 1`` while a message is visible (Maximum, 1 minute); its metric is the
visible count with fixed steps (:mod:`.steps`), or the backlog while a message waits with
backlog sizing (:mod:`.sizing`). Missing data is ``notBreaching``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from constructs import Construct

from sqs_scale_to_zero.backlog import BacklogMetrics
from sqs_scale_to_zero.flag_alarms import ONE_MINUTE
from sqs_scale_to_zero.scaling.sizing import BACKLOG_EXPRESSION, uncovered_backlog_expression
from sqs_scale_to_zero.scaling.steps import SCALE_OUT_THRESHOLD, ScaleOutStep
from sqs_scale_to_zero.worker import contract


def build_scale_out(
    scope: Construct,
    target: appscaling.ScalableTarget,
    backlog: BacklogMetrics,
    *,
    steps: Sequence[ScaleOutStep],
    cooldown: Duration,
    messages_per_task: Optional[int],
    max_capacity: int,
    minutes: int,
) -> tuple[appscaling.StepScalingAction, cloudwatch.Alarm]:
    """Create the scale-out policy with its ``steps`` and the alarm that invokes it.

    Args:
        scope: The construct to add them to.
        target: The service's scalable target.
        backlog: The metrics the alarm reads.
        steps: The policy's steps (backlog sizing's, or the fixed ``scale_out_steps``).
        cooldown: The policy's cooldown.
        messages_per_task: With backlog sizing, the backlog one task carries; else ``None``.
        max_capacity: The most tasks, for the alarm's description.
        minutes: Consecutive breaching minutes before the alarm acts.
    """
    action = appscaling.StepScalingAction(
        scope,
        "ScaleOutPolicy",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        cooldown=cooldown,
    )
    for step in steps:
        lower, upper = step.relative_bounds()
        action.add_adjustment(adjustment=step.change, lower_bound=lower, upper_bound=upper)
    alarm = cloudwatch.Alarm(
        scope,
        contract.SCALE_OUT_ALARM_ID,
        alarm_description=_description(messages_per_task, max_capacity),
        metric=_metric(messages_per_task, backlog),
        threshold=SCALE_OUT_THRESHOLD,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=minutes,
        datapoints_to_alarm=minutes,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(action))
    return action, alarm


def _metric(messages_per_task: Optional[int], backlog: BacklogMetrics) -> cloudwatch.IMetric:
    """The scale-out alarm's metric.

    Visible messages with fixed steps; the backlog while a message waits when sizing, less what
    the desired tasks cover when the wake function publishes the desired count.
    """
    if messages_per_task is None:
        return backlog.visible
    if backlog.desired is not None:
        return cloudwatch.MathExpression(
            expression=uncovered_backlog_expression(messages_per_task),
            using_metrics={
                "visible": backlog.visible,
                "in_flight": backlog.in_flight,
                "desired": backlog.desired,
            },
            period=ONE_MINUTE,
            label="backlog the desired tasks don't cover, while a message waits",
        )
    return cloudwatch.MathExpression(
        expression=BACKLOG_EXPRESSION,
        using_metrics={"visible": backlog.visible, "in_flight": backlog.in_flight},
        period=ONE_MINUTE,
        label="backlog while a message waits (visible + in flight)",
    )


def _description(messages_per_task: Optional[int], max_capacity: int) -> str:
    if messages_per_task is None:
        return (
            "Messages are waiting in the queue: add tasks (wakes the service from zero on one "
            "visible message)."
        )
    return (
        "Messages are waiting in the queue: size the service to the backlog (visible plus in "
        f"flight), one task per {messages_per_task} messages up to "
        f"{max_capacity} (wakes the service from zero on one visible message)."
    )
