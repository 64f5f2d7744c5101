"""``raise DeadLetter`` beyond the construct's own DLQ (``test_dead_letter_queue_access.py``):
a brought ``sqs.Queue`` made with a DLQ, an imported queue, and the user's own consumer."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero import ScaleToZeroQueueService
from sqs_scale_to_zero.worker import contract
from test.conftest import TEST_IMAGE, Synthesized, synthesize
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


def test_an_imported_queue_gets_no_url_and_no_send(imported_queue: Synthesized) -> None:
    synth = imported_queue
    assert contract.DEAD_LETTER_QUEUE_URL not in environment(synth)
    assert send_statements(synth) == []
