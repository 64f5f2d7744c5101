"""What the worker needs for ``raise DeadLetter(reason)``: send to the dead-letter queue.

The worker runtime sends a copy of the message to the DLQ, then deletes the original (see
``sqs_scale_to_zero.worker.dead_letters``); deleting is already part of consuming the queue.
"""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs

DEAD_LETTER_ACTIONS = ("sqs:SendMessage",)
"""What the task role may do on the dead-letter queue: send the copy a ``DeadLetter`` moves."""

DEAD_LETTER_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
"""What sending to a queue encrypted with a customer key needs on that key."""


def grant_dead_lettering(
    task_definition: ecs.TaskDefinition, dead_letter_queue: sqs.IQueue
) -> None:
    """Grant exactly what a ``DeadLetter`` move needs beyond consuming the queue.

    ``sqs:SendMessage`` on the DLQ and, when a customer key encrypts it, ``kms:GenerateDataKey``
    and ``kms:Decrypt`` on that key (Amazon SQS developer guide, "Amazon SQS key management":
    a producer's permissions).
    """
    task_definition.add_to_task_role_policy(
        iam.PolicyStatement(
            actions=list(DEAD_LETTER_ACTIONS), resources=[dead_letter_queue.queue_arn]
        )
    )
    key = dead_letter_queue.encryption_master_key
    if key is not None:
        key.grant(task_definition.task_role, *DEAD_LETTER_KEY_ACTIONS)
