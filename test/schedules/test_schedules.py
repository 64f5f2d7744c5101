"""Schedules in, the Beanstalk way: the schedules, their role and message, and each refusal."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms

from sqs_scale_to_zero import QueueSchedule, ScaleToZeroQueueService, ScaleToZeroValidationError
from test.conftest import TEST_ENV, TEST_IMAGE, Synthesized, synthesize

NIGHTLY = QueueSchedule(
    name="nightly-report",
    expression="cron(0 23 * * ? *)",
    time_zone="Europe/Paris",
    path="/report",
    message_attributes={"tenant": "acme"},
)
HOURLY = QueueSchedule(name="cleanup", expression="rate(1 hour)", body='{"kind": "cleanup"}')


@pytest.fixture(scope="module")
def scheduled() -> Synthesized:
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack, "Worker", image=TEST_IMAGE, schedules=[NIGHTLY, HOURLY]
        )
    )


@pytest.fixture(scope="module")
def scheduled_fifo_with_key() -> Synthesized:
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            fifo=True,
            encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
            schedules=[
                QueueSchedule(
                    name="nightly report",
                    expression="cron(0 23 * * ? *)",
                    message_group_id="reports",
                )
            ],
        )
    )


def schedule(synth: Synthesized, index: int) -> dict[str, Any]:
    return synth.properties(synth.construct.schedules[index])


def message(synth: Synthesized, index: int) -> dict[str, Any]:
    """The SendMessage request of a schedule, with the queue URL's Ref as its logical ID."""
    joined = schedule(synth, index)["Target"]["Input"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else part["Ref"] for part in joined)
    return dict(json.loads(text))


