"""The operational alarms, each saying in its description what it means and what to check.

DLQ not empty, oldest message too old, tasks on an empty queue, tasks not receiving, and backlog
signal failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.flag_alarms import ONE_MINUTE, flag_alarm
from sqs_scale_to_zero.worker import contract

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

    from sqs_scale_to_zero.monitoring.monitored import MonitoredService, MonitoringSettings

SIGNAL_FAILURE_MINUTES = 5
"""Minutes of failed or missing backlog-signal runs before the backlog signal alarm fires."""

NOT_RECEIVING_MINUTES = 10
"""Minutes with tasks up, messages waiting, none in flight and none received before the tasks
not receiving alarm fires: longer than a task takes from RUNNING to its first receive, SQS's
metric delay, and the deploy drain's pause (at most 3 minutes)."""


def oldest_message_age(queue: sqs.IQueue) -> cloudwatch.IMetric:
    """Age of the queue's oldest message, Maximum per minute."""
    return queue.metric_approximate_age_of_oldest_message(period=ONE_MINUTE, statistic="Maximum")


def dead_letter_depth(dead_letter_queue: sqs.IQueue) -> cloudwatch.IMetric:
    """Messages visible in the dead-letter queue, Maximum per minute."""
    return dead_letter_queue.metric_approximate_number_of_messages_visible(
        period=ONE_MINUTE, statistic="Maximum"
    )


def tasks_reporting(service: ecs.BaseService) -> cloudwatch.IMetric:
    """CPU samples per minute.

    ECS publishes service metrics only while a task runs, so any sample means tasks run.
    """
    return service.metric_cpu_utilization(period=ONE_MINUTE, statistic="SampleCount")


def signal_invocations(function: lambda_.IFunction) -> cloudwatch.IMetric:
    """Invocations of the backlog signal function per minute."""
    return function.metric_invocations(period=ONE_MINUTE, statistic="Sum")


def signal_errors(function: lambda_.IFunction) -> cloudwatch.IMetric:
    """Failed invocations of the backlog signal function per minute."""
    return function.metric_errors(period=ONE_MINUTE, statistic="Sum")


@dataclass(frozen=True)
class OperationalAlarms:
    """The operational alarms that exist."""

    dead_letter_queue_alarm: Optional[cloudwatch.Alarm]
    oldest_message_age_alarm: cloudwatch.Alarm
    tasks_on_empty_queue_alarm: Optional[cloudwatch.Alarm]
    backlog_signal_alarm: Optional[cloudwatch.Alarm]
    tasks_not_receiving_alarm: Optional[cloudwatch.Alarm] = None

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        """Every alarm that was made, in creation order."""
        candidates = (
            self.dead_letter_queue_alarm,
            self.oldest_message_age_alarm,
            self.tasks_on_empty_queue_alarm,
            self.backlog_signal_alarm,
            self.tasks_not_receiving_alarm,
        )
        return [alarm for alarm in candidates if alarm is not None]


