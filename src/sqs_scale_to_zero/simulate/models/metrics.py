"""CloudWatch in virtual time: one-minute datapoints, publishing delays and pluggable sources.

* Amazon SQS sends its queue metrics to CloudWatch at one-minute intervals.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
  That page describes each metric but not how SQS samples its *gauges*, so the simulator takes
  the pessimistic reading: a gauge datapoint (``ApproximateNumberOfMessagesVisible``,
  ``...NotVisible``, ``...Delayed``, ``ApproximateAgeOfOldestMessage``) is ONE sample of the
  queue per minute, taken at a moment within the minute drawn from a seeded RNG of its own
  (:attr:`~sqs_scale_to_zero.simulate.config.SimulationConfig.gauge_sample_second` pins it),
  not the minute's maximum. A message received and deleted between two samples is never seen
  by a gauge. The age of the oldest message is reported only while the queue holds a message
  that is neither deleted nor dead-lettered ("reported if the queue contains at least one active message").
* The *activity sums* ``NumberOfMessagesSent``, ``NumberOfMessagesReceived`` and
  ``NumberOfMessagesDeleted`` count every send, every message returned by a receive and every
  successful deletion in the minute (a repeated deletion included, as SQS counts every valid
  receipt handle): they cannot miss a message. Their datapoint for a minute is that count, so
  ``Sum`` over a period adds the minutes up.
* An inactive SQS queue publishes nothing, gauges and sums alike (missing data); after it is
  activated, both resume after the same wake delay; see :mod:`.queue`.
* ECS ``CPUUtilization`` for a service is the CPU used by the service's tasks as a percentage of
  the CPU they reserve, averaged over the running tasks; with no running task there is no
  datapoint. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-metrics.html
* ``ECS/ContainerInsights`` ``DesiredTaskCount`` and ``RunningTaskCount`` (dimensions
  ClusterName and ServiceName) exist only for a service whose cluster has Container Insights
  on (:attr:`~sqs_scale_to_zero.simulate.template.specs.ServiceModel.container_insights`);
  then there is a datapoint every minute while the service exists, 0 included. The desired
  count is the one at the end of the minute, which is the minute's maximum (scaling acts at
  minute boundaries, a fast wake only raises it);
  the running count is the tasks running then. They have the AWS/ECS publishing delay.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
* Each namespace has a publishing delay: the datapoint for a minute becomes visible to alarms
  that many seconds after the minute ends (:data:`DEFAULT_PUBLISH_DELAY`); the sums have the
  gauges' delay, since both are AWS/SQS.

* The fresh backlog signal's namespace
  (:data:`~sqs_scale_to_zero.worker.contract.SIGNAL_NAMESPACE`): the queue's live
  counts as read by a scheduled function at its invocation instant (see :mod:`.wake_function.runs`), one
  datapoint per run, subject = the queue of the ``QueueName`` dimension, never missing because
  the queue is inactive. Its publishing delay comes from the run's phase
  (:meth:`.wake_function.runs.PollerRuntime.publish_delay`). A function that wakes the service
  (:attr:`~sqs_scale_to_zero.simulate.template.specs.QueuePollerSpec.wake`) also publishes the contract's
  ``SIGNAL_DESIRED_METRIC``: the service's desired count as it is after the run's wake, absent
  when the function could not read the service.

New sources are added with :func:`register_metric_source`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqs_scale_to_zero.simulate.models.queue import read_queues
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template
from sqs_scale_to_zero.simulate.template.specs import MetricStat
from sqs_scale_to_zero.worker import contract

_ECS_DELAY = 60.0
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
DEFAULT_PUBLISH_DELAY: dict[str, float] = {
    "AWS/SQS": 60.0,
    "AWS/ECS": _ECS_DELAY,
    CONTAINER_INSIGHTS_NAMESPACE: _ECS_DELAY,
}
"""Seconds after a minute ends until its datapoint is visible to alarms, by namespace (else 0)."""


@dataclass
class QueueGauges:
    """A queue's figures for one minute: gauges as sampled, activity as counted.

    Attributes:
        visible: Messages available for retrieval at the sample.
        in_flight: Messages received and neither deleted nor back to visible, at the sample.
        delayed: Messages not yet available because of a delivery delay, at the sample.
        publishing: False while the queue is inactive (or waking): SQS sends no metrics.
        oldest_age: Seconds since the oldest unfinished message was sent, at the sample;
            ``None`` when there was none. Default: None.
        sent: Messages sent during the minute. Default: 0.
        received: Messages received during the minute. Default: 0.
        deleted: Deletions during the minute. Default: 0.
        desired: The service's desired count a scheduled function read (after its wake), or
            ``None`` when it reads none. Default: None.
        backlog: False when a scheduled function published only ``desired`` (the fast wake),
            not the counts. Default: True.
    """

    visible: int
    in_flight: int
    delayed: int
    publishing: bool
    oldest_age: float | None = None
    sent: int = 0
    received: int = 0
    deleted: int = 0
    desired: int | None = None
    backlog: bool = True


class SampleMoments:
    """When SQS samples the queue's gauges in each minute: a seeded moment, or a fixed second.

    The moments come from an RNG of their own, so that they never shift a run's other draws.

    Args:
        seed: The run's seed.
        second: A fixed second within each minute (0-60), or ``None`` for a seeded one.
    """

    def __init__(self, seed: int, second: float | None) -> None:
        self._rng = random.Random(f"sqs-gauges:{seed}")
        self._second = second

    def next(self, minute_start: float) -> float:
        """The moment of the sample of the minute starting at ``minute_start``."""
        second = self._rng.uniform(0.0, 60.0) if self._second is None else self._second
        return minute_start + second


@dataclass(frozen=True)
class GaugeSample:
    """The queue's gauges at SQS's sample of a minute.

    Attributes:
        visible: Visible messages.
        in_flight: In-flight messages.
        delayed: Delayed messages.
        oldest_age: Age of the oldest unfinished message in seconds, or ``None``.
    """

    visible: int
    in_flight: int
    delayed: int
    oldest_age: float | None


@dataclass
class ServiceGauges:
    """A service's figures for the minute that just ended.

    Attributes:
        cpu_percent: Average CPU utilization over running tasks; ``None`` if none ran.
        running: Running tasks at the end of the minute.
        desired: Desired count at the end of the minute.
        insights: Container Insights publishes the service's task counts. Default: False.
    """

    cpu_percent: float | None
    running: int
    desired: int
    insights: bool = False


@dataclass
class Snapshot:
    """What metric sources can read at a minute boundary.

    Attributes:
        now: Virtual time in seconds.
        queues: Gauges by queue logical ID.
        services: Gauges by service logical ID.
        polled: Queue gauges read by scheduled functions during the minute that just ended, by
            ``(namespace, queue logical ID)``; absent when no run fell into the minute.
    """

    now: float
    queues: dict[str, QueueGauges] = field(default_factory=dict)
    services: dict[str, ServiceGauges] = field(default_factory=dict)
    polled: dict[tuple[str, str], QueueGauges] = field(default_factory=dict)


MetricSource = Callable[[Snapshot, MetricStat], float | None]
"""Returns the one-minute sample of ``metric`` from a snapshot, or ``None`` (no datapoint)."""

_SOURCES: dict[tuple[str, str | None], MetricSource] = {}


def register_metric_source(namespace: str, metric_name: str | None, source: MetricSource) -> None:
    """Register how to sample a metric.

    Args:
        namespace: CloudWatch namespace, e.g. ``AWS/SQS`` or a custom one.
        metric_name: The metric name, or ``None`` for every metric of the namespace.
        source: The sampling function.
    """
    _SOURCES[(namespace, metric_name)] = source


def find_metric_source(namespace: str, metric_name: str) -> MetricSource | None:
    """The registered source for a metric, or ``None`` (the metric then never has data)."""
    return _SOURCES.get((namespace, metric_name)) or _SOURCES.get((namespace, None))


def _queue_gauge(attr: str, *, polled: bool = False) -> MetricSource:
    """A queue count as SQS publishes it, or (``polled``) as a scheduled function read it."""

    def source(snapshot: Snapshot, metric: MetricStat) -> float | None:
        subject = metric.subject or ""
        gauges = (
            snapshot.polled.get((metric.namespace, subject))
            if polled
            else snapshot.queues.get(subject)
        )
        if gauges is None or not gauges.publishing:
            return None
        if polled and attr != "desired" and not gauges.backlog:
            return None
        value = getattr(gauges, attr)
        return None if value is None else float(value)

    return source


def _ecs_cpu(snapshot: Snapshot, metric: MetricStat) -> float | None:
    gauges = snapshot.services.get(metric.subject or "")
    return None if gauges is None else gauges.cpu_percent


def _insights_count(attr: str) -> MetricSource:
    """A Container Insights task count of the service, where Container Insights is on."""

    def source(snapshot: Snapshot, metric: MetricStat) -> float | None:
        gauges = snapshot.services.get(metric.subject or "")
        if gauges is None or not gauges.insights:
            return None
        return float(getattr(gauges, attr))

    return source


QUEUE_GAUGES = {
    "ApproximateNumberOfMessagesVisible": "visible",
    "ApproximateNumberOfMessagesNotVisible": "in_flight",
    "ApproximateNumberOfMessagesDelayed": "delayed",
}
"""Queue count metric names (AWS/SQS and the backlog signal alike) -> :class:`QueueGauges` field."""

SQS_ONLY_METRICS = {
    "ApproximateAgeOfOldestMessage": "oldest_age",
    "NumberOfMessagesSent": "sent",
    "NumberOfMessagesReceived": "received",
    "NumberOfMessagesDeleted": "deleted",
}
"""AWS/SQS metrics the backlog signal does not publish -> :class:`QueueGauges` field."""

for _name, _attr in (QUEUE_GAUGES | SQS_ONLY_METRICS).items():
    register_metric_source("AWS/SQS", _name, _queue_gauge(_attr))
for _name in contract.SIGNAL_METRICS.values():
    _signal = _queue_gauge(QUEUE_GAUGES[_name], polled=True)
    register_metric_source(contract.SIGNAL_NAMESPACE, _name, _signal)
register_metric_source(
    contract.SIGNAL_NAMESPACE, contract.SIGNAL_DESIRED_METRIC, _queue_gauge("desired", polled=True)
)
register_metric_source("AWS/ECS", "CPUUtilization", _ecs_cpu)
register_metric_source(CONTAINER_INSIGHTS_NAMESPACE, "DesiredTaskCount", _insights_count("desired"))
register_metric_source(CONTAINER_INSIGHTS_NAMESPACE, "RunningTaskCount", _insights_count("running"))


def aggregate(values: list[float], stat: str) -> float:
    """Apply a CloudWatch statistic to the one-minute samples of a period.

    ``pNN`` percentiles use the nearest-rank method; unknown statistics fall back to Average.
    """
    if stat == "Maximum":
        return max(values)
    if stat == "Minimum":
        return min(values)
    if stat == "Sum":
        return math.fsum(values)
    if stat == "SampleCount":
        return float(len(values))
    if stat.startswith("p") and stat[1:].replace(".", "", 1).isdigit():
        ordered = sorted(values)
        rank = max(1, math.ceil(float(stat[1:]) / 100 * len(ordered)))
        return ordered[rank - 1]
    return math.fsum(values) / len(values)


class MetricStore:
    """One-minute datapoints of the metrics the alarms read, with publishing delays.

    Args:
        publish_delay: Seconds by namespace. Default: :data:`DEFAULT_PUBLISH_DELAY`.
    """

    def __init__(self, publish_delay: dict[str, float] | None = None) -> None:
        self.publish_delay = dict(DEFAULT_PUBLISH_DELAY if publish_delay is None else publish_delay)
        self._series: dict[tuple[str, str, str | None], list[float | None]] = {}
        self._metrics: list[
            tuple[tuple[str, str, str | None], MetricStat, MetricSource | None]
        ] = []

    @staticmethod
    def key(metric: MetricStat) -> tuple[str, str, str | None]:
        """The store key of a metric: namespace, name and the queue/service it is about."""
        return (metric.namespace, metric.metric_name, metric.subject)

    def track(self, metric: MetricStat) -> None:
        """Record this metric every minute from now on."""
        k = self.key(metric)
        if k not in self._series:
            self._series[k] = []
            self._metrics.append(
                (k, metric, find_metric_source(metric.namespace, metric.metric_name))
            )

    def delay(self, namespace: str) -> float:
        """Publishing delay of a namespace in seconds."""
        return self.publish_delay.get(namespace, 0.0)

    def record_minute(self, snapshot: Snapshot) -> None:
        """Append the sample of every tracked metric for the minute ending at ``snapshot.now``."""
        for k, metric, source in self._metrics:
            self._series[k].append(source(snapshot, metric) if source is not None else None)

    def samples(self, metric: MetricStat) -> list[float | None]:
        """All one-minute samples recorded so far (index = minute number)."""
        return self._series[self.key(metric)]

    def query(
        self, metric: MetricStat, periods: int, now: float, delay: float | None = None
    ) -> list[float | None]:
        """Datapoints for the last ``periods`` periods visible at ``now``, oldest first.

        Args:
            metric: Metric, statistic and period.
            periods: How many periods.
            now: Virtual time in seconds (a minute boundary).
            delay: Override the namespace delay (alarms mixing namespaces wait for the slowest).
        """
        series = self._series[self.key(metric)]
        d = self.delay(metric.namespace) if delay is None else delay
        end = min(int((now - d) // 60), len(series))
        width = max(1, metric.period // 60)
        out: list[float | None] = []
        for k in range(periods, 0, -1):
            hi = end - (k - 1) * width
            lo = hi - width
            if hi <= 0:
                out.append(None)
                continue
            window = [v for v in series[max(lo, 0) : hi] if v is not None]
            out.append(aggregate(window, metric.stat) if window else None)
        return out


# --- what the template says ------------------------------------------------------------------


def _subject(template: Template, dims: dict[str, str]) -> str | None:
    preferred = ("ServiceName", "QueueName")
    ordered = [dims[k] for k in preferred if k in dims] + [
        v for k, v in dims.items() if k not in preferred
    ]
    for value in ordered:
        for rid in referenced_ids(value):
            if rid in template.resources:
                return rid
        for qid, q in read_queues(template).items():
            if value == q.name:
                return qid
        for sid, sprops in template.of_type("AWS::ECS::Service").items():
            if value == sprops.get("ServiceName"):
                return sid
    return None


def read_metric_stat(
    template: Template, metric: dict[str, Any], stat: str, period: int
) -> MetricStat:
    """A metric as an alarm or a policy queries it, linked to the resource its dimensions name."""
    dims = {str(d.get("Name")): str(d.get("Value")) for d in metric.get("Dimensions") or []}
    return MetricStat(
        namespace=str(metric.get("Namespace", "")),
        metric_name=str(metric.get("MetricName", "")),
        dimensions=dims,
        subject=_subject(template, dims),
        stat=stat,
        period=period,
    )
