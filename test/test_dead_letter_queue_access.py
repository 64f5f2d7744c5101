"""The construct passes the dead-letter queue's URL to the worker and grants exactly what
``raise DeadLetter`` needs: ``sqs:SendMessage`` on that queue (and its key's data key)."""

from __future__ import annotations

from typing import Any

from sqs_scale_to_zero.worker import contract
from test.conftest import KEY_ARN, Synthesized


def container_environment(synth: Synthesized) -> dict[str, Any]:
    (container,) = synth.properties(synth.construct.task_definition)["ContainerDefinitions"]
    return {e["Name"]: e["Value"] for e in container["Environment"]}


def task_role_statements(synth: Synthesized) -> list[dict[str, Any]]:
    role_id = synth.logical_id(synth.construct.task_definition.task_role)
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_worker_gets_the_dead_letter_queues_url(default_service: Synthesized) -> None:
    dlq_id = default_service.logical_id(default_service.construct.dead_letter_queue)

    environment = container_environment(default_service)

    assert environment[contract.DEAD_LETTER_QUEUE_URL] == {"Ref": dlq_id}


def test_the_task_role_may_only_send_to_the_dead_letter_queue(
    default_service: Synthesized,
) -> None:
    dlq_id = default_service.logical_id(default_service.construct.dead_letter_queue)

    on_dlq = [
        s
        for s in task_role_statements(default_service)
        if s["Resource"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    ]

    assert on_dlq == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [dlq_id, "Arn"]},
        }
    ]


def test_a_dead_letter_queue_with_a_key_lets_the_task_make_a_data_key(
    seed_like_service: Synthesized,
) -> None:
    def actions(statement: dict[str, Any]) -> list[str]:
        action = statement["Action"]
        return list(action) if isinstance(action, list) else [action]

    (statement,) = [
        s for s in task_role_statements(seed_like_service) if "kms:GenerateDataKey" in actions(s)
    ]

    assert sorted(actions(statement)) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Resource"] == KEY_ARN


def test_a_brought_queue_gets_no_dead_letter_queue_url(brought_queue_service: Synthesized) -> None:
    assert contract.DEAD_LETTER_QUEUE_URL not in container_environment(brought_queue_service)