def test_each_schedule_sends_with_the_sqs_universal_target(scheduled: Synthesized) -> None:
    assert len(scheduled.resources("AWS::Scheduler::Schedule")) == 2
    target = schedule(scheduled, 0)["Target"]
    assert target["Arn"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":scheduler:::aws-sdk:sqs:sendMessage"],
        ]
    }
    role_id = scheduled.logical_id(scheduled.construct.node.find_child("ScheduleRole"))
    assert target["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_expression_and_time_zone(scheduled: Synthesized) -> None:
    nightly, hourly = schedule(scheduled, 0), schedule(scheduled, 1)
    assert nightly["ScheduleExpression"] == "cron(0 23 * * ? *)"
    assert nightly["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert hourly["ScheduleExpression"] == "rate(1 hour)"
    assert hourly["ScheduleExpressionTimezone"] == "UTC"
    assert nightly["FlexibleTimeWindow"] == {"Mode": "OFF"}


def test_message_carries_the_periodic_task_attributes(scheduled: Synthesized) -> None:
    queue_id = scheduled.logical_id(scheduled.construct.queue)
    assert message(scheduled, 0) == {
        "QueueUrl": queue_id,
        "MessageBody": "elasticbeanstalk scheduled job",
        "MessageAttributes": {
            "beanstalk.sqsd.task_name": {"DataType": "String", "StringValue": "nightly-report"},
            "beanstalk.sqsd.scheduled_time": {
                "DataType": "String",
                "StringValue": "<aws.scheduler.scheduled-time>",
            },
            "beanstalk.sqsd.path": {"DataType": "String", "StringValue": "/report"},
            "tenant": {"DataType": "String", "StringValue": "acme"},
        },
    }


def test_body_is_the_tasks_own_and_path_is_optional(scheduled: Synthesized) -> None:
    request = message(scheduled, 1)
    assert request["MessageBody"] == '{"kind": "cleanup"}'
    assert "beanstalk.sqsd.path" not in request["MessageAttributes"]
    assert "MessageGroupId" not in request


def test_role_may_only_send_to_this_queue(scheduled: Synthesized) -> None:
    role = scheduled.construct.node.find_child("ScheduleRole")
    (policy,) = [
        p["Properties"]
        for p in scheduled.resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": scheduled.logical_id(role)}]
    ]
    queue_arn = {"Fn::GetAtt": [scheduled.logical_id(scheduled.construct.queue), "Arn"]}
    assert policy["PolicyDocument"]["Statement"] == [
        {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": queue_arn}
    ]
    trust = scheduled.properties(role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
        }
    ]


def test_fifo_run_has_its_group_and_a_per_run_deduplication_id(
    scheduled_fifo_with_key: Synthesized,
) -> None:
    request = message(scheduled_fifo_with_key, 0)
    assert request["MessageGroupId"] == "reports"
    assert request["MessageDeduplicationId"] == "nightly_report-<aws.scheduler.scheduled-time>"


def test_customer_key_lets_the_role_encrypt(scheduled_fifo_with_key: Synthesized) -> None:
    synth = scheduled_fifo_with_key
    role = synth.construct.node.find_child("ScheduleRole")
    role_ref = {"Ref": synth.logical_id(role)}
    (policy,) = [
        p["Properties"]
        for p in synth.resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [role_ref]
    ]
    key_id = synth.logical_id(synth.stack.node.find_child("Key"))
    assert {
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
    } in policy["PolicyDocument"]["Statement"]


def refused(schedules: Any, **props: Any) -> ScaleToZeroValidationError:
    stack = cdk.Stack(cdk.App(), "Refused", env=TEST_ENV)
    with pytest.raises(ScaleToZeroValidationError) as raised:
        ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, schedules=schedules, **props)
    assert stack.node.try_find_child("Worker") is None
    assert raised.value.prop == "schedules"
    return raised.value


def task(**changes: Any) -> QueueSchedule:
    fields: dict[str, Any] = {"name": "nightly", "expression": "cron(0 23 * * ? *)", **changes}
    return QueueSchedule(**fields)


def test_a_cron_expression_scheduler_would_reject_is_refused() -> None:
    error = refused([task(expression="cron(0 23 * * *)")])
    assert "schedules[0].expression: cron(0 23 * * *) has 5 fields" in str(error)


def test_both_day_fields_set_is_refused() -> None:
    assert "exactly one of day-of-month and day-of-week" in str(
        refused([task(expression="cron(0 23 * * * *)")])
    )


def test_a_bad_rate_is_refused() -> None:
    assert "rate(VALUE UNIT)" in str(refused([task(expression="rate(1 week)")]))


def test_a_bad_time_zone_is_refused() -> None:
    error = refused([task(time_zone="Europe/Atlantis")])
    assert "schedules[0].time_zone: 'Europe/Atlantis' is not an IANA time zone" in str(error)


def test_fifo_without_a_group_is_refused_with_the_fix() -> None:
    error = refused([task()], fifo=True)
    assert "message_group_id is required on a FIFO queue" in str(error)
    assert "message_group_id='nightly'" in str(error)


def test_a_group_on_a_standard_queue_is_refused() -> None:
    assert "applies only to FIFO queues" in str(refused([task(message_group_id="g")]))


def test_two_tasks_with_one_name_are_refused() -> None:
    assert "is used twice" in str(refused([task(), task(expression="rate(5 minutes)")]))


def test_a_path_without_a_slash_is_refused() -> None:
    assert "must start with '/'" in str(refused([task(path="report")]))


def test_an_empty_body_is_refused() -> None:
    assert "non-empty string" in str(refused([task(body="")]))


def test_a_bad_task_name_is_refused() -> None:
    assert "printable ASCII" in str(refused([task(name="")]))


def test_overriding_a_periodic_task_attribute_is_refused() -> None:
    error = refused([task(message_attributes={"beanstalk.sqsd.path": "/x"})])
    assert "is the periodic task's own" in str(error)
    error = refused([task(message_attributes={"beanstalk.sqsd.sender": "x"})])
    assert "beanstalk.sqsd.*" in str(error)


def test_a_bad_attribute_name_is_refused() -> None:
    assert "not an SQS attribute name" in str(refused([task(message_attributes={"a b": "c"})]))


def test_a_reserved_attribute_prefix_is_refused() -> None:
    assert "reserved" in str(refused([task(message_attributes={"AWS.trace": "c"})]))


def test_too_many_attributes_are_refused() -> None:
    error = refused([task(message_attributes={f"a{i}": "v" for i in range(8)})])
    assert "a message may carry 10" in str(error)


def test_schedules_must_be_queue_schedules_in_a_list() -> None:
    assert "must be a list" in str(refused(task()))
    assert "must be a QueueSchedule" in str(refused([{"name": "x"}]))
