"""Monitoring: one dashboard and the alarms that tell the on-call what the service is doing.

A service that sits at zero tasks most of the day is healthy when the queue is empty and broken
when messages wait and nothing wakes. The dashboard shows both on one screen at one-minute
resolution; the alarms fire only on the broken cases:

* **Dead-letter queue not empty** — a handler failed ``max_receive_count`` times.
* **Oldest message too old** — messages wait far longer than a wake takes: the service is not
  waking (or can't keep up).
* **Tasks running on an empty queue** — scale-in is not happening: money leaks.
* **Backlog signal failing** (with ``backlog_signal=True``) — the scaling alarms are blind.

A queue at rest publishes no SQS metrics at all (after six idle hours), and a service with no
running task publishes no ECS metrics; both are healthy, so missing data never alarms here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

from sqs_scale_to_zero.scaling import ONE_MINUTE, BacklogMetrics
from sqs_scale_to_zero.settings import (
    LEAK_WINDOW_FACTOR,
    MAX_ALARM_WINDOW_MINUTES,
    MonitoringSettings,
)

LEAK_MIN_MARGIN_MINUTES = 5
"""The leak alarm's window must exceed ``idle_timeout`` by at least this much, or it is skipped."""
SIGNAL_FAILURE_MINUTES = 5
"""Minutes of failed or missing backlog-signal runs before the signal alarm fires."""


@dataclass(frozen=True)
class Monitoring:
    """The composed monitoring resources."""

    dashboard: cloudwatch.Dashboard
    dead_letter_queue_alarm: Optional[cloudwatch.Alarm]
    oldest_message_age_alarm: cloudwatch.Alarm
    tasks_on_empty_queue_alarm: Optional[cloudwatch.Alarm]
    backlog_signal_alarm: Optional[cloudwatch.Alarm]

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        """The operational alarms that exist."""
        candidates = (
            self.dead_letter_queue_alarm,
            self.oldest_message_age_alarm,
            self.tasks_on_empty_queue_alarm,
            self.backlog_signal_alarm,
        )
        return [alarm for alarm in candidates if alarm is not None]


@dataclass(frozen=True)
class MonitoredService:
    """What monitoring looks at."""

    queue: sqs.IQueue
    dead_letter_queue: Optional[sqs.IQueue]
    service: ecs.FargateService
    backlog: BacklogMetrics
    delayed: cloudwatch.IMetric
    backlog_signal_function: Optional[lambda_.IFunction]
    scaling_alarms: tuple[cloudwatch.Alarm, ...]
    idle_timeout_minutes: int


