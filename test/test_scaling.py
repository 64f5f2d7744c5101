"""The scaling part: wake on one message, scale out by steps, scale in to zero only when idle."""

from __future__ import annotations

import itertools
from typing import Any

from aws_cdk.assertions import Match

from test.conftest import Synthesized


def metric_stats(alarm_properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m["MetricStat"] for m in alarm_properties["Metrics"] if "MetricStat" in m}


def expression(alarm_properties: dict[str, Any]) -> str:
    (expr,) = [m for m in alarm_properties["Metrics"] if "Expression" in m]
    assert expr["ReturnData"] is True
    return str(expr["Expression"])


# Scalable target -----------------------------------------------------------------------------


def test_scalable_target_spans_zero_to_max_capacity(default_service: Synthesized) -> None:
    target = default_service.properties(default_service.construct.scalable_target)
    assert target["MinCapacity"] == 0
    assert target["MaxCapacity"] == 4
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    assert target["ServiceNamespace"] == "ecs"


def test_policies_reference_the_services_own_target_in_one_deploy(
    default_service: Synthesized,
) -> None:
    target_id = default_service.logical_id(default_service.construct.scalable_target)
    service_id = default_service.logical_id(default_service.construct.service)
    policies = default_service.resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    assert len(policies) == 3  # scale-out, idle scale-in, and that of tasks doing no work
    for policy in policies.values():
        assert policy["Properties"]["ScalingTargetId"] == {"Ref": target_id}
    resource_id = default_service.properties(default_service.construct.scalable_target)[
        "ResourceId"
    ]
    assert {"Fn::GetAtt": [service_id, "Name"]} in resource_id["Fn::Join"][1]


def test_no_cpu_target_tracking_policy_fights_the_queue_policy(
    default_service: Synthesized,
) -> None:
    default_service.template.resource_properties_count_is(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"PolicyType": "TargetTrackingScaling"},
        0,
    )


# Scale-out ---------------------------------------------------------------------------------


def test_one_visible_message_wakes_the_service(default_service: Synthesized) -> None:
    alarm = default_service.properties(default_service.construct.scale_out_alarm)
    queue_id = default_service.logical_id(default_service.construct.queue)
    stats = metric_stats(alarm)
    assert set(stats) == {"visible", "in_flight", "desired"}
    # The fast wake's function publishes the desired count (while the service has tasks).
    desired = stats["desired"]["Metric"]
    assert (desired["Namespace"], desired["MetricName"]) == (
        "SqsScaleToZero",
        "DesiredTaskCount",
    )
    for query_id, name in (
        ("visible", "ApproximateNumberOfMessagesVisible"),
        ("in_flight", "ApproximateNumberOfMessagesNotVisible"),
    ):
        metric = stats[query_id]["Metric"]
        assert (metric["Namespace"], metric["MetricName"]) == ("AWS/SQS", name)
        assert metric["Dimensions"] == [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
        ]
        assert (stats[query_id]["Stat"], stats[query_id]["Period"]) == ("Maximum", 60)
    # The value is the backlog (visible + in flight) the desired tasks don't cover while a
    # message waits, else 0; at zero tasks (no desired point) that is the whole backlog ...
    assert expression(alarm) == (
        "IF(visible >= 1, visible + FILL(in_flight, 0) - 3 * FILL(desired, 0), 0)"
    )
    # ... and >= 1, not Copilot's strict > 1 (or QPFS's 100): a single message wakes it.
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    # Two minutes: SQS may count a message the minute before the wake function sees it, before
    # any desired count is published; that one stale minute must not add a second task.
    assert alarm["EvaluationPeriods"] == 2
    assert alarm["DatapointsToAlarm"] == 2


def test_missing_queue_data_never_scales_out(default_service: Synthesized) -> None:
    alarm = default_service.properties(default_service.construct.scale_out_alarm)
    assert alarm["TreatMissingData"] == "notBreaching"


def test_scale_out_alarm_drives_the_step_policy(default_service: Synthesized) -> None:
    alarm = default_service.properties(default_service.construct.scale_out_alarm)
    policy_id = default_service.logical_id(default_service.construct.scale_out_action)
    assert alarm["AlarmActions"] == [{"Ref": policy_id}]


def test_the_backlog_sizes_the_service_in_one_action(default_service: Synthesized) -> None:
    policy = default_service.properties(default_service.construct.scale_out_action)
    config = policy["StepScalingPolicyConfiguration"]
    assert config["AdjustmentType"] == "ChangeInCapacity"
    assert config["MetricAggregationType"] == "Maximum"
    # With the desired count known, the cooldown covers the added task's start (2 minutes),
    # one whole minute of counts taken after it and that minute's publishing: no datapoint
    # sampled while the task starts sizes the service again.
    assert config["Cooldown"] == 240
    # One level per task count, 3 messages a task: a backlog B adds ceil(B / 3) tasks, up to 4.
    # Bounds are relative to the threshold of 1 message.
    assert config["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 3, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 3, "MetricIntervalUpperBound": 6, "ScalingAdjustment": 2},
        {"MetricIntervalLowerBound": 6, "MetricIntervalUpperBound": 9, "ScalingAdjustment": 3},
        {"MetricIntervalLowerBound": 9, "ScalingAdjustment": 4},
    ]


