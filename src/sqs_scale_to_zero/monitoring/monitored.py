"""What the monitoring part is given: its validated settings and the service it watches.

Its own module so that the alarms and the dashboard read these types without importing the
package that builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero.backlog import BacklogMetrics
from sqs_scale_to_zero.scaling.idle import IdleCondition

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_


@dataclass(frozen=True)
class MonitoringSettings:
    """Validated monitoring settings."""

    alarm_topic: Optional[sns.ITopic]
    oldest_message_age_threshold_seconds: int
    idle_timeout_minutes: int
    leak_window_minutes: Optional[int]
    """The tasks-on-an-empty-queue alarm's window; ``None`` when that alarm is not made."""
    dashboard_name: Optional[str]
    tasks_not_receiving_alarm: bool = True
    """Watch for tasks that take no message (``MonitoringOptions.tasks_not_receiving_alarm``)."""


@dataclass(frozen=True)
class MonitoredService:
    """What monitoring looks at."""

    queue: sqs.IQueue
    dead_letter_queue: Optional[sqs.IQueue]
    service: ecs.BaseService
    backlog: BacklogMetrics
    wake_function: Optional[lambda_.IFunction]
    scaling_alarms: tuple[cloudwatch.Alarm, ...]
    idle: IdleCondition
    """The scaling part's definition of an idle minute, which the leak alarm shares."""
    warm_tasks: int = 0
    """``min_capacity``: tasks meant to run on an idle queue, which are no leak."""
    scales_in_tasks_not_working: bool = True
    """The alarm for tasks doing no work also sets the service to ``min_capacity`` (with
    ``task_protection``, which keeps a message received in the metrics' last minutes safe)."""
    holds_messages_in_flight: bool = True
    """The worker runtime keeps a message in flight while it works (its heartbeat); False for
    the user's own consumer, whose long job can be visible again while it runs: no tasks not
    receiving alarm then, as a busy task would look like one that takes nothing."""