def build_operational_alarms(
    scope: Construct, settings: MonitoringSettings, monitored: MonitoredService
) -> OperationalAlarms:
    """Create the operational alarms that apply to ``monitored``."""
    dlq_alarm = None
    if monitored.dead_letter_queue is not None:
        dlq_alarm = cloudwatch.Alarm(
            scope,
            "DeadLetterQueueAlarm",
            alarm_description=(
                "Messages reached the dead-letter queue: a handler failed them max_receive_count "
                "times. Read them (aws sqs receive-message --queue-url <DLQ URL>), fix the "
                "handler or the data, then move them back with aws sqs start-message-move-task "
                "--source-arn <DLQ ARN>."
            ),
            metric=dead_letter_depth(monitored.dead_letter_queue),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    age_minutes = settings.oldest_message_age_threshold_seconds // 60
    age_alarm = cloudwatch.Alarm(
        scope,
        "OldestMessageAgeAlarm",
        alarm_description=(
            f"The oldest message has waited over {age_minutes} minutes, far longer than a wake "
            "from zero takes: check the service's events and stopped tasks (image pull, "
            "secrets, subnets), the scale-out alarm's state and max_capacity."
        ),
        metric=oldest_message_age(monitored.queue),
        threshold=settings.oldest_message_age_threshold_seconds,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )

    leak_alarm = None
    window = settings.leak_window_minutes
    if window is not None:
        warm = monitored.warm_tasks
        running = f"More than {warm} tasks (min_capacity) have" if warm else "Tasks have"
        leak_alarm = flag_alarm(
            scope,
            "TasksOnEmptyQueueAlarm",
            description=(
                f"{running} run on an idle queue for {window} minutes (idle_timeout is "
                f"{settings.idle_timeout_minutes}; idle as the scale-in alarm defines it): the "
                "scale-in to zero is not happening and the service costs money. Check the "
                "scale-in alarm's state and history, and whether tasks hold task scale-in "
                "protection while idle."
            ),
            # The scale-in alarm's own idle condition, so the two never disagree about whether
            # the service is working (a missing point is not idle here either).
            expression=(
                f"IF(({monitored.idle.expression}) AND (FILL(tasks_reporting, 0) > {warm}), 1, 0)"
            ),
            using_metrics={
                **monitored.idle.using_metrics,
                "tasks_reporting": tasks_reporting(monitored.service),
            },
            label="tasks running on an empty queue (1) or not (0)",
            minutes=window,
            # N-1 of N: ECS metrics can land after the newest minute is evaluated, and FILL would
            # then read that minute as "no task"; one such minute must not hide a leak.
            datapoints_to_alarm=max(window - 1, 1),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    signal_alarm = None
    function = monitored.backlog_signal_function
    if function is not None:
        signal_alarm = flag_alarm(
            scope,
            "BacklogSignalAlarm",
            description=(
                f"The backlog signal function failed or did not run for {SIGNAL_FAILURE_MINUTES} "
                "minutes: the scaling alarms can't see the queue, so the service neither wakes "
                "nor scales in. Check the function's logs and its one-minute schedule rule."
            ),
            expression="IF((FILL(errors, 0) >= 1) OR (FILL(invocations, 0) == 0), 1, 0)",
            using_metrics={
                "errors": signal_errors(function),
                "invocations": signal_invocations(function),
            },
            label="signal failed (1) or published (0)",
            minutes=SIGNAL_FAILURE_MINUTES,
            # No Lambda metric at all means the function did not run: that is the failure.
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
    return OperationalAlarms(
        dead_letter_queue_alarm=dlq_alarm,
        oldest_message_age_alarm=age_alarm,
        tasks_on_empty_queue_alarm=leak_alarm,
        backlog_signal_alarm=signal_alarm,
        tasks_not_receiving_alarm=(
            not_receiving_alarm(scope, monitored)
            if settings.tasks_not_receiving_alarm and monitored.holds_messages_in_flight
            else None
        ),
    )


def not_receiving_alarm(scope: Construct, monitored: MonitoredService) -> cloudwatch.Alarm:
    """The alarm for a service whose tasks run but never take a message.

    A task that crashes at start, or cannot receive (a wrong queue URL, a missing KMS or SQS
    permission), leaves the messages untouched: visible, none in flight, none received. The
    idle alarm never sees an idle minute then, so nothing else notices. A busy service always
    has a message in flight (received and not yet deleted), so the condition never holds for
    one, however long its jobs. Tasks up: the desired count where it is published (the backlog
    signal, or Container Insights), which stays up through a crash loop; else the tasks' CPU
    samples. N-1 of N minutes, as metrics can land after the newest minute is evaluated.
    """
    tasks = monitored.backlog.desired or tasks_reporting(monitored.service)
    minutes = NOT_RECEIVING_MINUTES
    return flag_alarm(
        scope,
        contract.NOT_RECEIVING_ALARM_ID,
        description=(
            f"Tasks have run for {minutes} minutes while messages waited, with none in flight "
            "and none received: the tasks do not take messages. Check the stopped tasks' "
            "reason and the container's first log lines (a crash at start, a wrong QUEUE_URL, "
            "access denied to the queue or its KMS key). The service is scaled in to "
            "min_capacity meanwhile; the next message wakes it again."
        ),
        expression=(
            "IF((FILL(tasks, 0) > 0) AND (FILL(visible, 0) >= 1) AND (FILL(in_flight, 0) == 0)"
            " AND (FILL(received, 0) == 0), 1, 0)"
        ),
        using_metrics={
            "tasks": tasks,
            "visible": monitored.backlog.visible,
            "in_flight": monitored.backlog.in_flight,
            "received": monitored.backlog.activity.received,
        },
        label="tasks up, messages waiting, nothing received (1) or not (0)",
        minutes=minutes,
        datapoints_to_alarm=minutes - 1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
