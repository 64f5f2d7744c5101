"""The scale-in of a service whose tasks run but take no message.

When the tasks not receiving alarm fires (tasks up, messages waiting, none in flight and none
received for minutes: see ``monitoring.operational_alarms.not_receiving_alarm``), an
``ExactCapacity`` policy sets the service to ``min_capacity``. It is safe: with nothing in
flight no task holds a message, so none is interrupted. The scale-out alarm wakes the service
again on the next visible message, so a fixed deploy (or a passing fault) recovers by itself,
and a broken one costs a wake every few minutes instead of tasks that run for days.
"""

from __future__ import annotations

from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from constructs import Construct


def scale_in_when_not_receiving(
    scope: Construct,
    *,
    target: appscaling.ScalableTarget,
    alarm: cloudwatch.Alarm,
    min_capacity: int,
) -> appscaling.StepScalingAction:
    """Add the policy that sets ``target`` to ``min_capacity`` when ``alarm`` fires."""
    action = appscaling.StepScalingAction(
        scope,
        "NotReceivingScaleInPolicy",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
    )
    # The alarm's flag breaches at 1 >= its threshold of 1: the step covers [0, +inf).
    action.add_adjustment(adjustment=min_capacity, lower_bound=0)
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(action))
    return action
