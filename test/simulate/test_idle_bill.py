"""The idle bill, item by item, from hand-written templates and the construct's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate.idle_bill import (
    ALARM_METRIC_MONTH,
    CUSTOM_METRIC_MONTH,
    DASHBOARD_MONTH,
    HOURS_PER_MONTH,
    LAMBDA_PER_GB_SECOND,
    LAMBDA_PER_REQUEST,
    PUT_METRIC_DATA_PER_REQUEST,
    RUN_SECONDS,
    SQS_PER_REQUEST,
    bill_of,
    idle_bill,
)
from sqs_scale_to_zero.simulate.template.reader import TemplateReader
from sqs_scale_to_zero.worker import contract

RUNS = HOURS_PER_MONTH * 60.0  # rate(1 minute)


def template(publishes: str | None, *, insights: bool = False) -> dict[str, Any]:
    """A rule invoking a function every minute, two alarms (one metric-math), a dashboard."""
    variables: dict[str, Any] = {contract.SIGNAL_QUEUE_URL: {"Ref": "Queue"}}
    if publishes is not None:
        variables[contract.SIGNAL_METRIC_NAMESPACE] = contract.SIGNAL_NAMESPACE
        variables[contract.SIGNAL_PUBLISHES] = publishes
        variables[contract.SIGNAL_SERVICE_NAME] = {"Fn::GetAtt": ["Service", "Name"]}
    stat = {"Metric": {"Namespace": "AWS/SQS", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}
    return {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Cluster": {
                "Type": "AWS::ECS::Cluster",
                "Properties": {
                    "ClusterSettings": [
                        {
                            "Name": "containerInsights",
                            "Value": "enabled" if insights else "disabled",
                        }
                    ]
                },
            },
            "Service": {"Type": "AWS::ECS::Service", "Properties": {"Cluster": {"Ref": "Cluster"}}},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "MemorySize": 128,
                    "Architectures": ["arm64"],
                    "Environment": {"Variables": variables},
                },
            },
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "ScheduleExpression": "rate(1 minute)",
                    "Targets": [{"Arn": {"Fn::GetAtt": ["Function", "Arn"]}, "Id": "T"}],
                },
            },
            "Single": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {"MetricName": "M", "Namespace": "AWS/SQS", "Period": 60},
            },
            "Math": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": [
                        {"Id": "a", "MetricStat": stat},
                        {"Id": "b", "MetricStat": stat},
                        {"Id": "e", "Expression": "a + b"},
                    ]
                },
            },
            "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
        }
    }


def items(publishes: str | None, **kwargs: Any) -> dict[str, float]:
    bill = bill_of(TemplateReader(template(publishes, **kwargs), "t"))
    assert bill.dashboards == 1 and bill.dashboards_usd == DASHBOARD_MONTH
    return {line.item: line.usd for line in bill.lines}


def test_every_alarm_metric_is_billed_and_expressions_are_not() -> None:
    billed = items(None)
    assert billed["alarm: on M"] == pytest.approx(ALARM_METRIC_MONTH)
    assert billed["alarm: metric math on M"] == pytest.approx(2 * ALARM_METRIC_MONTH)


def test_a_scheduled_function_is_billed_per_run_and_gb_second() -> None:
    billed = items(None)
    gb_seconds = RUNS * RUN_SECONDS * 128 / 1024
    assert billed["scheduled function (1 invocation a minute)"] == pytest.approx(
        RUNS * LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_PER_GB_SECOND["arm64"]
    )
    assert billed["queue counts read by the scheduled function"] == pytest.approx(
        RUNS * SQS_PER_REQUEST
    )
    assert not [item for item in billed if item.startswith(("custom metrics", "metric uploads"))]


def test_the_fast_wake_sends_nothing_while_idle() -> None:
    billed = items(contract.SIGNAL_PUBLISHES_DESIRED)
    assert billed["custom metrics of the scheduled wake function"] == 0.0
    assert "metric uploads of the scheduled wake function" not in billed


def test_the_fresh_signal_sends_four_metrics_every_minute() -> None:
    billed = items(contract.SIGNAL_PUBLISHES_BACKLOG)
    assert billed["custom metrics of the backlog signal function"] == pytest.approx(
        4 * CUSTOM_METRIC_MONTH
    )
    assert billed["metric uploads of the backlog signal function"] == pytest.approx(
        RUNS * PUT_METRIC_DATA_PER_REQUEST
    )


def test_container_insights_is_billed_as_if_sent_at_zero_tasks() -> None:
    insights = "Container Insights (ECS's task counts as custom metrics)"
    assert insights not in items(None)
    assert items(None, insights=True)[insights] == pytest.approx(7 * CUSTOM_METRIC_MONTH)


def test_the_default_construct_meets_the_idle_goals(
    ours_template: Path, ours_on_alarm_template: Path
) -> None:
    """Default stack, monitoring on, never-polling watched: at most $2.00 a month while idle,
    the README's idle goal."""
    default = idle_bill(ours_template)
    assert default.total <= 2.00
    assert default.dashboards == 1
    billed = {line.item: line.usd for line in default.lines}
    assert billed["alarm: tasks on an empty queue or taking no message"] == pytest.approx(
        8 * ALARM_METRIC_MONTH
    )
    on_alarm = idle_bill(ours_on_alarm_template)
    assert not any("function" in line.item for line in on_alarm.lines)


def test_items_are_named_in_plain_words_and_by_logical_id_only_in_detail(
    ours_template: Path,
) -> None:
    bill = idle_bill(ours_template)
    plain = "\n".join(bill.summary(width=200))
    detailed = "\n".join(bill.summary(width=200, details=True))

    assert "alarm: idle scale-in: 6 metrics" in plain
    assert "scheduled wake function (1 invocation a minute)" in plain
    for line in bill.lines:
        for logical_id in line.resources:
            assert logical_id not in plain
            assert f"{logical_id}]" in detailed


def test_the_summary_wraps_each_item_under_its_price(ours_template: Path) -> None:
    lines = idle_bill(ours_template).summary(width=60)

    assert max(len(line) for line in lines[1:]) <= 60
    assert lines[1].startswith("  $") and lines[2].startswith("         ")