def build_monitoring(
    scope: Construct, settings: MonitoringSettings, monitored: MonitoredService
) -> Monitoring:
    """Create the operational alarms and the dashboard."""
    queue, service = monitored.queue, monitored.service
    oldest_age = queue.metric_approximate_age_of_oldest_message(
        period=ONE_MINUTE, statistic="Maximum"
    )
    cpu = service.metric_cpu_utilization(period=ONE_MINUTE, statistic="Average")
    memory = service.metric_memory_utilization(period=ONE_MINUTE, statistic="Average")
    # ECS publishes service metrics only while a task runs, so any CPU sample means tasks run.
    tasks_reporting = service.metric_cpu_utilization(period=ONE_MINUTE, statistic="SampleCount")

    dlq_alarm = None
    dlq_depth = None
    if monitored.dead_letter_queue is not None:
        dlq_depth = monitored.dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=ONE_MINUTE, statistic="Maximum"
        )
        dlq_alarm = cloudwatch.Alarm(
            scope,
            "DeadLetterQueueAlarm",
            alarm_description=(
                "Messages reached the dead-letter queue: a handler failed them max_receive_count "
                "times. Read them (aws sqs receive-message --queue-url <DLQ URL>), fix the "
                "handler or the data, then move them back with aws sqs start-message-move-task "
                "--source-arn <DLQ ARN>."
            ),
            metric=dlq_depth,
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
        metric=oldest_age,
        threshold=settings.oldest_message_age_threshold_seconds,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )

    leak_alarm = None
    idle = monitored.idle_timeout_minutes
    window = min(idle * LEAK_WINDOW_FACTOR, MAX_ALARM_WINDOW_MINUTES)
    # The window must outlast a scale-in that works; near CloudWatch's one-day cap it can't.
    if settings.tasks_on_empty_queue_alarm and window >= idle + LEAK_MIN_MARGIN_MINUTES:
        leak_alarm = cloudwatch.Alarm(
            scope,
            "TasksOnEmptyQueueAlarm",
            alarm_description=(
                f"Tasks have run on an empty queue for {window} minutes (idle_timeout is "
                f"{idle}): the scale-in to zero is not happening and the service costs money. "
                "Check the scale-in alarm's state and history, and whether tasks hold task "
                "scale-in protection while idle."
            ),
            metric=cloudwatch.MathExpression(
                expression=(
                    "IF(((FILL(visible, 0) + FILL(in_flight, 0)) == 0) AND "
                    "(FILL(tasks_reporting, 0) > 0), 1, 0)"
                ),
                using_metrics={
                    "visible": monitored.backlog.visible,
                    "in_flight": monitored.backlog.in_flight,
                    "tasks_reporting": tasks_reporting,
                },
                period=ONE_MINUTE,
                label="tasks running on an empty queue (1) or not (0)",
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # N-1 of N: ECS metrics can land after the newest minute is evaluated, and FILL would
            # then read that minute as "no task"; one such minute must not hide a leak.
            evaluation_periods=window,
            datapoints_to_alarm=max(window - 1, 1),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    signal_alarm = None
    function = monitored.backlog_signal_function
    if function is not None:
        signal_alarm = cloudwatch.Alarm(
            scope,
            "BacklogSignalAlarm",
            alarm_description=(
                f"The backlog signal function failed or did not run for {SIGNAL_FAILURE_MINUTES} "
                "minutes: the scaling alarms can't see the queue, so the service neither wakes "
                "nor scales in. Check the function's logs and its one-minute schedule rule."
            ),
            metric=cloudwatch.MathExpression(
                expression="IF((FILL(errors, 0) >= 1) OR (FILL(invocations, 0) == 0), 1, 0)",
                using_metrics={
                    "errors": function.metric_errors(period=ONE_MINUTE, statistic="Sum"),
                    "invocations": function.metric_invocations(
                        period=ONE_MINUTE, statistic="Sum"
                    ),
                },
                period=ONE_MINUTE,
                label="signal failed (1) or published (0)",
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=SIGNAL_FAILURE_MINUTES,
            datapoints_to_alarm=SIGNAL_FAILURE_MINUTES,
            # No Lambda metric at all means the function did not run: that is the failure.
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )

    monitoring = Monitoring(
        dashboard=cloudwatch.Dashboard(
            scope,
            "Dashboard",
            dashboard_name=settings.dashboard_name,
            default_interval=Duration.hours(3),
            # Keep each graph's one-minute period at any time range: no 5-minute blurs.
            period_override=cloudwatch.PeriodOverride.INHERIT,
        ),
        dead_letter_queue_alarm=dlq_alarm,
        oldest_message_age_alarm=age_alarm,
        tasks_on_empty_queue_alarm=leak_alarm,
        backlog_signal_alarm=signal_alarm,
    )
    if settings.alarm_topic is not None:
        action = cloudwatch_actions.SnsAction(settings.alarm_topic)
        for alarm in monitoring.alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)

    rows: list[list[cloudwatch.IWidget]] = [
        [
            cloudwatch.GraphWidget(
                title="Backlog: visible, in flight, delayed (max per minute)",
                left=[
                    _labelled(monitored.backlog.visible, "visible"),
                    _labelled(monitored.backlog.in_flight, "in flight"),
                    _labelled(monitored.delayed, "delayed"),
                ],
                period=ONE_MINUTE,
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Age of the oldest message (seconds)",
                left=[oldest_age],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(
                        value=settings.oldest_message_age_threshold_seconds, label="alarm"
                    )
                ],
                period=ONE_MINUTE,
                width=12,
            ),
        ],
        [
            cloudwatch.GraphWidget(
                title="Tasks: desired vs running",
                left=[
                    _container_insights(service, "DesiredTaskCount", "desired"),
                    _container_insights(service, "RunningTaskCount", "running"),
                    _labelled(tasks_reporting, "tasks reporting CPU"),
                ],
                period=ONE_MINUTE,
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="CPU and memory utilization (%)",
                left=[_labelled(cpu, "CPU"), _labelled(memory, "memory")],
                period=ONE_MINUTE,
                width=12,
            ),
        ],
        [
            cloudwatch.AlarmStatusWidget(
                title="Scaling and operational alarms",
                alarms=[*monitored.scaling_alarms, *monitoring.alarms],
                width=24,
            ),
        ],
        [
            cloudwatch.AlarmWidget(alarm=alarm, title=title, width=12)
            for alarm, title in zip(
                monitored.scaling_alarms[:2],
                ("Scale-out alarm: visible messages", "Scale-in alarm: idle minutes (1 = idle)"),
                strict=True,
            )
        ],
    ]
    if dlq_depth is not None:
        rows.append(
            [
                cloudwatch.GraphWidget(
                    title="Dead-letter queue depth", left=[dlq_depth], period=ONE_MINUTE, width=12
                )
            ]
        )
    if function is not None:
        rows.append(
            [
                cloudwatch.GraphWidget(
                    title="Backlog signal function: invocations and errors per minute",
                    left=[
                        function.metric_invocations(period=ONE_MINUTE, statistic="Sum"),
                        function.metric_errors(period=ONE_MINUTE, statistic="Sum"),
                    ],
                    period=ONE_MINUTE,
                    width=12,
                )
            ]
        )
    for row in rows:
        # Widgets added in one call share a row; each call starts a new row.
        monitoring.dashboard.add_widgets(*row)
    return monitoring


def _labelled(metric: cloudwatch.IMetric, label: str) -> cloudwatch.IMetric:
    if isinstance(metric, cloudwatch.Metric):
        return metric.with_(label=label)
    return metric


def _container_insights(service: ecs.FargateService, name: str, label: str) -> cloudwatch.Metric:
    """A Container Insights task-count metric: no data unless the cluster has it enabled."""
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
