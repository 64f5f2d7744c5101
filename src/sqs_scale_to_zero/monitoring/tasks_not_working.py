"""Tasks that run and do no work: on an empty queue (a leak), or taking no message (never polling).

Two ways a service can run tasks for nothing, and one alarm for both where both are made:

* **Tasks on an empty queue.** The queue is idle (as the scale-in alarm defines an idle minute)
  and tasks still run: the scale-in to zero is not happening.
* **Tasks that take no message.** Tasks are up while messages wait, none is in flight and none
  is received: a task that crashes at start, or cannot receive (a wrong ``QUEUE_URL``, a missing
  SQS or KMS permission). The idle alarm never sees an idle minute then, so nothing else notices.

CloudWatch bills an alarm for every metric its math reads ($0.10 a metric-month,
https://aws.amazon.com/cloudwatch/pricing/), and two alarms reading one metric pay for it
twice. The second condition reads only metrics the first reads already (the queue's visible and
in-flight counts, its received sum) plus the service's desired count where there is one, so one
alarm flags either: its value is 1 for a minute of tasks on an empty queue, 2 for a minute of
tasks that take no message, 0 otherwise; the state reason CloudWatch records lists the values,
and the dashboard graphs them, so the on-call sees which. One metric more than the leak alarm
alone, instead of a second alarm of four.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from sqs_scale_to_zero.flag_alarms import ONE_MINUTE, flag_alarm
from sqs_scale_to_zero.worker import contract

if TYPE_CHECKING:
    from sqs_scale_to_zero.monitoring.monitored import MonitoredService, MonitoringSettings

NOT_RECEIVING_MINUTES = 10
"""Minutes with tasks up, messages waiting, none in flight and none received before the alarm
fires, at least: longer than a task takes from RUNNING to its first receive, SQS's metric
delay, and the deploy drain's pause (at most 3 minutes)."""

ON_EMPTY_QUEUE = 1
"""The alarm's value for a minute of tasks on an empty queue."""
NOT_RECEIVING = 2
"""The alarm's value for a minute of tasks that take no message."""


def tasks_reporting(service: ecs.BaseService) -> cloudwatch.IMetric:
    """CPU samples per minute.

    ECS publishes service metrics only while a task runs, so any sample means tasks run.
    """
    return service.metric_cpu_utilization(period=ONE_MINUTE, statistic="SampleCount")


