"""How the service wakes from zero tasks: the ``wake`` prop and its one-minute function.

Three modes, named for what each buys:

* :attr:`Wake.FAST` (the default): a function runs every minute, reads the queue's counts
  (``GetQueueAttributes``) and, when a message waits and the service has no task, sets the
  desired count to 1 itself; on GPU instances it also raises their Auto Scaling group's desired
  capacity, so the instance launch starts with the wake. Reading the queue keeps it *active*:
  "CloudWatch considers a queue to be active for up to six hours if it contains any messages
  or if any action accesses it" (Amazon SQS developer guide, "Available CloudWatch metrics for
  Amazon SQS"), so SQS never
  stops publishing its own metrics and the scaling alarms, which read those, never wait for a
  queue to wake up. The function publishes no backlog metric; it sends the service's desired
  count only while the service has tasks (for the backlog sizing), so while the service is idle
  it sends nothing, and CloudWatch meters a custom metric "only when [it is] sent" (CloudWatch
  pricing). https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
* :attr:`Wake.FRESH_SIGNAL`: the same function also publishes the queue's counts every minute
  (the *backlog signal*) and both scaling alarms read those instead of SQS's own: gauges at
  most a minute old, for three more custom metrics and a ``PutMetricData`` call a minute.
* :attr:`Wake.ON_ALARM`: no function: the cheapest stack. The scale-out alarm wakes the service
  from SQS's own metrics, which an *inactive* queue (six hours without any action) stops
  sending: "a delay of up to 15 minutes occurs in CloudWatch metrics when a queue is activated
  from an inactive state" (same page), so the first message after a quiet night can wait that
  long.

``backlog_signal`` is the older switch, kept as an alias: ``True`` is ``Wake.FRESH_SIGNAL``,
``False`` is ``Wake.ON_ALARM`` (what it built before ``wake`` existed).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from sqs_scale_to_zero.checks import optional_bool
from sqs_scale_to_zero.errors import ScaleToZeroValidationError

if TYPE_CHECKING:
    from aws_cdk import aws_autoscaling as autoscaling
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    from sqs_scale_to_zero.backlog import BacklogMetrics
    from sqs_scale_to_zero.wake_function import WakeFunction


class Wake(enum.Enum):
    """How the service wakes from zero tasks (the ``wake`` prop)."""

    FAST = "fast"
    """A one-minute function keeps the queue's metrics flowing and wakes the service itself
    (the default)."""

    FRESH_SIGNAL = "fresh_signal"
    """Like ``FAST``, and the function publishes the backlog signal each minute (the queue's
    counts, namespace ``SqsScaleToZero``), which the scaling alarms read instead of SQS's own
    metrics."""

    ON_ALARM = "on_alarm"
    """No function: the scale-out alarm wakes the service from SQS's own metrics (cheapest;
    up to 15 minutes slower after six idle hours)."""


DEFAULT_WAKE = Wake.FAST


@dataclass(frozen=True)
class WakeSettings:
    """The resolved ``wake`` mode.

    Attributes:
        mode: The mode.
    """

    mode: Wake

    @property
    def has_function(self) -> bool:
        """Whether the one-minute function exists."""
        return self.mode is not Wake.ON_ALARM

    @property
    def publishes_backlog(self) -> bool:
        """Whether the function publishes the queue's counts every minute for the alarms."""
        return self.mode is Wake.FRESH_SIGNAL


