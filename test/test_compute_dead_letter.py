"""``raise DeadLetter``: the container is told the DLQ's URL, and the task role may only send to it."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero import ScaleToZeroQueueService
from sqs_scale_to_zero.worker import contract
from test.conftest import KEY_ARN, TEST_IMAGE, Synthesized, synthesize
from test.test_compute import environment, role_statements

OWN_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"


@pytest.fixture(scope="module")
def brought_queue_with_dlq() -> Synthesized:
    """A queue the user makes in the same app with its own DLQ under a customer key."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        key = kms.Key(stack, "OwnKey", enable_key_rotation=True)
        dlq = sqs.Queue(stack, "OwnDlq", encryption_master_key=key)
        queue = sqs.Queue(
            stack,
            "OwnQueue",
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5),
        )
        return ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, queue=queue)

    return synthesize(build)


@pytest.fixture(scope="module")
def imported_queue() -> Synthesized:
    """A queue imported by ARN: its redrive policy cannot be known at synthesis."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        queue = sqs.Queue.from_queue_arn(stack, "Orders", OWN_QUEUE_ARN)
        return ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, queue=queue)

    return synthesize(build)


def send_statements(synth: Synthesized) -> list[dict[str, Any]]:
    statements = role_statements(synth, synth.construct.task_definition.task_role)
    return [s for s in statements if "sqs:SendMessage" in str(s["Action"])]


def test_the_created_dlq_is_named_to_the_container_and_only_sendable(
    default_service: Synthesized,
) -> None:
    dlq_id = default_service.logical_id(default_service.construct.dead_letter_queue)
    env = environment(default_service)
    assert env[contract.DEAD_LETTER_QUEUE_URL] == {"Ref": dlq_id}
    assert send_statements(default_service) == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [dlq_id, "Arn"]},
        }
    ]
    # Nothing else on the DLQ: no receive, delete or purge.
    statements = role_statements(
        default_service, default_service.construct.task_definition.task_role
    )
    on_dlq = [s for s in statements if s["Resource"] == {"Fn::GetAtt": [dlq_id, "Arn"]}]
    assert on_dlq == send_statements(default_service)


def test_a_dlq_under_a_customer_key_adds_generate_data_key_and_decrypt(
    seed_like_service: Synthesized,
) -> None:
    synth = seed_like_service
    dlq_id = synth.logical_id(synth.construct.dead_letter_queue)
    assert environment(synth)[contract.DEAD_LETTER_QUEUE_URL] == {"Ref": dlq_id}
    statements = role_statements(synth, synth.construct.task_definition.task_role)
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Effect": "Allow",
        "Resource": KEY_ARN,
    } in statements
    assert not [s for s in statements if "kms:Encrypt" in str(s["Action"])]


def test_a_brought_queue_made_with_a_dlq_dead_letters_to_it(
    brought_queue_with_dlq: Synthesized,
) -> None:
    synth = brought_queue_with_dlq
    dlq_id = synth.logical_id(synth.stack.node.find_child("OwnDlq"))
    key_id = synth.logical_id(synth.stack.node.find_child("OwnKey"))
    assert environment(synth)[contract.DEAD_LETTER_QUEUE_URL] == {"Ref": dlq_id}
    assert send_statements(synth) == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [dlq_id, "Arn"]},
        }
    ]
    statements = role_statements(synth, synth.construct.task_definition.task_role)
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
    } in statements
    # The construct's own attribute still names only a DLQ it created.
    assert synth.construct.dead_letter_queue is None


@pytest.fixture(scope="module")
def own_consumer() -> Synthesized:
    """The user's own consumer: no runtime, so nothing raises ``DeadLetter``."""
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack, "Worker", image=TEST_IMAGE, command=["node", "consumer.js"], own_consumer=True
        )
    )


def test_an_own_consumer_may_not_send_to_the_dead_letter_queue(own_consumer: Synthesized) -> None:
    assert contract.DEAD_LETTER_QUEUE_URL not in environment(own_consumer)
    assert send_statements(own_consumer) == []
    assert own_consumer.construct.dead_letter_queue is not None  # there is one, all the same


@pytest.mark.parametrize("fixture", ["imported_queue", "brought_queue_service"])
def test_a_queue_without_a_known_dlq_gets_no_url_and_no_send(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    synth: Synthesized = request.getfixturevalue(fixture)
    assert contract.DEAD_LETTER_QUEUE_URL not in environment(synth)
    assert send_statements(synth) == []
