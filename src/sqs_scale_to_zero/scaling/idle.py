"""When the service is idle: the scale-in to zero, its CPU-only variant, and gradual scale-in.

Props: ``idle_timeout``, ``idle_cpu_threshold_percent``, ``scale_in_on_cpu_only``,
``gradual_scale_in`` and ``gradual_scale_in_cooldown`` (validated in :mod:`.scaling`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from sqs_scale_to_zero.backlog import BacklogMetrics
from sqs_scale_to_zero.flag_alarms import ONE_MINUTE, flag_alarm
from sqs_scale_to_zero.worker import contract

ACTIVITY_INPUTS = ("visible", "in_flight", "sent", "received", "deleted")
"""The metric ids whose sum is zero in an idle minute: two gauges and three activity sums."""


@dataclass(frozen=True)
class IdleCondition:
    """The definition of an idle minute that every alarm shares.

    Attributes:
        expression: A metric-math flag: 1 for an idle minute, 0 for a busy one, no value for a
            minute whose activity sums have not arrived.
        using_metrics: The metrics ``expression`` names, by id.
        treat_missing_data: How a minute with no value counts: never as idle.
    """

    expression: str
    using_metrics: Mapping[str, cloudwatch.IMetric]
    treat_missing_data: cloudwatch.TreatMissingData


def idle_condition(
    backlog: BacklogMetrics,
    service: ecs.BaseService,
    idle_cpu_threshold_percent: Optional[float],
) -> IdleCondition:
    """The condition that a minute was idle: nothing happened, nothing waits, nothing runs.

    A minute is idle only if SQS counted no message sent, received or deleted in it
    (``NumberOfMessages*``, Sum), no message was visible or in flight at the count
    (``ApproximateNumberOf*``, or the backlog signal's counts), and, where a CPU threshold is
    set, the tasks' average CPU was at or below it. The gauges alone can miss a message that is
    sent, received and deleted between two counts; the sums cannot.

    How missing points count. CloudWatch's metric math treats a value missing from one side of
    an arithmetic or comparison between two series as 0 where the other side has one, and gives
    no value only where neither has one; an ``IF`` gives no value where its condition has none
    (CloudWatch user guide, "Metric math syntax and functions"). A plain sum of the inputs would
    therefore read a minute whose sums have not arrived yet as idle. So the flag is guarded:

    * ``IF((sent + received + deleted) >= 0, ...)``: a minute without SQS's activity sums (not
      published yet, or a queue that publishes nothing) has **no value**, so a late point leaves
      a hole instead of an idle minute. CloudWatch, when the evaluation range holds enough real
      points, "evaluates the alarm state based on the most recent real data points" (CloudWatch
      user guide, "Configuring how CloudWatch alarms treat missing data"), so lateness delays a
      scale-in by a minute and can never undo a wake.
    * ``IF((visible + in_flight) >= 0, ..., 0)`` inside it: a minute that has the sums but no
      gauge is **busy**. With the backlog signal that means the function failed to publish, and
      a broken signal must never scale a service with queued work to zero.
    * A minute with no value at all is **not idle**: the alarm treats missing data as
      ``notBreaching``, in both modes. With SQS's own metrics, a queue with no messages and no
      API calls for six hours is *inactive* and publishes nothing (Amazon SQS developer guide,
      "Available CloudWatch metrics for Amazon SQS"); no task polls it then, so the service is
      already at zero and there is nothing to scale in (and no stale ALARM to undo the next
      wake). A new stack has no data yet either: the task CloudFormation starts stays until
      ``idle_timeout`` of real idle minutes has been published. With the backlog signal the
      function's calls keep the queue active, so the sums keep coming.
    * ``cpu`` (ECS) has no points while no task runs, and may lag while tasks run. It is a
      secondary guard, for work the queue can't see (a handler that deleted its message early),
      so it is ``FILL(cpu, 0)``: a missing CPU point never keeps a service awake on its own.

    Args:
        backlog: The backlog metrics every alarm reads.
        service: The service whose CPU is read.
        idle_cpu_threshold_percent: The CPU at or below which a minute counts as idle, or
            ``None`` to judge by the queue alone.

    Returns:
        The shared condition.
    """
    using_metrics: dict[str, cloudwatch.IMetric] = {
        "visible": backlog.visible,
        "in_flight": backlog.in_flight,
        "sent": backlog.activity.sent,
        "received": backlog.activity.received,
        "deleted": backlog.activity.deleted,
    }
    if idle_cpu_threshold_percent is not None:
        using_metrics["cpu"] = service.metric_cpu_utilization(
            period=ONE_MINUTE, statistic="Average"
        )
    return IdleCondition(
        expression=idle_expression(idle_cpu_threshold_percent),
        using_metrics=using_metrics,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )


def idle_expression(idle_cpu_threshold_percent: Optional[float]) -> str:
    """The idle flag of :func:`idle_condition`: 1 idle, 0 busy, no value without the sums.

    Args:
        idle_cpu_threshold_percent: The CPU at or below which a minute counts as idle, or
            ``None`` to judge by the queue alone.

    Returns:
        ``IF(sums >= 0, IF(gauges >= 0, IF(<nothing happened> AND <CPU idle>, 1, 0), 0))``.
    """
    condition = f"(({' + '.join(ACTIVITY_INPUTS)}) == 0)"
    if idle_cpu_threshold_percent is not None:
        condition += f" AND (FILL(cpu, 0) <= {_decimal(idle_cpu_threshold_percent)})"
    return (
        "IF((sent + received + deleted) >= 0, "
        f"IF((visible + in_flight) >= 0, IF({condition}, 1, 0), 0))"
    )


def _decimal(value: float) -> str:
    """``value`` as a plain decimal literal (no exponent), e.g. 0.00001 -> ``0.00001``."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def idle_scale_in_alarm(scope: Construct, *, minutes: int, idle: IdleCondition) -> cloudwatch.Alarm:
    """The alarm that is in ALARM once every one of the last ``minutes`` minutes was idle."""
    # N out of N: the alarm leaves ALARM on the first busy minute, so a freshly woken service
    # is never set back to 0 by the alarm's once-a-minute re-invocation.
    return flag_alarm(
        scope,
        contract.SCALE_IN_ALARM_ID,
        description=(
            f"Idle for {minutes} consecutive minutes: no message sent, received or deleted, none "
            "visible or in flight (and CPU idle). Set the service to 0 tasks."
        ),
        expression=idle.expression,
        using_metrics=idle.using_metrics,
        label="idle (1) or busy (0)",
        minutes=minutes,
        treat_missing_data=idle.treat_missing_data,
    )