def test_fixed_scale_out_steps_keep_the_visible_alarm_and_their_cooldown(
    brought_queue_service: Synthesized,
) -> None:
    synth = brought_queue_service
    alarm = synth.properties(synth.construct.scale_out_alarm)
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert "Metrics" not in alarm
    config = synth.properties(synth.construct.scale_out_action)["StepScalingPolicyConfiguration"]
    assert config["Cooldown"] == 180


def test_fixed_scale_out_steps_helper_gives_the_former_default() -> None:
    from sqs_scale_to_zero import fixed_scale_out_steps

    assert [(s.lower, s.upper, s.change) for s in fixed_scale_out_steps()] == [
        (1, 10, 1),
        (10, 50, 2),
        (50, None, 4),
    ]


def test_sizing_levels_fit_the_step_quota_with_a_brought_cluster(
    sized_service: Synthesized,
) -> None:
    """max_capacity=50, messages_per_task=10, a brought cluster without Container Insights."""
    synth = sized_service
    alarm = synth.properties(synth.construct.scale_out_alarm)
    # The fast wake's function publishes the desired count on any cluster.
    assert expression(alarm) == (
        "IF(visible >= 1, visible + FILL(in_flight, 0) - 10 * FILL(desired, 0), 0)"
    )
    config = synth.properties(synth.construct.scale_out_action)["StepScalingPolicyConfiguration"]
    steps = config["StepAdjustments"]
    assert config["Cooldown"] == 240
    assert len(steps) == 20  # Application Auto Scaling's quota of step adjustments
    levels = [step["ScalingAdjustment"] for step in steps]
    assert levels[0] == 1 and levels[-1] == 50 and levels == sorted(set(levels))
    # Contiguous: each step starts where the last ended, at (level * 10) messages above 1.
    assert steps[0]["MetricIntervalLowerBound"] == 0
    for before, after in itertools.pairwise(steps):
        assert before["MetricIntervalUpperBound"] == after["MetricIntervalLowerBound"]
        assert before["MetricIntervalUpperBound"] == before["ScalingAdjustment"] * 10
    assert "MetricIntervalUpperBound" not in steps[-1]
    # Never a step that removes a task.
    assert min(levels) >= 1


def test_custom_scale_out_steps_and_max_capacity(brought_queue_service: Synthesized) -> None:
    synth = brought_queue_service
    config = synth.properties(synth.construct.scale_out_action)["StepScalingPolicyConfiguration"]
    assert config["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 9, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 9, "ScalingAdjustment": 3},
    ]
    assert synth.properties(synth.construct.scalable_target)["MaxCapacity"] == 10


# Scale-in to zero ------------------------------------------------------------------------------


def test_scale_in_alarm_watches_visible_in_flight_and_cpu_every_minute(
    default_service: Synthesized,
) -> None:
    alarm = default_service.properties(default_service.construct.scale_in_alarm)
    stats = metric_stats(alarm)
    assert set(stats) == {"visible", "in_flight", "sent", "received", "deleted", "cpu"}
    assert stats["visible"]["Metric"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert stats["in_flight"]["Metric"]["MetricName"] == "ApproximateNumberOfMessagesNotVisible"
    # What happened in the minute, as SQS's per-minute sums, which can't miss a short message.
    for query_id, name in (
        ("sent", "NumberOfMessagesSent"),
        ("received", "NumberOfMessagesReceived"),
        ("deleted", "NumberOfMessagesDeleted"),
    ):
        assert (
            stats[query_id]["Metric"]["Namespace"],
            stats[query_id]["Metric"]["MetricName"],
        ) == (
            "AWS/SQS",
            name,
        )
        assert stats[query_id]["Stat"] == "Sum"
    assert stats["cpu"]["Metric"]["Namespace"] == "AWS/ECS"
    assert stats["cpu"]["Metric"]["MetricName"] == "CPUUtilization"
    assert {d["Name"] for d in stats["cpu"]["Metric"]["Dimensions"]} == {
        "ClusterName",
        "ServiceName",
    }
    assert {s["Period"] for s in stats.values()} == {60}
    assert stats["visible"]["Stat"] == stats["in_flight"]["Stat"] == "Maximum"
    assert stats["cpu"]["Stat"] == "Average"


def test_scale_in_expression_needs_an_empty_backlog_and_idle_cpu(
    default_service: Synthesized,
) -> None:
    alarm = default_service.properties(default_service.construct.scale_in_alarm)
    # Guarded on the sums (a minute without them has no value: a late point leaves a hole,
    # never an idle minute) and on the gauges (a minute without them is busy).
    assert expression(alarm) == (
        "IF((sent + received + deleted) >= 0, IF((visible + in_flight) >= 0, "
        "IF(((visible + in_flight + sent + received + deleted) == 0) AND (FILL(cpu, 0) <= 5), "
        "1, 0), 0))"
    )
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1


def test_scale_in_alarm_needs_every_minute_of_idle_timeout_and_clears_on_the_first_busy_one(
    default_service: Synthesized,
) -> None:
    alarm = default_service.properties(default_service.construct.scale_in_alarm)
    # N out of N: a single busy minute in the window returns the alarm to OK, so its
    # once-a-minute re-invocation can't set a freshly woken service back to zero.
    assert alarm["EvaluationPeriods"] == 5
    assert alarm["DatapointsToAlarm"] == 5


def test_scale_in_alarm_never_counts_a_minute_without_data_as_idle(
    default_service: Synthesized,
) -> None:
    alarm = default_service.properties(default_service.construct.scale_in_alarm)
    assert alarm["TreatMissingData"] == "notBreaching"


def test_scale_in_policy_sets_exactly_zero_on_every_breach(default_service: Synthesized) -> None:
    synth = default_service
    alarm = synth.properties(synth.construct.scale_in_alarm)
    assert alarm["AlarmActions"] == [{"Ref": synth.logical_id(synth.construct.scale_in_action)}]
    config = synth.properties(synth.construct.scale_in_action)["StepScalingPolicyConfiguration"]
    assert config["AdjustmentType"] == "ExactCapacity"
    # One step from 0 to +inf above the threshold matches every breach; a breach that matches no
    # step would scale nothing ("No step adjustment found").
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 0}]


