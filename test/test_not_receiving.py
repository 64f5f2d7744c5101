"""A service that never polls (tasks that crash at start or cannot receive) pages, and is set
to ``min_capacity``: by default one alarm flags it and tasks on an empty queue alike, sharing
the leak alarm's metrics; opted out, the leak alarm is as before; alone, it is its own alarm."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from sqs_scale_to_zero import (
    MonitoringOptions,
    ScaleToZeroQueueService,
    ScaleToZeroValidationError,
    Wake,
)
from sqs_scale_to_zero.monitoring.tasks_not_working import NOT_RECEIVING_MINUTES
from sqs_scale_to_zero.worker import contract
from test.conftest import TEST_ENV, TEST_IMAGE, Synthesized, synthesize

LEAK = (
    "IF((IF((sent + received + deleted) >= 0, IF((visible + in_flight) >= 0, "
    "IF(((visible + in_flight + sent + received + deleted) == 0) AND (FILL(cpu, 0) <= 5), "
    "1, 0), 0))) AND (FILL(tasks_reporting, 0) > 0), 1, 0)"
)
NEVER_POLLING = (
    "(FILL(tasks, 0) > 0) AND (FILL(visible, 0) >= 1) AND (FILL(in_flight, 0) == 0)"
    " AND (FILL(received, 0) == 0)"
)


def alarm_of(synth: Synthesized) -> dict[str, Any]:
    assert synth.construct.tasks_not_receiving_alarm is not None
    return synth.properties(synth.construct.tasks_not_receiving_alarm)


def expression_of(props: dict[str, Any]) -> str:
    (expression,) = [m["Expression"] for m in props["Metrics"] if "Expression" in m]
    return str(expression)


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


def policies_of_alarm(synth: Synthesized, props: dict[str, Any]) -> list[dict[str, Any]]:
    policies = synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    return [
        dict(policies[a["Ref"]]["Properties"])
        for a in props.get("AlarmActions", [])
        if a.get("Ref") in policies
    ]


def build(**monitoring: Any) -> Any:
    extra = monitoring.pop("props", {})
    return lambda stack: ScaleToZeroQueueService(
        stack, "Worker", image=TEST_IMAGE, monitoring=MonitoringOptions(**monitoring), **extra
    )


@pytest.fixture(scope="module")
def opted_out() -> Synthesized:
    return synthesize(build(tasks_not_receiving_alarm=False))


@pytest.fixture(scope="module")
def alone() -> Synthesized:
    return synthesize(build(tasks_on_empty_queue_alarm=False))


def test_by_default_one_alarm_flags_tasks_on_an_empty_queue_or_taking_no_message(
    default_service: Synthesized,
) -> None:
    construct = default_service.construct
    assert construct.tasks_not_receiving_alarm is construct.tasks_on_empty_queue_alarm
    props = alarm_of(default_service)

    assert expression_of(props) == f"IF({NEVER_POLLING}, 2, {LEAK})"
    # the leak alarm's seven metrics and the wake function's desired count: eight, not eleven
    assert metric_names(props) == {
        "visible": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
        "in_flight": ("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "Maximum"),
        "sent": ("AWS/SQS", "NumberOfMessagesSent", "Sum"),
        "received": ("AWS/SQS", "NumberOfMessagesReceived", "Sum"),
        "deleted": ("AWS/SQS", "NumberOfMessagesDeleted", "Sum"),
        "cpu": ("AWS/ECS", "CPUUtilization", "Average"),
        "tasks_reporting": ("AWS/ECS", "CPUUtilization", "SampleCount"),
        "tasks": ("SqsScaleToZero", "DesiredTaskCount", "Maximum"),
    }
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == 1
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (15, 14)
    assert props["TreatMissingData"] == "notBreaching"
    assert "A value of 1: Tasks have run on an idle queue" in props["AlarmDescription"]
    assert "A value of 2: tasks were up while messages waited" in props["AlarmDescription"]
    assert "Either way the service is set to min_capacity" in props["AlarmDescription"]
    alarms = default_service.resources("AWS::CloudWatch::Alarm")
    assert [name for name in alarms if contract.NOT_WORKING_ALARM_ID in name]
    assert not [name for name in alarms if "TasksOnEmptyQueueAlarm" in name]


def test_it_sets_the_service_to_min_capacity(default_service: Synthesized) -> None:
    target_id = default_service.logical_id(default_service.construct.scalable_target)

    (policy,) = policies_of_alarm(default_service, alarm_of(default_service))

    assert policy["ScalingTargetId"] == {"Ref": target_id}
    config = policy["StepScalingPolicyConfiguration"]
    assert config["AdjustmentType"] == "ExactCapacity"
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 0}]


def test_the_dashboard_graphs_which_condition_holds(default_service: Synthesized) -> None:
    body = default_service.dashboard_body()
    titles = [w["properties"].get("title", "") for w in body["widgets"]]

    assert "Tasks doing no work: 1 = on an empty queue, 2 = taking no message" in titles


def test_opting_out_leaves_the_leak_alarm_as_it_was(opted_out: Synthesized) -> None:
    construct = opted_out.construct
    assert construct.tasks_not_receiving_alarm is None
    props = opted_out.properties(construct.tasks_on_empty_queue_alarm)

    assert expression_of(props) == LEAK
    assert len(metric_names(props)) == 7
    assert "AlarmActions" not in props
    assert len(opted_out.resources("AWS::ApplicationAutoScaling::ScalingPolicy")) == 2


def test_without_the_leak_alarm_it_is_an_alarm_of_its_own(alone: Synthesized) -> None:
    assert alone.construct.tasks_on_empty_queue_alarm is None
    props = alarm_of(alone)

    assert expression_of(props) == f"IF({NEVER_POLLING}, 1, 0)"
    assert set(metric_names(props)) == {"tasks", "visible", "in_flight", "received"}
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (
        NOT_RECEIVING_MINUTES,
        NOT_RECEIVING_MINUTES - 1,
    )
    assert contract.NOT_RECEIVING_ALARM_ID in alone.logical_id(
        alone.construct.tasks_not_receiving_alarm
    )
    (policy,) = policies_of_alarm(alone, props)
    assert policy["StepScalingPolicyConfiguration"]["AdjustmentType"] == "ExactCapacity"


def test_a_short_idle_timeout_waits_the_never_polling_minutes_at_least() -> None:
    # idle_timeout 3: the leak window is 9 minutes, shorter than a task's first receive may take
    synth = synthesize(build(props={"idle_timeout": cdk.Duration.minutes(3)}))
    props = alarm_of(synth)

    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (10, 9)
    assert "Tasks have run on an idle queue for 10 minutes" in props["AlarmDescription"]


def test_it_pages_the_alarm_topic_once() -> None:
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            monitoring=MonitoringOptions(alarm_topic=sns.Topic(stack, "Alarms")),
        )
    )
    props = alarm_of(synth)
    topics = synth.resources("AWS::SNS::Topic")

    assert [a for a in props["AlarmActions"] if a.get("Ref") in topics] == [
        {"Ref": next(iter(topics))}
    ]
    assert props["OKActions"] == [{"Ref": next(iter(topics))}]


def test_without_a_desired_count_metric_it_counts_tasks_by_the_leak_alarms_cpu_samples() -> None:
    # no wake function and no Container Insights: nothing publishes a desired count
    synth = synthesize(build(props={"wake": Wake.ON_ALARM}))
    props = alarm_of(synth)

    assert "FILL(tasks_reporting, 0) > 0) AND (FILL(visible, 0) >= 1)" in expression_of(props)
    assert "tasks" not in metric_names(props)
    assert len(metric_names(props)) == 7


def test_with_the_backlog_signal_it_reads_the_signals_counts() -> None:
    synth = synthesize(build(props={"wake": Wake.FRESH_SIGNAL}))
    names = metric_names(alarm_of(synth))

    assert names["tasks"][0] == names["visible"][0] == "SqsScaleToZero"
    assert names["received"] == ("AWS/SQS", "NumberOfMessagesReceived", "Sum")


def test_an_own_consumer_gets_the_leak_alarm_alone_and_no_scale_in() -> None:
    # its long job's message is visible again while it runs: busy would look like broken
    synth = synthesize(build(props={"own_consumer": True}))

    assert synth.construct.tasks_not_receiving_alarm is None
    assert synth.construct.tasks_on_empty_queue_alarm is not None
    assert len(synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy")) == 2


def test_unprotected_tasks_are_paged_for_and_not_scaled_in() -> None:
    # without task scale-in protection a message received in the metrics' last minutes could
    # be interrupted: the alarm pages, and nothing acts on it
    synth = synthesize(build(props={"task_protection": False, "gradual_scale_in": False}))

    props = alarm_of(synth)
    assert "AlarmActions" not in props
    assert "min_capacity" not in props["AlarmDescription"]
    assert len(synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy")) == 2


def test_tasks_not_receiving_alarm_must_be_a_bool() -> None:
    stack = cdk.Stack(cdk.App(), "BadNotReceiving", env=TEST_ENV)
    with pytest.raises(
        ScaleToZeroValidationError, match="tasks_not_receiving_alarm: must be True or False"
    ):
        ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            monitoring=MonitoringOptions(tasks_not_receiving_alarm="yes"),  # type: ignore[arg-type]
        )
    assert stack.node.try_find_child("Worker") is None
