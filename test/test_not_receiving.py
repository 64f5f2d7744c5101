"""A service that never polls (tasks that crash at start or cannot receive) pages, and is set
to ``min_capacity``: the tasks-not-receiving alarm and its ``ExactCapacity`` policy."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_sns as sns

from sqs_scale_to_zero import MonitoringOptions, ScaleToZeroQueueService, Wake
from sqs_scale_to_zero.monitoring.operational_alarms import NOT_RECEIVING_MINUTES
from sqs_scale_to_zero.worker import contract
from test.conftest import TEST_IMAGE, Synthesized, synthesize

EXPRESSION = (
    "IF((FILL(tasks, 0) > 0) AND (FILL(visible, 0) >= 1) AND (FILL(in_flight, 0) == 0)"
    " AND (FILL(received, 0) == 0), 1, 0)"
)


def alarm_of(synth: Synthesized) -> dict[str, Any]:
    assert synth.construct.tasks_not_receiving_alarm is not None
    return synth.properties(synth.construct.tasks_not_receiving_alarm)


def metric_names(props: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """Metric id -> (namespace, metric name, statistic)."""
    return {
        m["Id"]: (
            m["MetricStat"]["Metric"]["Namespace"],
            m["MetricStat"]["Metric"]["MetricName"],
            m["MetricStat"]["Stat"],
        )
        for m in props["Metrics"]
        if "MetricStat" in m
    }


def policy_of_alarm(synth: Synthesized, props: dict[str, Any]) -> dict[str, Any]:
    policies = synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    (policy_id,) = [a["Ref"] for a in props["AlarmActions"] if a.get("Ref") in policies]
    return dict(policies[policy_id]["Properties"])


def test_it_fires_on_tasks_up_messages_waiting_nothing_in_flight_or_received(
    watched_service: Synthesized,
) -> None:
    props = alarm_of(watched_service)
    (expression,) = [m["Expression"] for m in props["Metrics"] if "Expression" in m]

    assert expression == EXPRESSION
    assert metric_names(props) == {
        "tasks": ("SqsScaleToZero", "DesiredTaskCount", "Maximum"),
        "visible": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
        "in_flight": ("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "Maximum"),
        "received": ("AWS/SQS", "NumberOfMessagesReceived", "Sum"),
    }
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == 1
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (
        NOT_RECEIVING_MINUTES,
        NOT_RECEIVING_MINUTES - 1,
    )
    assert props["TreatMissingData"] == "notBreaching"


def test_it_sets_the_service_to_min_capacity(watched_service: Synthesized) -> None:
    target_id = watched_service.logical_id(watched_service.construct.scalable_target)

    policy = policy_of_alarm(watched_service, alarm_of(watched_service))

    assert policy["ScalingTargetId"] == {"Ref": target_id}
    config = policy["StepScalingPolicyConfiguration"]
    assert config["AdjustmentType"] == "ExactCapacity"
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 0}]


def test_the_default_asks_for_no_such_alarm(default_service: Synthesized) -> None:
    # four more alarm metrics ($0.40 a month): MonitoringOptions(tasks_not_receiving_alarm=True)
    assert default_service.construct.tasks_not_receiving_alarm is None
    alarms = default_service.resources("AWS::CloudWatch::Alarm")
    assert not [name for name in alarms if contract.NOT_RECEIVING_ALARM_ID in name]


def test_it_pages_the_alarm_topic() -> None:
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            monitoring=MonitoringOptions(
                alarm_topic=sns.Topic(stack, "Alarms"), tasks_not_receiving_alarm=True
            ),
        )
    )
    props = alarm_of(synth)
    topics = synth.resources("AWS::SNS::Topic")

    assert any(a.get("Ref") in topics for a in props["AlarmActions"])
    assert any(a.get("Ref") in topics for a in props["OKActions"])


def test_without_a_desired_count_metric_it_counts_tasks_by_cpu_samples() -> None:
    # no wake function and no Container Insights: nothing publishes a desired count
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            wake=Wake.ON_ALARM,
            monitoring=MonitoringOptions(tasks_not_receiving_alarm=True),
        )
    )
    names = metric_names(alarm_of(synth))

    assert names["tasks"] == ("AWS/ECS", "CPUUtilization", "SampleCount")


def test_with_the_backlog_signal_it_reads_the_signals_counts() -> None:
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            wake=Wake.FRESH_SIGNAL,
            monitoring=MonitoringOptions(tasks_not_receiving_alarm=True),
        )
    )
    names = metric_names(alarm_of(synth))

    assert names["tasks"][0] == names["visible"][0] == "SqsScaleToZero"
    assert names["received"] == ("AWS/SQS", "NumberOfMessagesReceived", "Sum")


def test_an_own_consumer_gets_no_such_alarm_nor_its_scale_in() -> None:
    # its long job's message is visible again while it runs: busy would look like broken
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            own_consumer=True,
            monitoring=MonitoringOptions(tasks_not_receiving_alarm=True),
        )
    )

    assert synth.construct.tasks_not_receiving_alarm is None
    assert len(synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy")) == 2
