"""The dashboard: backlog, oldest message, tasks, CPU, memory and every alarm, per minute."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_cloudwatch as cloudwatch

from sqs_scale_to_zero.flag_alarms import ONE_MINUTE
from sqs_scale_to_zero.monitoring.operational_alarms import (
    OperationalAlarms,
    dead_letter_depth,
    oldest_message_age,
    signal_errors,
    signal_invocations,
)
from sqs_scale_to_zero.monitoring.tasks_not_working import (
    NOT_RECEIVING,
    ON_EMPTY_QUEUE,
    tasks_reporting,
)

if TYPE_CHECKING:
    from sqs_scale_to_zero.monitoring.monitored import MonitoredService, MonitoringSettings


def build_dashboard(
    dashboard: cloudwatch.Dashboard,
    settings: MonitoringSettings,
    monitored: MonitoredService,
    alarms: OperationalAlarms,
) -> None:
    """Add the widgets to ``dashboard``, one row per concern."""
    service, backlog = monitored.service, monitored.backlog
    cpu = service.metric_cpu_utilization(period=ONE_MINUTE, statistic="Average")
    memory = service.metric_memory_utilization(period=ONE_MINUTE, statistic="Average")
    rows: list[list[cloudwatch.IWidget]] = [
        [
            _graph(
                "Backlog: visible, in flight, delayed (max per minute)",
                [
                    _labelled(backlog.visible, "visible"),
                    _labelled(backlog.in_flight, "in flight"),
                    _labelled(backlog.delayed, "delayed"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Age of the oldest message (seconds)",
                left=[oldest_message_age(monitored.queue)],
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
            _graph(
                "Tasks: desired vs running",
                [
                    # The scaling's desired count (the wake function's, or Container
                    # Insights'), where there is one: no metric is added for the dashboard.
                    *([_labelled(backlog.desired, "desired")] if backlog.desired else []),
                    _labelled(tasks_reporting(service), "tasks reporting CPU"),
                ],
            ),
            _graph(
                "CPU and memory utilization (%)",
                [_labelled(cpu, "CPU"), _labelled(memory, "memory")],
            ),
        ],
        [
            cloudwatch.AlarmStatusWidget(
                title="Scaling and operational alarms",
                alarms=[*monitored.scaling_alarms, *alarms.all],
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
    not_working = alarms.tasks_not_receiving_alarm
    if not_working is not None and not_working is alarms.tasks_on_empty_queue_alarm:
        rows.append(
            [
                cloudwatch.AlarmWidget(
                    alarm=not_working,
                    title=(
                        f"Tasks doing no work: {ON_EMPTY_QUEUE} = on an empty queue, "
                        f"{NOT_RECEIVING} = taking no message"
                    ),
                    width=24,
                )
            ]
        )
    if monitored.dead_letter_queue is not None:
        rows.append(
            [_graph("Dead-letter queue depth", [dead_letter_depth(monitored.dead_letter_queue)])]
        )
    function = monitored.wake_function
    if function is not None:
        rows.append(
            [
                _graph(
                    "Backlog signal function: invocations and errors per minute",
                    [signal_invocations(function), signal_errors(function)],
                )
            ]
        )
    for row in rows:
        # Widgets added in one call share a row; each call starts a new row.
        dashboard.add_widgets(*row)


def _graph(title: str, metrics: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    """A half-width one-minute graph of ``metrics``."""
    return cloudwatch.GraphWidget(title=title, left=metrics, period=ONE_MINUTE, width=12)


def _labelled(metric: cloudwatch.IMetric, label: str) -> cloudwatch.IMetric:
    if isinstance(metric, cloudwatch.Metric):
        return metric.with_(label=label)
    return metric
