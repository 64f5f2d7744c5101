"""The backlog metrics: what every scaling and monitoring alarm reads about the queue.

One object, built once, hands the same metrics to the scale-out alarm, the scale-in alarms and
the monitoring alarms and dashboard, so that no two of them can act on different views of the
backlog: SQS's own metrics, or the fresh backlog signal's (see :mod:`.backlog_signal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero.alarms import ONE_MINUTE


@dataclass(frozen=True)
class BacklogMetrics:
    """The queue-depth metrics the alarms read, so they can never disagree about the backlog."""

    visible: cloudwatch.IMetric
    """Messages waiting to be received (Maximum per minute)."""
    in_flight: cloudwatch.IMetric
    """Messages received and not yet deleted (Maximum per minute)."""
    delayed: cloudwatch.IMetric
    """Messages not yet deliverable because of a delay (Maximum per minute); graphed only."""
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
            delayed=queue.metric_approximate_number_of_messages_delayed(
                period=ONE_MINUTE, statistic="Maximum"
            ),
        )
