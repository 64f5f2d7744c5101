"""What a template declares about messages sent to the service's queue by other services.

A schedule counts when it is an ``AWS::Scheduler::Schedule`` whose target is EventBridge
Scheduler's universal target for SQS ``SendMessage`` (``arn:aws:scheduler:::aws-sdk:sqs:
sendMessage``) and whose input's ``QueueUrl`` is the queue. A subscription counts when it is an
``AWS::SNS::Subscription`` with protocol ``sqs`` whose endpoint is the queue's ARN.
"""

from __future__ import annotations

import json
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template
from sqs_scale_to_zero.simulate.template.specs import (
    MessageSources,
    PeriodicTaskSpec,
    SubscriptionSpec,
)
from sqs_scale_to_zero.worker.contract import PERIODIC_TASK_NAME_ATTRIBUTE

SQS_SEND_MESSAGE_TARGET = ":scheduler:::aws-sdk:sqs:sendMessage"


def read_sources(template: Template, queue_id: str) -> MessageSources:
    """The schedules and subscriptions that send to the queue ``queue_id``.

    Raises:
        SimulationInputError: A schedule's input is not the JSON of a ``SendMessage`` request.
    """
    periodic = []
    for sid, props in template.of_type("AWS::Scheduler::Schedule").items():
        target = props.get("Target") or {}
        if not str(target.get("Arn", "")).endswith(SQS_SEND_MESSAGE_TARGET):
            continue
        request = _request(template.name, sid, target.get("Input"))
        if queue_id not in referenced_ids(request.get("QueueUrl")):
            continue
        if props.get("State", "ENABLED") != "ENABLED":
            continue
        attributes = request.get("MessageAttributes") or {}
        name = (attributes.get(PERIODIC_TASK_NAME_ATTRIBUTE) or {}).get("StringValue") or sid
        periodic.append(
            PeriodicTaskSpec(
                logical_id=sid,
                name=str(name),
                expression=str(props.get("ScheduleExpression", "")),
                time_zone=str(props.get("ScheduleExpressionTimezone") or "UTC"),
            )
        )
    subscriptions = []
    for sid, props in template.of_type("AWS::SNS::Subscription").items():
        if props.get("Protocol") != "sqs" or queue_id not in referenced_ids(props.get("Endpoint")):
            continue
        policy = props.get("FilterPolicy")
        if isinstance(policy, str):
            policy = json.loads(policy)
        subscriptions.append(
            SubscriptionSpec(
                logical_id=sid,
                topic=str(props.get("TopicArn", "")),
                filter_policy=policy if isinstance(policy, dict) else None,
                filter_policy_scope=str(props.get("FilterPolicyScope") or "MessageAttributes"),
            )
        )
    return MessageSources(periodic=tuple(periodic), subscriptions=tuple(subscriptions))


def _request(name: str, sid: str, text: Any) -> dict[str, Any]:
    try:
        request = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        request = None
    if not isinstance(request, dict):
        raise SimulationInputError(
            f"{name}: schedule {sid}: its input is not a SendMessage request as JSON"
        )
    return request