def test_backlog_only_scale_in_when_cpu_threshold_is_none(
    brought_queue_service: Synthesized,
) -> None:
    synth = brought_queue_service
    alarm = synth.properties(synth.construct.scale_in_alarm)
    assert set(metric_stats(alarm)) == {"visible", "in_flight", "sent", "received", "deleted"}
    assert expression(alarm) == (
        "IF((sent + received + deleted) >= 0, IF((visible + in_flight) >= 0, "
        "IF(((visible + in_flight + sent + received + deleted) == 0), 1, 0), 0))"
    )
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 15


def test_seed_parity_scales_in_on_cpu_alone_like_the_blog(cpu_only_service: Synthesized) -> None:
    synth = cpu_only_service
    alarm = synth.properties(synth.construct.scale_in_alarm)
    assert "Metrics" not in alarm
    assert alarm["Namespace"] == "AWS/ECS"
    assert alarm["MetricName"] == "CPUUtilization"
    assert alarm["Statistic"] == "Average"
    assert alarm["Period"] == 180
    assert alarm["ComparisonOperator"] == "LessThanOrEqualToThreshold"
    assert alarm["Threshold"] == 0.01
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 1
    assert "TreatMissingData" not in alarm
    config = synth.properties(synth.construct.scale_in_action)["StepScalingPolicyConfiguration"]
    assert config["AdjustmentType"] == "ExactCapacity"
    assert config["StepAdjustments"] == [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}]


# Nothing else reduces capacity ----------------------------------------------------------------


def test_no_gradual_scale_in_unless_asked(default_service: Synthesized) -> None:
    synth = default_service
    assert synth.construct.gradual_scale_in_alarm is None
    policies = synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    assert len(policies) == 3
    # Only the scale-out and scale-in alarms act on the scalable target, and the alarm for
    # tasks doing no work, which sets min_capacity too (test_not_receiving.py).
    acting = {
        alarm_id
        for alarm_id, alarm in synth.resources("AWS::CloudWatch::Alarm").items()
        if any(
            action.get("Ref") in policies for action in alarm["Properties"].get("AlarmActions", [])
        )
    }
    assert acting == {
        synth.logical_id(synth.construct.scale_out_alarm),
        synth.logical_id(synth.construct.scale_in_alarm),
        synth.logical_id(synth.construct.tasks_not_receiving_alarm),
    }
    for policy in policies.values():
        for step in policy["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"]:
            assert step["ScalingAdjustment"] >= 0


def test_gradual_scale_in_removes_one_task_while_drained_with_work_in_flight(
    gradual_service: Synthesized,
) -> None:
    synth = gradual_service
    alarm_construct = synth.construct.gradual_scale_in_alarm
    assert alarm_construct is not None
    alarm = synth.properties(alarm_construct)
    assert expression(alarm) == "IF((visible == 0) AND (in_flight >= 1), 1, 0)"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 3
    synth.template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity",
                "Cooldown": 180,
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": -1}],
            }
        },
    )
    # Gradual scale-in only exists beside task protection.
    synth.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Action": ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"]}
                        )
                    ]
                )
            }
        },
    )


def test_cpu_threshold_is_written_as_a_plain_decimal() -> None:
    from sqs_scale_to_zero.scaling.idle import idle_expression

    assert idle_expression(0.00001).endswith("(FILL(cpu, 0) <= 0.00001), 1, 0), 0))")
    assert idle_expression(12.5).endswith("(FILL(cpu, 0) <= 12.5), 1, 0), 0))")
    assert idle_expression(0).endswith("(FILL(cpu, 0) <= 0), 1, 0), 0))")
