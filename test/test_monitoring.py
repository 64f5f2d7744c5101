"""Monitoring: a one-minute dashboard and alarms that tell the on-call what the service does."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from sqs_scale_to_zero import MonitoringOptions, ScaleToZeroQueueService, ScaleToZeroValidationError
from test.conftest import TEST_ENV, TEST_IMAGE, Synthesized


def widget_metrics(widget: dict[str, Any]) -> list[list[Any]]:
    return list(widget.get("properties", {}).get("metrics", []))


def test_dashboard_keeps_one_minute_periods(default_service: Synthesized) -> None:
    body = default_service.dashboard_body()
    assert body["periodOverride"] == "inherit"
    # Alarm graphs show their alarm's own one-minute period; every other graph sets 60 s.
    graphs = [
        w
        for w in body["widgets"]
        if w["type"] == "metric" and "alarms" not in w["properties"].get("annotations", {})
    ]
    assert len(graphs) == 5
    for widget in graphs:
        assert widget["properties"]["period"] == 60, widget["properties"].get("title")


def test_dashboard_shows_backlog_age_dlq_tasks_cpu_memory_and_scaling_alarms(
    default_service: Synthesized,
) -> None:
    body = default_service.dashboard_body()
    shown = {
        (metric[0], metric[1])
        for widget in body["widgets"]
        for metric in widget_metrics(widget)
        if isinstance(metric[0], str) and "/" in metric[0]
    }
    assert {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/SQS", "ApproximateNumberOfMessagesNotVisible"),
        ("AWS/SQS", "ApproximateNumberOfMessagesDelayed"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        ("AWS/ECS", "CPUUtilization"),
        ("AWS/ECS", "MemoryUtilization"),
    } <= shown
    # The desired count the sizing reads, the wake function's by default.
    assert any(
        metric[:2] == ["SqsScaleToZero", "DesiredTaskCount"]
        for widget in body["widgets"]
        for metric in widget_metrics(widget)
    )
    dlq_id = default_service.logical_id(default_service.construct.dead_letter_queue)
    dlq_widget = next(
        w for w in body["widgets"] if "Dead-letter" in w["properties"].get("title", "")
    )
    assert any(f"{dlq_id}/QueueName" in metric for metric in widget_metrics(dlq_widget))
    status = next(w for w in body["widgets"] if w["type"] == "alarm")
    synth = default_service
    expected_alarms = {
        synth.logical_id(a)
        for a in (
            synth.construct.scale_out_alarm,
            synth.construct.scale_in_alarm,
            synth.construct.dead_letter_queue_alarm,
            synth.construct.oldest_message_age_alarm,
            synth.construct.tasks_on_empty_queue_alarm,
        )
    }
    assert {arn.split("/")[0] for arn in status["properties"]["alarms"]} == expected_alarms
    alarm_graphs = [
        w
        for w in body["widgets"]
        if "annotations" in w["properties"] and "alarms" in w["properties"]["annotations"]
    ]
    # scale-out, scale-in, and tasks doing no work
    assert len(alarm_graphs) == 3


def test_dlq_alarm_fires_on_one_message(default_service: Synthesized) -> None:
    synth = default_service
    props = synth.properties(synth.construct.dead_letter_queue_alarm)
    dlq_id = synth.logical_id(synth.construct.dead_letter_queue)
    assert props["Namespace"] == "AWS/SQS"
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}
    ]
    assert props["Statistic"] == "Maximum"
    assert props["Period"] == 60
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == 1
    assert props["TreatMissingData"] == "notBreaching"
    assert "start-message-move-task" in props["AlarmDescription"]


def test_oldest_message_alarm_defaults_to_idle_timeout_plus_three_wakes(
    default_service: Synthesized,
) -> None:
    props = default_service.properties(default_service.construct.oldest_message_age_alarm)
    assert props["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert props["Statistic"] == "Maximum"
    assert props["Period"] == 60
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["Threshold"] == 5 * 60 + 3 * 5 * 60
    assert props["EvaluationPeriods"] == props["DatapointsToAlarm"] == 3
    # A queue at rest publishes no metrics: healthy, not an alarm.
    assert props["TreatMissingData"] == "notBreaching"
    assert "far longer than a wake" in props["AlarmDescription"]


def test_tasks_on_empty_queue_alarm_catches_a_scale_in_that_does_not_happen(
    default_service: Synthesized,
) -> None:
    props = default_service.properties(default_service.construct.tasks_on_empty_queue_alarm)
    (expression,) = [m for m in props["Metrics"] if "Expression" in m]
    # The scale-in alarm's own idle condition, and tasks still reporting (the value 1 of the
    # alarm that flags tasks taking no message as 2: test_not_receiving.py).
    assert expression["Expression"].endswith(
        ", 2, IF((IF((sent + received + deleted) >= 0, IF((visible + in_flight) >= 0, "
        "IF(((visible + in_flight + sent + received + deleted) == 0) AND (FILL(cpu, 0) <= 5), "
        "1, 0), 0))) AND (FILL(tasks_reporting, 0) > 0), 1, 0))"
    )
    stats = {m["Id"]: m["MetricStat"] for m in props["Metrics"] if "MetricStat" in m}
    assert stats["tasks_reporting"]["Stat"] == "SampleCount"
    assert stats["tasks_reporting"]["Metric"]["MetricName"] == "CPUUtilization"
    assert {s["Period"] for s in stats.values()} == {60}
    assert props["EvaluationPeriods"] == 15
    assert props["DatapointsToAlarm"] == 14
    assert props["TreatMissingData"] == "notBreaching"


def test_alarms_have_no_actions_without_a_topic(default_service: Synthesized) -> None:
    synth = default_service
    for construct in (
        synth.construct.dead_letter_queue_alarm,
        synth.construct.oldest_message_age_alarm,
    ):
        assert "AlarmActions" not in synth.properties(construct)
    # tasks doing no work: only its scale-in to min_capacity
    (action,) = synth.properties(synth.construct.tasks_on_empty_queue_alarm)["AlarmActions"]
    assert action["Ref"] in synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy")


def test_alarm_topic_receives_alarm_and_ok_notifications(alerting_service: Synthesized) -> None:
    synth = alerting_service
    (topic_id,) = synth.resources("AWS::SNS::Topic")
    for construct in (
        synth.construct.dead_letter_queue_alarm,
        synth.construct.oldest_message_age_alarm,
        synth.construct.tasks_on_empty_queue_alarm,
    ):
        props = synth.properties(construct)
        assert props["AlarmActions"][0] == {"Ref": topic_id}
        assert props["OKActions"] == [{"Ref": topic_id}]
    # Scaling alarms keep only their scaling actions.
    assert len(synth.properties(synth.construct.scale_in_alarm)["AlarmActions"]) == 1


def test_tuned_thresholds_and_windows(alerting_service: Synthesized) -> None:
    synth = alerting_service
    assert synth.properties(synth.construct.oldest_message_age_alarm)["Threshold"] == 3600
    leak = synth.properties(synth.construct.tasks_on_empty_queue_alarm)
    assert leak["EvaluationPeriods"] == 30
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "scale-to-zero-worker"


def test_monitoring_off_removes_dashboard_and_operational_alarms(
    cpu_only_service: Synthesized,
) -> None:
    synth = cpu_only_service
    synth.template.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    synth.template.resource_count_is("AWS::CloudWatch::Alarm", 2)
    assert synth.construct.dashboard is None
    assert synth.construct.dead_letter_queue_alarm is None
    assert synth.construct.oldest_message_age_alarm is None
    assert synth.construct.tasks_on_empty_queue_alarm is None


def test_brought_queue_has_no_dlq_alarm(brought_queue_service: Synthesized) -> None:
    assert brought_queue_service.construct.dead_letter_queue_alarm is None
    assert brought_queue_service.construct.oldest_message_age_alarm is not None


def test_leak_alarm_can_be_turned_off() -> None:
    stack = cdk.Stack(cdk.App(), "NoLeak", env=TEST_ENV)
    service = ScaleToZeroQueueService(
        stack,
        "Worker",
        image=TEST_IMAGE,
        monitoring=MonitoringOptions(tasks_on_empty_queue_alarm=False),
    )
    assert service.tasks_on_empty_queue_alarm is None
    assert service.oldest_message_age_alarm is not None


@pytest.mark.parametrize("threshold", [cdk.Duration.seconds(30), cdk.Duration.seconds(90)])
def test_oldest_message_age_threshold_must_be_whole_minutes(threshold: cdk.Duration) -> None:
    stack = cdk.Stack(cdk.App(), "BadAge", env=TEST_ENV)
    with pytest.raises(
        ScaleToZeroValidationError, match="oldest_message_age_threshold: must be a whole"
    ):
        ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            monitoring=MonitoringOptions(oldest_message_age_threshold=threshold),
        )
    assert stack.node.try_find_child("Worker") is None


def test_monitoring_must_be_a_bool_or_options() -> None:
    stack = cdk.Stack(cdk.App(), "BadMonitoring", env=TEST_ENV)
    with pytest.raises(
        ScaleToZeroValidationError, match="monitoring: must be True, False or a MonitoringOptions"
    ):
        ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, monitoring="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(("idle_minutes", "window"), [(600, 1440), (1436, None)])
def test_leak_alarm_window_is_capped_at_a_day_and_skipped_without_room(
    idle_minutes: int, window: int | None
) -> None:
    stack = cdk.Stack(cdk.App(), "LongIdle", env=TEST_ENV)
    service = ScaleToZeroQueueService(
        stack, "Worker", image=TEST_IMAGE, idle_timeout=cdk.Duration.minutes(idle_minutes)
    )
    if window is None:
        assert service.tasks_on_empty_queue_alarm is None
        return
    alarm = service.tasks_on_empty_queue_alarm
    assert alarm is not None
    cfn_alarm = alarm.node.default_child
    assert isinstance(cfn_alarm, cdk.aws_cloudwatch.CfnAlarm)
    assert cfn_alarm.evaluation_periods == window
    assert f"for {window} minutes (idle_timeout is {idle_minutes};" in str(
        cfn_alarm.alarm_description
    )
