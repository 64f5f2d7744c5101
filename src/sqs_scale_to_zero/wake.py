"""How the service wakes from zero tasks: the ``wake`` prop and its one-minute function.

Three modes, named for what each buys:

* :attr:`Wake.FAST` (the default): a function runs every minute, reads the queue's counts
  (``GetQueueAttributes``) and, when a message waits and the service has no task, sets the
  desired count to 1 itself. Reading the queue keeps it *active*: "CloudWatch considers a queue
  to be active for up to six hours if it contains any messages or if any action accesses it"
  (Amazon SQS developer guide, "Available CloudWatch metrics for Amazon SQS"), so SQS never
  stops publishing its own metrics and the scaling alarms, which read those, never wait for a
  queue to wake up. The function publishes no backlog metric; it sends the service's desired
  count only while the service has tasks (for the backlog sizing), so while the service is idle
  it sends nothing, and CloudWatch meters a custom metric "only when [it is] sent" (CloudWatch
  pricing). https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
* :attr:`Wake.FRESH_SIGNAL`: the same function also publishes the queue's counts every minute
  and both scaling alarms read those instead of SQS's own: gauges at most a minute old, for
  three more custom metrics and a ``PutMetricData`` call a minute.
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

from sqs_scale_to_zero.checks import optional_bool
from sqs_scale_to_zero.errors import ScaleToZeroValidationError


class Wake(enum.Enum):
    """How the service wakes from zero tasks (the ``wake`` prop)."""

    FAST = "fast"
    """A one-minute function keeps the queue's metrics flowing and wakes the service itself
    (the default)."""

    FRESH_SIGNAL = "fresh_signal"
    """Like ``FAST``, and the scaling alarms read the backlog the function publishes each
    minute instead of SQS's own metrics."""

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