def tasks_not_working_alarms(
    scope: Construct, settings: MonitoringSettings, monitored: MonitoredService
) -> tuple[Optional[cloudwatch.Alarm], Optional[cloudwatch.Alarm]]:
    """The alarms for tasks on an empty queue and for tasks that take no message, in that order.

    One alarm, returned twice, where both are made; ``None`` for one not made. Tasks that take
    no message are watched only where the worker holds every message it works on in flight
    (``monitored.holds_messages_in_flight``): a busy task then always has a message in flight,
    however long its job, so it never looks like one that takes nothing.
    """
    window = settings.leak_window_minutes
    watch_receiving = settings.tasks_not_receiving_alarm and monitored.holds_messages_in_flight
    if window is not None and watch_receiving:
        minutes = max(window, NOT_RECEIVING_MINUTES)
        both = flag_alarm(
            scope,
            contract.NOT_WORKING_ALARM_ID,
            description=(
                f"Tasks ran for {minutes} minutes doing no work. A value of {ON_EMPTY_QUEUE}: "
                f"{_on_empty_queue_text(settings, monitored, minutes)} A value of {NOT_RECEIVING}: "
                f"{_not_receiving_text()}{_scale_in_text(monitored, 'Either way the service')}"
            ),
            expression=(
                f"IF({_not_receiving_condition(monitored)}, {NOT_RECEIVING}, "
                f"{_on_empty_queue_expression(monitored)})"
            ),
            using_metrics={
                **_on_empty_queue_metrics(monitored),
                **_not_receiving_metrics(monitored),
            },
            label=(
                f"tasks on an empty queue ({ON_EMPTY_QUEUE}), taking no message "
                f"({NOT_RECEIVING}) or working (0)"
            ),
            minutes=minutes,
            # N-1 of N, as for each alone: metrics can land after the newest minute is read.
            datapoints_to_alarm=minutes - 1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        return both, both
    leak = None
    if window is not None:
        leak = flag_alarm(
            scope,
            contract.EMPTY_QUEUE_ALARM_ID,
            description=_on_empty_queue_text(settings, monitored, window),
            expression=_on_empty_queue_expression(monitored),
            using_metrics=_on_empty_queue_metrics(monitored),
            label="tasks running on an empty queue (1) or not (0)",
            minutes=window,
            # N-1 of N: ECS metrics can land after the newest minute is evaluated, and FILL would
            # then read that minute as "no task"; one such minute must not hide a leak.
            datapoints_to_alarm=max(window - 1, 1),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
    not_receiving = None
    if watch_receiving:
        minutes = NOT_RECEIVING_MINUTES
        not_receiving = flag_alarm(
            scope,
            contract.NOT_RECEIVING_ALARM_ID,
            description=(
                f"Tasks ran for {minutes} minutes taking no message: {_not_receiving_text()}"
                + _scale_in_text(monitored, "The service")
            ),
            expression=f"IF({_not_receiving_condition(monitored)}, 1, 0)",
            using_metrics=_not_receiving_metrics(monitored),
            label="tasks up, messages waiting, nothing received (1) or not (0)",
            minutes=minutes,
            datapoints_to_alarm=minutes - 1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
    return leak, not_receiving


def _on_empty_queue_text(
    settings: MonitoringSettings, monitored: MonitoredService, minutes: int
) -> str:
    warm = monitored.warm_tasks
    running = f"More than {warm} tasks (min_capacity) have" if warm else "Tasks have"
    return (
        f"{running} run on an idle queue for {minutes} minutes "
        f"(idle_timeout is {settings.idle_timeout_minutes}; idle as the scale-in alarm "
        "defines it): the scale-in to zero is not happening and the service costs money. "
        "Check the scale-in alarm's state and history, and whether tasks hold task scale-in "
        "protection while idle."
    )


def _scale_in_text(monitored: MonitoredService, subject: str) -> str:
    if not monitored.scales_in_tasks_not_working:
        return ""
    return (
        f" {subject} is set to min_capacity (nothing is in flight, so nothing is interrupted); "
        "the next message wakes it again."
    )


def _not_receiving_text() -> str:
    return (
        "tasks were up while messages waited, with none in flight and none received: the tasks "
        "do not take messages. Check the stopped tasks' reason and the container's first log "
        "lines (a crash at start, a wrong QUEUE_URL, access denied to the queue or its KMS key)."
    )


def _on_empty_queue_expression(monitored: MonitoredService) -> str:
    # The scale-in alarm's own idle condition, so the two never disagree about whether the
    # service is working (a missing point is not idle here either).
    return (
        f"IF(({monitored.idle.expression}) AND "
        f"(FILL(tasks_reporting, 0) > {monitored.warm_tasks}), 1, 0)"
    )


def _on_empty_queue_metrics(monitored: MonitoredService) -> dict[str, cloudwatch.IMetric]:
    return {
        **monitored.idle.using_metrics,
        "tasks_reporting": tasks_reporting(monitored.service),
    }


def _tasks_id(monitored: MonitoredService) -> str:
    """The metric id that says tasks are up.

    ``tasks`` (the desired count) where one is published (the wake function, the backlog
    signal, or Container Insights), as it stays up through a crash loop whose tasks die before
    ECS samples their CPU; else the CPU samples the empty-queue condition reads already (one
    metric, billed once).
    """
    return "tasks" if monitored.backlog.desired is not None else "tasks_reporting"


def _not_receiving_condition(monitored: MonitoredService) -> str:
    return (
        f"(FILL({_tasks_id(monitored)}, 0) > 0) AND (FILL(visible, 0) >= 1) AND "
        "(FILL(in_flight, 0) == 0) AND (FILL(received, 0) == 0)"
    )


def _not_receiving_metrics(monitored: MonitoredService) -> dict[str, cloudwatch.IMetric]:
    desired = monitored.backlog.desired
    return {
        _tasks_id(monitored): desired or tasks_reporting(monitored.service),
        "visible": monitored.backlog.visible,
        "in_flight": monitored.backlog.in_flight,
        "received": monitored.backlog.activity.received,
    }
