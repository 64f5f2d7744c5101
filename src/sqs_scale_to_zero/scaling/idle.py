"""When the service is idle: the scale-in to zero, its CPU-only variant, and gradual scale-in.

Props: ``idle_timeout``, ``idle_cpu_threshold_percent``, ``scale_in_on_cpu_only``,
``gradual_scale_in`` and ``gradual_scale_in_cooldown`` (validated in :mod:`.scaling`).
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from sqs_scale_to_zero.alarms import ONE_MINUTE, flag_alarm
from sqs_scale_to_zero.backlog import BacklogMetrics


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


def idle_scale_in_alarm(
    scope: Construct,
    *,
    minutes: int,
    idle_cpu_threshold_percent: Optional[float],
    service: ecs.FargateService,
    backlog: BacklogMetrics,
) -> cloudwatch.Alarm:
    """The alarm that is in ALARM once every one of the last ``minutes`` minutes was idle."""
    using_metrics: dict[str, cloudwatch.IMetric] = {
        "visible": backlog.visible,
        "in_flight": backlog.in_flight,
    }
    if idle_cpu_threshold_percent is not None:
        using_metrics["cpu"] = service.metric_cpu_utilization(
            period=ONE_MINUTE, statistic="Average"
        )
    # N out of N: the alarm leaves ALARM on the first minute that shows any message, so a
    # freshly woken service is never set back to 0 by the alarm's once-a-minute re-invocation.
    return flag_alarm(
        scope,
        "ScaleInAlarm",
        description=(
            f"No message visible or in flight (and CPU idle) for {minutes} consecutive minutes: "
            "set the service to 0 tasks."
        ),
        expression=idle_expression(
            idle_cpu_threshold_percent, fill_backlog=not backlog.published_when_empty
        ),
        using_metrics=using_metrics,
        label="idle (1) or busy (0)",
        minutes=minutes,
        treat_missing_data=(
            cloudwatch.TreatMissingData.NOT_BREACHING
            if backlog.published_when_empty
            else cloudwatch.TreatMissingData.BREACHING
        ),
    )


def cpu_only_scale_in_alarm(
    scope: Construct,
    *,
    minutes: int,
    idle_cpu_threshold_percent: float,
    service: ecs.FargateService,
) -> cloudwatch.Alarm:
    """The seed blog's scale-in: average CPU over one ``idle_timeout`` at or below the threshold.

    One datapoint decides; missing data is left as missing.
    """
    return cloudwatch.Alarm(
        scope,
        "ScaleInAlarm",
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
        "GradualScaleInAlarm",
        description=(
            f"Backlog drained for {minutes} minutes while messages are still in flight: remove "
            "one idle task (busy tasks are protected)."
        ),
        expression="IF((FILL(visible, 0) == 0) AND (FILL(in_flight, 0) >= 1), 1, 0)",
        using_metrics={"visible": backlog.visible, "in_flight": backlog.in_flight},
        label="drained with work in flight (1) or not (0)",
        minutes=minutes,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(action))
    return alarm
