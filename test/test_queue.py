"""The queue part: a safe queue and DLQ by default, FIFO and CMK on request, or the user's queue."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Match

from test.conftest import KEY_ARN, Synthesized


def queue_properties(synth: Synthesized, which: str) -> dict[str, Any]:
    return synth.properties(getattr(synth.construct, which))


def test_new_queue_redrives_to_its_dlq_after_three_receives(default_service: Synthesized) -> None:
    queue = queue_properties(default_service, "queue")
    dlq_id = default_service.logical_id(default_service.construct.dead_letter_queue)
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }


def test_new_queue_long_polls_with_documented_defaults(default_service: Synthesized) -> None:
    queue = queue_properties(default_service, "queue")
    assert queue["ReceiveMessageWaitTimeSeconds"] == 20
    assert queue["VisibilityTimeout"] == 300
    assert queue["MessageRetentionPeriod"] == 4 * 24 * 3600
    assert "FifoQueue" not in queue


def test_dlq_keeps_messages_for_fourteen_days(default_service: Synthesized) -> None:
    assert queue_properties(default_service, "dead_letter_queue")["MessageRetentionPeriod"] == (
        14 * 24 * 3600
    )


def test_both_queues_are_encrypted_with_sqs_managed_keys_by_default(
    default_service: Synthesized,
) -> None:
    for which in ("queue", "dead_letter_queue"):
        properties = queue_properties(default_service, which)
        assert properties["SqsManagedSseEnabled"] is True
        assert "KmsMasterKeyId" not in properties


def test_both_queues_refuse_requests_without_tls(default_service: Synthesized) -> None:
    synth = default_service
    for which in ("queue", "dead_letter_queue"):
        queue_id = synth.logical_id(getattr(synth.construct, which))
        synth.template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": queue_id}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "sqs:*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                    "Principal": {"AWS": "*"},
                                }
                            )
                        ]
                    )
                },
            },
        )


def test_fifo_queue_and_dlq_with_cmk_and_deduplication(seed_like_service: Synthesized) -> None:
    queue = queue_properties(seed_like_service, "queue")
    dlq = queue_properties(seed_like_service, "dead_letter_queue")
    assert queue["QueueName"] == "sample-queue.fifo"
    assert queue["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is True
    assert queue["VisibilityTimeout"] == 12 * 3600
    assert queue["MessageRetentionPeriod"] == 345600
    assert dlq["QueueName"] == "sample-queue-dlq.fifo"
    assert dlq["FifoQueue"] is True
    for properties in (queue, dlq):
        assert properties["KmsMasterKeyId"] == KEY_ARN


def test_brought_queue_is_used_and_no_queue_is_created(brought_queue_service: Synthesized) -> None:
    synth = brought_queue_service
    assert synth.construct.dead_letter_queue is None
    # Only the user's own queue exists in the stack.
    synth.template.resource_count_is("AWS::SQS::Queue", 1)
    own_queue = synth.stack.node.find_child("OwnQueue").node.default_child
    assert isinstance(own_queue, cdk.CfnElement)
    own_queue_id = synth.stack.get_logical_id(own_queue)
    assert synth.logical_id(synth.construct.queue) == own_queue_id


def test_outputs_give_the_queue_url_and_arn(default_service: Synthesized) -> None:
    queue_id = default_service.logical_id(default_service.construct.queue)
    outputs = default_service.template.to_json()["Outputs"]
    values = {key.split("Worker", 1)[-1][:8]: output["Value"] for key, output in outputs.items()}
    assert values["QueueUrl"] == {"Ref": queue_id}
    assert values["QueueArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
