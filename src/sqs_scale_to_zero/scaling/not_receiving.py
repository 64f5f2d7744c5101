"""The scale-in of a service whose tasks run and do no work.

When the alarm for tasks doing no work fires (see
``monitoring.tasks_not_working.tasks_not_working_alarms``: tasks on an empty queue, or tasks up
while messages wait, none in flight and none received), an ``ExactCapacity`` policy sets the
service to ``min_capacity``. The scale-out alarm wakes the service again on the next visible
message, so a fixed deploy (or a passing fault) recovers by itself, and a broken one costs a
wake every few minutes instead of tasks that run for days.

Why it interrupts no message:

* Every minute the alarm counts has ``ApproximateNumberOfMessagesNotVisible`` at 0: "the number
  of messages that are in flight. Messages are considered to be in flight if they have been
  sent to a client but have not yet been deleted or have not yet reached the end of their
  visibility window" (Amazon SQS developer guide, "Available CloudWatch metrics for Amazon
  SQS"). The worker keeps each message it works on in flight until it deletes it (its
  heartbeat extends the visibility timeout), so no task held a message in those minutes; the
  never-polling minutes also count no ``NumberOfMessagesReceived``.
* SQS's metrics land a minute or two late, and the alarm acts on ``window - 1`` of ``window``
  minutes, so a message received in its newest minutes may not show yet. Such a task holds ECS
  task scale-in protection while it works, and ECS does not stop a protected task when the
  desired count falls (Amazon ECS developer guide, "Protect your Amazon ECS tasks from being
  terminated by scale-in events"): the construct adds this policy only with
  ``task_protection``. Unprotected tasks get the page and no scale-in.
* The worker runtime is required: with ``own_consumer`` a long job's message can be visible
  again while it runs, so the never-polling condition is not watched at all.
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
