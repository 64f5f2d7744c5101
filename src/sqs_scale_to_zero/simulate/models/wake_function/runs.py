"""The wake function's runs in virtual time: it reads the queue and publishes the backlog signal.

A poller is an EventBridge ``rate(...)`` rule invoking a Lambda function that reads the queue
(:class:`~sqs_scale_to_zero.simulate.template.specs.QueuePollerSpec`, read by :mod:`.reader`).
Modelled behaviour:

* Runs: a rate expression "starts when you create the scheduled event rule, and then it runs
  on a defined schedule", with a precision of one minute.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
  The rule was created at an unknown second of a minute, so each simulation draws the phase
  of the first run uniformly from ``[0, period)`` (seeded) and runs every ``period`` after.
* Each run calls SQS ``GetQueueAttributes``: an action on the queue, and "CloudWatch considers
  a queue to be active for up to six hours if it contains any messages or if any action
  accesses it", so a polled queue never goes inactive and its AWS/SQS metrics keep flowing.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
* Each run reads the live ``ApproximateNumberOfMessages``, ``...NotVisible`` and ``...Delayed``
  attributes and, when the function has a ``METRIC_NAMESPACE``, publishes with
  ``PutMetricData`` one standard-resolution datapoint per metric, timestamped at the run, which
  falls into the one-minute bucket of the run: the counts (and the desired count after any
  wake) every run with the fresh signal; with the fast wake (``publishes_backlog`` false) only
  the desired count, and only when it is at least 1, so a minute at zero tasks has no point.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
* Publishing: the datapoint is visible to alarms :data:`PUBLISH_AFTER_RUN_SECONDS` after the
  run (an assumption: Lambda invocation, two API calls and CloudWatch ingestion take seconds;
  AWS documents no figure). It is never held back by queue inactivity: that delay applies to
  the metrics SQS itself sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqs_scale_to_zero.simulate.models.metrics import QueueGauges
from sqs_scale_to_zero.simulate.models.queue import SqsQueue
from sqs_scale_to_zero.simulate.template.specs import QueuePollerSpec

PUBLISH_AFTER_RUN_SECONDS = 15.0
"""Seconds from a run until its datapoint is visible to alarms (assumed, see module doc)."""


@dataclass(frozen=True)
class PollerRuntime:
    """One scheduled function in a simulation.

    Attributes:
        spec: The rule and function from the template.
        phase: Seconds from the start of the simulation to the first run, in ``[0, period)``.
    """

    spec: QueuePollerSpec
    phase: float

    @property
    def sample_key(self) -> tuple[str, str] | None:
        """``(namespace, queue logical ID)`` of the datapoints it publishes, or ``None``."""
        if self.spec.namespace is None:
            return None
        return (self.spec.namespace, self.spec.queue_logical_id)

    def run(self, queue: SqsQueue, now: float) -> QueueGauges:
        """One run at ``now``: read the queue's counts (an API call that keeps it active)."""
        queue.touch(now)
        visible, in_flight, delayed = queue.gauges()
        return QueueGauges(visible, in_flight, delayed, publishing=True)

    def published(self, gauges: QueueGauges) -> QueueGauges | None:
        """What a run that read ``gauges`` (and its wake's desired count) publishes, or ``None``."""
        if self.spec.namespace is None:
            return None
        if self.spec.publishes_backlog:
            return gauges
        if gauges.desired is None or gauges.desired < 1:
            return None
        gauges.backlog = False
        return gauges

    def publish_delay(self, publish_after: float = PUBLISH_AFTER_RUN_SECONDS) -> float:
        """Seconds after its minute ends until a datapoint is visible to alarms.

        A run ``offset`` seconds into its minute publishes a datapoint for that minute which is
        visible ``publish_after`` seconds later: ``offset + publish_after - 60`` seconds after
        the minute ends, or at its end (0) when that is earlier. This is the per-namespace
        delay :class:`~sqs_scale_to_zero.simulate.models.metrics.MetricStore` applies.

        Args:
            publish_after: Seconds from a run until its datapoint is visible.
        """
        return max(0.0, self.phase % 60.0 + publish_after - 60.0)


def poller_publish_delays(
    configured: Mapping[str, float], pollers: Sequence[PollerRuntime], publish_after: float
) -> dict[str, float]:
    """The publishing delay per namespace, pollers' namespaces included.

    The configured delays stand; a poller's namespace that has none gets the delay its run
    phase gives (:meth:`PollerRuntime.publish_delay`).
    """
    delays = dict(configured)
    for poller in pollers:
        ns = poller.spec.namespace
        if ns is not None and ns not in configured:
            delays[ns] = max(delays.get(ns, 0.0), poller.publish_delay(publish_after))
    return delays