def cpu_only_scale_in_alarm(
    scope: Construct,
    *,
    minutes: int,
    idle_cpu_threshold_percent: float,
    service: ecs.BaseService,
) -> cloudwatch.Alarm:
    """The seed blog's scale-in: average CPU over one ``idle_timeout`` at or below the threshold.

    One datapoint decides; missing data is left as missing.
    """
    return cloudwatch.Alarm(
        scope,
        contract.SCALE_IN_ALARM_ID,
        alarm_description=(
            "Seed-blog parity: average CPU at or below "
            f"{idle_cpu_threshold_percent:g} % for {minutes} "
            "minutes: set the service to 0 tasks (ignores messages in flight)."
        ),
        metric=service.metric_cpu_utilization(
            period=Duration.minutes(minutes), statistic="Average"
        ),
        threshold=idle_cpu_threshold_percent,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=1,
        datapoints_to_alarm=1,
    )


def gradual_scale_in(
    scope: Construct,
    *,
    minutes: int,
    target: appscaling.ScalableTarget,
    backlog: BacklogMetrics,
) -> cloudwatch.Alarm:
    """Remove one task per ``minutes`` while nothing waits but work is still in flight.

    Busy tasks hold ECS task scale-in protection, so ECS removes idle ones. Once nothing is in
    flight either, the scale-in-to-zero alarm takes over after ``idle_timeout``.
    """
    action = appscaling.StepScalingAction(
        scope,
        "GradualScaleInPolicy",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        cooldown=Duration.minutes(minutes),
    )
    action.add_adjustment(adjustment=-1, lower_bound=0)
    alarm = flag_alarm(
        scope,
        contract.GRADUAL_SCALE_IN_ALARM_ID,
        description=(
            f"Backlog drained for {minutes} minutes while messages are still in flight: remove "
            "one idle task (busy tasks are protected)."
        ),
        # No FILL, as in the idle condition: a late or missing point never removes a task.
        expression="IF((visible == 0) AND (in_flight >= 1), 1, 0)",
        using_metrics={"visible": backlog.visible, "in_flight": backlog.in_flight},
        label="drained with work in flight (1) or not (0)",
        minutes=minutes,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(action))
    return alarm
