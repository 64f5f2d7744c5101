"""The ``wake`` prop: the default fast wake's function, its absence with ``Wake.ON_ALARM``, and
the checks on ``wake`` and its alias ``backlog_signal``."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from sqs_scale_to_zero import ScaleToZeroQueueService, ScaleToZeroValidationError, Wake
from sqs_scale_to_zero.wake_function import HANDLER_SOURCE
from test.conftest import TEST_IMAGE, Synthesized, synthesize


@pytest.fixture(scope="module")
def on_alarm_service() -> Synthesized:
    """The switch off: no function, the cheapest stack."""
    return synthesize(
        lambda stack: ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, wake=Wake.ON_ALARM)
    )


def role_statements(synth: Synthesized, function: Any) -> list[dict[str, Any]]:
    role_id = synth.properties(function)["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_default_runs_the_function_every_minute(default_service: Synthesized) -> None:
    synth = default_service
    function = synth.construct.wake_function
    assert function is not None
    (rule,) = synth.resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [synth.logical_id(function), "Arn"]}
    props = synth.properties(function)
    assert props["Code"]["ZipFile"] == HANDLER_SOURCE
    assert props["Architectures"] == ["arm64"]


def test_the_default_function_publishes_only_the_desired_count(
    default_service: Synthesized,
) -> None:
    synth = default_service
    variables = synth.properties(synth.construct.wake_function)["Environment"]["Variables"]
    assert variables["PUBLISHES"] == "desired-while-running"
    assert variables["METRIC_NAMESPACE"] == "SqsScaleToZero"
    assert variables["SERVICE_NAME"] == {
        "Fn::GetAtt": [synth.logical_id(synth.construct.service), "Name"]
    }
    assert variables["IDLE_ALARM_NAME"] == {"Ref": synth.logical_id(synth.construct.scale_in_alarm)}


def test_the_default_function_may_touch_only_its_queue_service_and_idle_alarm(
    default_service: Synthesized,
) -> None:
    synth = default_service
    function = synth.construct.wake_function
    queue_id = synth.logical_id(synth.construct.queue)
    service_id = synth.logical_id(synth.construct.service)
    alarm_id = synth.logical_id(synth.construct.scale_in_alarm)
    log_group_id = synth.properties(function)["LoggingConfig"]["LogGroup"]["Ref"]
    by_action = {
        tuple(s["Action"]) if isinstance(s["Action"], list) else (s["Action"],): s
        for s in role_statements(synth, function)
    }
    assert by_action[("sqs:GetQueueAttributes",)]["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert by_action[("ecs:DescribeServices", "ecs:UpdateService")]["Resource"] == {
        "Ref": service_id
    }
    assert by_action[
        (
            "cloudwatch:DescribeAlarms",
            "cloudwatch:DisableAlarmActions",
            "cloudwatch:EnableAlarmActions",
        )
    ]["Resource"] == {"Fn::GetAtt": [alarm_id, "Arn"]}
    assert by_action[("logs:CreateLogStream", "logs:PutLogEvents")]["Resource"] == {
        "Fn::GetAtt": [log_group_id, "Arn"]
    }
    # The one "*": PutMetricData has no resource-level permission; a namespace condition
    # scopes it to the desired count's namespace.
    put = by_action[("cloudwatch:PutMetricData",)]
    assert put["Resource"] == "*"
    assert put["Condition"] == {"StringEquals": {"cloudwatch:namespace": "SqsScaleToZero"}}
    assert len(by_action) == 5
    wildcards = [s for s in by_action.values() if "*" in str(s["Resource"])]
    assert wildcards == [put]


def test_the_default_scaling_alarms_read_sqs_own_gauges(default_service: Synthesized) -> None:
    synth = default_service
    alarm = synth.properties(synth.construct.scale_out_alarm)
    stats = {m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert stats["visible"]["Namespace"] == "AWS/SQS"
    assert stats["in_flight"]["Namespace"] == "AWS/SQS"
    # The desired count the function publishes after a wake: the sizing never adds a second
    # task for the message the function woke the service for.
    assert (stats["desired"]["Namespace"], stats["desired"]["MetricName"]) == (
        "SqsScaleToZero",
        "DesiredTaskCount",
    )
    idle = synth.properties(synth.construct.scale_in_alarm)
    namespaces = {
        m["MetricStat"]["Metric"]["Namespace"] for m in idle["Metrics"] if "MetricStat" in m
    }
    assert namespaces == {"AWS/SQS", "AWS/ECS"}


def test_the_default_has_no_function_alarm_and_no_container_insights(
    default_service: Synthesized,
) -> None:
    """A failed fast wake falls back to the scale-out alarm, which the oldest-message alarm
    watches; Container Insights would bill its task counts while no task runs."""
    synth = default_service
    assert synth.construct.backlog_signal_alarm is None
    (cluster,) = synth.resources("AWS::ECS::Cluster").values()
    settings = cluster["Properties"].get("ClusterSettings") or []
    assert {"Name": "containerInsights", "Value": "enabled"} not in settings


def test_on_alarm_has_no_function(on_alarm_service: Synthesized) -> None:
    synth = on_alarm_service
    assert synth.construct.wake_function is None
    assert synth.resources("AWS::Lambda::Function") == {}
    assert synth.resources("AWS::Events::Rule") == {}
    alarm = synth.properties(synth.construct.scale_out_alarm)
    ids = {m["Id"] for m in alarm["Metrics"]}
    assert "desired" not in ids  # no desired count without the function or Container Insights
    # Nothing else wakes the service, so the alarm acts on one minute, as before the function.
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)


def test_backlog_signal_true_is_the_fresh_signal(backlog_signal_service: Synthesized) -> None:
    synth = backlog_signal_service
    variables = synth.properties(synth.construct.wake_function)["Environment"]["Variables"]
    assert variables["PUBLISHES"] == "backlog"
    assert synth.construct.backlog_signal_alarm is not None


def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Checks")


@pytest.mark.parametrize("value", ["fast", True, 1, "Wake.FAST"])
def test_wake_of_the_wrong_type_is_refused(value: object) -> None:
    with pytest.raises(ScaleToZeroValidationError, match=r"^wake: must be a Wake") as raised:
        ScaleToZeroQueueService(stack(), "W", image=TEST_IMAGE, wake=value)  # type: ignore[arg-type]
    assert "Wake.FAST, Wake.FRESH_SIGNAL, Wake.ON_ALARM" in str(raised.value)
    assert raised.value.prop == "wake"


def test_wake_and_backlog_signal_together_are_refused() -> None:
    with pytest.raises(ScaleToZeroValidationError, match=r"^backlog_signal: cannot be combined"):
        ScaleToZeroQueueService(stack(), "W", image=TEST_IMAGE, wake=Wake.FAST, backlog_signal=True)


def test_backlog_signal_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(ScaleToZeroValidationError, match=r"^backlog_signal: "):
        ScaleToZeroQueueService(stack(), "W", image=TEST_IMAGE, backlog_signal="yes")  # type: ignore[arg-type]


def test_backlog_signal_false_is_on_alarm() -> None:
    scope = stack()
    service = ScaleToZeroQueueService(scope, "W", image=TEST_IMAGE, backlog_signal=False)
    assert service.wake_function is None