def resolve_wake(*, wake: object, backlog_signal: object) -> WakeSettings:
    """Validate ``wake`` and its alias ``backlog_signal``.

    Args:
        wake: A :class:`Wake`, or ``None`` for the default ``Wake.FAST``.
        backlog_signal: The alias: ``True`` for ``Wake.FRESH_SIGNAL``, ``False`` for
            ``Wake.ON_ALARM``, ``None`` to leave it to ``wake``.

    Raises:
        ScaleToZeroValidationError: ``wake`` is not a ``Wake``, ``backlog_signal`` is not a
            bool, or both are set.
    """
    alias = optional_bool("backlog_signal", backlog_signal)
    if wake is not None and not isinstance(wake, Wake):
        choices = ", ".join(f"Wake.{member.name}" for member in Wake)
        raise ScaleToZeroValidationError(
            "wake",
            f"must be a Wake (got {wake!r}): pass one of {choices}, imported with "
            "`from sqs_scale_to_zero import Wake`",
        )
    if wake is not None and alias is not None:
        raise ScaleToZeroValidationError(
            "backlog_signal",
            "cannot be combined with wake: backlog_signal=True is wake=Wake.FRESH_SIGNAL and "
            "backlog_signal=False is wake=Wake.ON_ALARM; keep only wake",
        )
    if alias is not None:
        return WakeSettings(Wake.FRESH_SIGNAL if alias else Wake.ON_ALARM)
    return WakeSettings(DEFAULT_WAKE if wake is None else wake)


@dataclass(frozen=True)
class WakeWiring:
    """What the wake builds before the scaling: its function and the metrics the alarms read."""

    function: Optional[WakeFunction]
    """The one-minute function; ``None`` with ``Wake.ON_ALARM``."""
    metrics: BacklogMetrics
    """What every scaling and monitoring alarm reads."""
    wakes_itself: bool
    """True when the function sets the desired count itself (backlog sizing only: its alarm
    subtracts the desired count the function publishes; fixed steps would add a second task)."""
    scale_out_minutes: int
    """Minutes the scale-out alarm confirms: 2 when the function wakes the service from SQS's
    own gauges, which may see a message a minute before the function does; else 1."""


def build_wake(
    scope: Construct,
    settings: WakeSettings,
    queue: sqs.IQueue,
    service: ecs.BaseService,
    *,
    log_retention: logs.RetentionDays,
    backlog_sizing: bool,
    container_insights: bool,
) -> WakeWiring:
    """Build the wake function (when ``settings`` has one) and choose the alarms' metrics."""
    from sqs_scale_to_zero.backlog import BacklogMetrics, container_insights_metric

    wakes_itself = settings.has_function and backlog_sizing
    desired: Optional[cloudwatch.IMetric] = None
    if container_insights:
        desired = container_insights_metric(service, "DesiredTaskCount")
    function = None
    if settings.has_function:
        # Imported only when used: aws_lambda and aws_events are slow to import.
        from sqs_scale_to_zero.wake_function import build_wake_function, desired_count_metric

        function = build_wake_function(
            scope, queue, log_retention, publishes_backlog=settings.publishes_backlog
        )
        desired = desired_count_metric(queue) if wakes_itself else desired
    metrics = (
        function.metrics
        if function is not None and function.metrics is not None
        else BacklogMetrics.of_queue(queue, desired=desired)
    )
    confirm = wakes_itself and not settings.publishes_backlog
    return WakeWiring(function, metrics, wakes_itself, scale_out_minutes=2 if confirm else 1)


def finish_wake(
    wiring: WakeWiring,
    service: ecs.BaseService,
    idle_alarm: cloudwatch.Alarm,
    *,
    messages_per_task: Optional[int],
    max_capacity: int,
    auto_scaling_group: Optional[autoscaling.AutoScalingGroup] = None,
    tasks_per_instance: int = 1,
) -> None:
    """Let the function wake ``service`` itself, once the idle alarm it holds off exists.

    On instances (``auto_scaling_group``) the wake also raises the group's desired capacity to
    the instances its tasks need, ``tasks_per_instance`` tasks to an instance.
    """
    if wiring.function is None or not wiring.wakes_itself:
        return
    from sqs_scale_to_zero.wake_function import enable_fast_wake, enable_instance_wake

    assert messages_per_task is not None  # wakes_itself: backlog sizing
    enable_fast_wake(
        wiring.function,
        service,
        idle_alarm,
        messages_per_task=messages_per_task,
        max_capacity=max_capacity,
    )
    if auto_scaling_group is not None:
        enable_instance_wake(
            wiring.function, auto_scaling_group, tasks_per_instance=tasks_per_instance
        )
