"""The operational alarms, each saying in its description what it means and what to check.

DLQ not empty, oldest message too old, tasks doing no work (on an empty queue, or taking no
message: :mod:`.tasks_not_working`), and backlog signal failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.flag_alarms import ONE_MINUTE, flag_alarm
from sqs_scale_to_zero.monitoring.tasks_not_working import tasks_not_working_alarms
from sqs_scale_to_zero.worker import contract

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

    from sqs_scale_to_zero.monitoring.monitored import MonitoredService, MonitoringSettings

SIGNAL_FAILURE_MINUTES = 5
"""Minutes of failed or missing backlog-signal runs before the backlog signal alarm fires."""


def oldest_message_age(queue: sqs.IQueue) -> cloudwatch.IMetric:
    """Age of the queue's oldest message, Maximum per minute."""
    return queue.metric_approximate_age_of_oldest_message(period=ONE_MINUTE, statistic="Maximum")


def dead_letter_depth(dead_letter_queue: sqs.IQueue) -> cloudwatch.IMetric:
    """Messages visible in the dead-letter queue, Maximum per minute."""
    return dead_letter_queue.metric_approximate_number_of_messages_visible(
        period=ONE_MINUTE, statistic="Maximum"
    )


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
        made: list[cloudwatch.Alarm] = []
        for alarm in candidates:
            # One alarm watches both ways tasks do no work where both are made: list it once.
            if alarm is not None and not any(alarm is seen for seen in made):
                made.append(alarm)
        return made


def build_operational_alarms(
    scope: Construct, settings: MonitoringSettings, monitored: MonitoredService
) -> OperationalAlarms:
    """Create the operational alarms that apply to ``monitored``."""
    dlq_alarm = None
    if monitored.dead_letter_queue is not None:
        dlq_alarm = cloudwatch.Alarm(
            scope,
            contract.DEAD_LETTER_QUEUE_ALARM_ID,
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
        contract.OLDEST_MESSAGE_AGE_ALARM_ID,
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

    leak_alarm, not_receiving = tasks_not_working_alarms(scope, settings, monitored)

    signal_alarm = None
    function = monitored.wake_function
    if function is not None:
        signal_alarm = flag_alarm(
            scope,
            contract.BACKLOG_SIGNAL_ALARM_ID,
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
        tasks_not_receiving_alarm=not_receiving,
    )
