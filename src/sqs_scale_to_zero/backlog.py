"""The backlog metrics: what every scaling and monitoring alarm reads about the queue.

One object, built once, hands the same metrics to the scale-out alarm, the scale-in alarms and
the monitoring alarms and dashboard, so that no two of them can act on different views of the
backlog: SQS's own metrics, or the fresh backlog signal's (published by :mod:`.wake_function`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero.flag_alarms import ONE_MINUTE


@dataclass(frozen=True)
class QueueActivity:
    """SQS's per-minute sums of what happened to a queue: messages sent, received and deleted.

    A gauge (``ApproximateNumberOf*``) is a count taken at some moment of a minute, so a message
    sent, received and deleted within seconds can leave no trace in it; these sums count every
    message of the minute. They are SQS's own metrics in both modes: the backlog signal's calls
    keep the queue active, and an active queue publishes them every minute.
    """

    sent: cloudwatch.IMetric
    """``NumberOfMessagesSent``, Sum per minute."""
    received: cloudwatch.IMetric
    """``NumberOfMessagesReceived``, Sum per minute."""
    deleted: cloudwatch.IMetric
    """``NumberOfMessagesDeleted``, Sum per minute."""

    @classmethod
    def of_queue(cls, queue: sqs.IQueue) -> QueueActivity:
        """The activity sums of ``queue``."""
        return cls(
            sent=queue.metric_number_of_messages_sent(period=ONE_MINUTE, statistic="Sum"),
            received=queue.metric_number_of_messages_received(period=ONE_MINUTE, statistic="Sum"),
            deleted=queue.metric_number_of_messages_deleted(period=ONE_MINUTE, statistic="Sum"),
        )


@dataclass(frozen=True)
class BacklogMetrics:
    """The queue-depth metrics the alarms read, so they can never disagree about the backlog."""

    visible: cloudwatch.IMetric
    """Messages waiting to be received (Maximum per minute)."""
    in_flight: cloudwatch.IMetric
    """Messages received and not yet deleted (Maximum per minute)."""
    delayed: cloudwatch.IMetric
    """Messages not yet deliverable because of a delay (Maximum per minute); graphed only."""
    activity: QueueActivity
    """What happened to the queue each minute (SQS's own sums, in both modes)."""
    desired: Optional[cloudwatch.IMetric] = None
    """The service's desired task count (Maximum per minute): as the backlog signal function
    publishes it after any fast wake, or Container Insights' ``DesiredTaskCount`` on a cluster
    the construct creates with it; ``None`` when neither is there."""
    published_when_empty: bool = False
    """True when a datapoint is published every minute even for an empty queue (the backlog
    signal): a missing point then means the backlog signal function failed, not that the queue
    is empty, and it must never count as idle."""

    @classmethod
    def of_queue(
        cls, queue: sqs.IQueue, desired: Optional[cloudwatch.IMetric] = None
    ) -> BacklogMetrics:
        """SQS's own metrics for ``queue``: gauges as Maximum, activity as Sum, per minute."""
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
            activity=QueueActivity.of_queue(queue),
            desired=desired,
        )


def container_insights_metric(
    service: ecs.BaseService, name: str, label: Optional[str] = None
) -> cloudwatch.Metric:
    """A Container Insights task-count metric of ``service`` (Maximum per minute).

    It has data only on a cluster with Container Insights enabled.
    """
    return cloudwatch.Metric(
        namespace="ECS/ContainerInsights",
        metric_name=name,
        dimensions_map={
            "ClusterName": service.cluster.cluster_name,
            "ServiceName": service.service_name,
        },
        statistic="Maximum",
        period=ONE_MINUTE,
        label=label,
    )
