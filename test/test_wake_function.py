"""The wake function publishing the backlog signal (``Wake.FRESH_SIGNAL``) in the template."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import Any

from sqs_scale_to_zero.wake_function import HANDLER_SOURCE
from sqs_scale_to_zero.worker import contract
from test.conftest import Synthesized


def test_function_runs_every_minute(backlog_signal_service: Synthesized) -> None:
    synth = backlog_signal_service
    function = synth.construct.wake_function
    assert function is not None
    (rule,) = synth.resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert rule["Properties"]["State"] == "ENABLED"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [synth.logical_id(function), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0


def test_function_carries_the_tested_handler_inline(backlog_signal_service: Synthesized) -> None:
    synth = backlog_signal_service
    function = synth.properties(synth.construct.wake_function)
    assert function["Code"]["ZipFile"] == HANDLER_SOURCE
    assert len(HANDLER_SOURCE.encode()) <= 4096
    assert function["Handler"] == "index.handler"
    assert function["Runtime"].startswith("python3.")
    queue_id = synth.logical_id(synth.construct.queue)
    service_id = synth.logical_id(synth.construct.service)
    assert function["Environment"]["Variables"] == {
        "QUEUE_URL": {"Ref": queue_id},
        "QUEUE_NAME": {"Fn::GetAtt": [queue_id, "QueueName"]},
        "METRIC_NAMESPACE": "SqsScaleToZero",
        "PUBLISHES": "backlog",
        # The fast wake: the service it wakes and the idle alarm it holds off meanwhile.
        "CLUSTER_NAME": {"Ref": synth.logical_id(synth.construct.cluster)},
        "SERVICE_NAME": {"Fn::GetAtt": [service_id, "Name"]},
        "IDLE_ALARM_NAME": {"Ref": synth.logical_id(synth.construct.scale_in_alarm)},
        # A wake starts the backlog's level of tasks: one per 3 visible messages, at most 4.
        "MESSAGES_PER_TASK": "3",
        "MAX_CAPACITY": "4",
    }
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = synth.template.to_json()["Resources"][log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == 30


def test_function_role_is_least_privilege(backlog_signal_service: Synthesized) -> None:
    synth = backlog_signal_service
    function = synth.properties(synth.construct.wake_function)
    role_id = function["Role"]["Fn::GetAtt"][0]
    role = synth.template.to_json()["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    queue_id = synth.logical_id(synth.construct.queue)
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    statements = [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Action": "sqs:GetQueueAttributes",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        },
        {
            "Action": "cloudwatch:PutMetricData",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "SqsScaleToZero"}},
            "Effect": "Allow",
            "Resource": "*",
        },
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        # The fast wake: this service only, and this alarm only; no wildcard.
        {
            "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
            "Effect": "Allow",
            "Resource": {"Ref": synth.logical_id(synth.construct.service)},
        },
        {
            "Action": [
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DisableAlarmActions",
                "cloudwatch:EnableAlarmActions",
            ],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [synth.logical_id(synth.construct.scale_in_alarm), "Arn"]},
        },
    ]


def signal_metric_names(stats: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(s["Metric"]["Namespace"], s["Metric"]["MetricName"]) for s in stats}


def test_both_scaling_alarms_read_the_fresh_signal(backlog_signal_service: Synthesized) -> None:
    synth = backlog_signal_service
    queue_id = synth.logical_id(synth.construct.queue)
    queue_dimension = [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    scale_out = synth.properties(synth.construct.scale_out_alarm)
    sizing = [m["MetricStat"] for m in scale_out["Metrics"] if "MetricStat" in m]
    # The backlog sizing reads the fresh signal alone, never a mix of fresh and stale views,
    # and subtracts what the desired tasks (after any fast wake) already cover.
    assert signal_metric_names(sizing) == {
        ("SqsScaleToZero", "ApproximateNumberOfMessagesVisible"),
        ("SqsScaleToZero", "ApproximateNumberOfMessagesNotVisible"),
        ("SqsScaleToZero", "DesiredTaskCount"),
    }
    (expression,) = [m["Expression"] for m in scale_out["Metrics"] if "Expression" in m]
    assert expression == "IF(visible >= 1, visible + FILL(in_flight, 0) - 3 * FILL(desired, 0), 0)"
    policy = synth.properties(synth.construct.scale_out_action)
    assert policy["StepScalingPolicyConfiguration"]["Cooldown"] == 240
    for stat in sizing:
        assert stat["Metric"]["Dimensions"] == queue_dimension
        assert (stat["Stat"], stat["Period"]) == ("Maximum", 60)
    assert scale_out["Threshold"] == 1
    scale_in = synth.properties(synth.construct.scale_in_alarm)
    stats = [m["MetricStat"] for m in scale_in["Metrics"] if "MetricStat" in m]
    assert signal_metric_names(stats) == {
        ("SqsScaleToZero", "ApproximateNumberOfMessagesVisible"),
        ("SqsScaleToZero", "ApproximateNumberOfMessagesNotVisible"),
        ("AWS/SQS", "NumberOfMessagesSent"),
        ("AWS/SQS", "NumberOfMessagesReceived"),
        ("AWS/SQS", "NumberOfMessagesDeleted"),
        ("AWS/ECS", "CPUUtilization"),
    }
    # The backlog both alarms see is the fresh signal's, never SQS's own gauges: SQS is read
    # only for its activity sums, which can only make a minute busy.
    assert "AWS/SQS" not in str(scale_out)
    sqs_stats = [s for s in stats if s["Metric"]["Namespace"] == "AWS/SQS"]
    assert {s["Stat"] for s in sqs_stats} == {"Sum"}


def test_dashboard_shows_the_signal_function(backlog_signal_service: Synthesized) -> None:
    body = backlog_signal_service.dashboard_body()
    titles = [w["properties"].get("title", "") for w in body["widgets"]]
    assert "Backlog signal function: invocations and errors per minute" in titles
    backlog = next(
        w for w in body["widgets"] if w["properties"].get("title", "").startswith("Backlog:")
    )
    assert {m[0] for m in backlog["properties"]["metrics"]} == {"SqsScaleToZero"}


def test_a_missing_signal_point_never_counts_as_idle(backlog_signal_service: Synthesized) -> None:
    """The function publishes zeros for an empty queue, so missing data means it failed: the
    idle alarm must not read that as an empty queue and scale queued work to zero."""
    synth = backlog_signal_service
    alarm = synth.properties(synth.construct.scale_in_alarm)
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    # A minute without the signal's gauges is busy; one without SQS's sums has no value.
    assert expression == (
        "IF((sent + received + deleted) >= 0, IF((visible + in_flight) >= 0, "
        "IF(((visible + in_flight + sent + received + deleted) == 0) AND (FILL(cpu, 0) <= 5), "
        "1, 0), 0))"
    )
    assert alarm["TreatMissingData"] == "notBreaching"


def test_leak_alarm_shares_the_signal_modes_idle_condition(
    backlog_signal_service: Synthesized,
) -> None:
    """The leak alarm once filled missing backlog points with zero even in signal mode."""
    synth = backlog_signal_service
    alarm = synth.properties(synth.construct.tasks_on_empty_queue_alarm)
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    # the tasks-taking-no-message part (value 2) comes first: a missing gauge fills as 0 there,
    # so no visible message, which never flags it; the empty-queue part fills no gauge
    taking_no_message, on_empty_queue = expression.split(", 2, ", 1)
    assert "(FILL(visible, 0) >= 1)" in taking_no_message
    assert "FILL(visible" not in on_empty_queue and "FILL(in_flight" not in on_empty_queue
    assert on_empty_queue.startswith(
        "IF((IF((sent + received + deleted) >= 0, IF((visible + in_flight)"
    )
    stats = [m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m]
    namespaces = {(s["Metric"]["Namespace"], s["Metric"]["MetricName"]) for s in stats}
    assert ("SqsScaleToZero", "ApproximateNumberOfMessagesVisible") in namespaces
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") not in namespaces


def test_signal_failure_alarm_pages_when_the_function_fails_or_stops(
    backlog_signal_service: Synthesized,
) -> None:
    synth = backlog_signal_service
    alarm = synth.properties(synth.construct.backlog_signal_alarm)
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    assert expression == "IF((FILL(errors, 0) >= 1) OR (FILL(invocations, 0) == 0), 1, 0)"
    stats = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
    function_id = synth.logical_id(synth.construct.wake_function)
    for query_id, name in (("errors", "Errors"), ("invocations", "Invocations")):
        metric = stats[query_id]["Metric"]
        assert (metric["Namespace"], metric["MetricName"]) == ("AWS/Lambda", name)
        assert metric["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
        assert (stats[query_id]["Stat"], stats[query_id]["Period"]) == ("Sum", 60)
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 5
    # No Lambda datapoint at all means the function did not run.
    assert alarm["TreatMissingData"] == "breaching"


def test_no_signal_alarm_without_the_signal(default_service: Synthesized) -> None:
    assert default_service.construct.backlog_signal_alarm is None


def test_inline_handler_runs_without_the_package() -> None:
    # Given the source the function carries, run as Lambda would: no sqs_scale_to_zero on the
    # path (-I -S: no site-packages, no working directory), boto3 imported only per call.
    probe = (
        "import sys; namespace = {}; exec(compile(sys.stdin.read(), 'index.py', 'exec'), namespace);"
        "print(len(namespace['SIGNAL_METRICS']), sorted(namespace['SIGNAL_METRICS']),"
        " callable(namespace['handler']))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe],
        input=HANDLER_SOURCE,
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    assert result.returncode == 0, result.stderr
    # Then the contract's values are spelled inline, and nothing imports the package.
    assert result.stdout.split()[0] == str(len(contract.SIGNAL_METRICS))
    assert repr(contract.SIGNAL_QUEUE_DIMENSION) in HANDLER_SOURCE  # written in place
    assert "import sqs_scale_to_zero" not in HANDLER_SOURCE
    assert "from sqs_scale_to_zero" not in HANDLER_SOURCE
    assert result.stdout.strip().endswith("True")
