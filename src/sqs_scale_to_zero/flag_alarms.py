"""The recurring alarm shape: a 0/1 flag, computed each minute by metric math, held for N of N.

Every decision the construct makes from CloudWatch (scale in to zero, gradual scale-in, tasks
running on an empty queue, a failing backlog signal) is a metric-math expression that is 1 for a
minute that counts and 0 for one that doesn't, and an alarm on ``>= 1`` over one-minute periods.
Each caller chooses how missing data counts; this module only builds the shape once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

ONE_MINUTE = Duration.minutes(1)
"""The period of every metric and alarm the construct creates."""

MAX_ALARM_WINDOW_MINUTES = 24 * 60
"""CloudWatch caps EvaluationPeriods x Period at one day for 1-minute alarms."""

FLAG_THRESHOLD = 1
"""A flag expression is 1 for a minute that counts and 0 otherwise."""


def flag_alarm(
    scope: Construct,
    id: str,
    *,
    description: str,
    expression: str,
    using_metrics: Mapping[str, cloudwatch.IMetric],
    label: str,
    minutes: int,
    treat_missing_data: cloudwatch.TreatMissingData,
    datapoints_to_alarm: Optional[int] = None,
) -> cloudwatch.Alarm:
    """An alarm that fires when the 0/1 ``expression`` is 1 for ``minutes`` one-minute periods.

    Args:
        scope: Where the alarm is created.
        id: The alarm's construct id.
        description: The alarm description: what it means and what to do.
        expression: Metric math that evaluates to 1 (the minute counts) or 0.
        using_metrics: The metrics ``expression`` names.
        label: The expression's label on graphs.
        minutes: Evaluation periods (N).
        treat_missing_data: How a minute with no result counts.
        datapoints_to_alarm: Breaching periods needed (M). Default: ``minutes`` (N of N).

    Returns:
        The alarm, with no actions.
    """
    return cloudwatch.Alarm(
        scope,
        id,
        alarm_description=description,
        metric=cloudwatch.MathExpression(
            expression=expression,
            using_metrics=dict(using_metrics),
            period=ONE_MINUTE,
            label=label,
        ),
        threshold=FLAG_THRESHOLD,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=minutes,
        datapoints_to_alarm=minutes if datapoints_to_alarm is None else datapoints_to_alarm,
        treat_missing_data=treat_missing_data,
    )
