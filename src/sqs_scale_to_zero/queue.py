"""The queue part: the work queue and its dead-letter queue, or the queue the user brings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.settings import (
    DEAD_LETTER_RETENTION_PERIOD,
    RECEIVE_WAIT_TIME,
    QueueSettings,
)


@dataclass(frozen=True)
class WorkQueues:
    """The queue the service consumes and, when the construct made it, its dead-letter queue."""

    queue: sqs.IQueue
    dead_letter_queue: Optional[sqs.IQueue]


def build_queues(scope: Construct, settings: QueueSettings) -> WorkQueues:
    """Adopt the queue the user brought, or create a queue with a DLQ from ``settings``.

    A created queue and its DLQ are encrypted at rest (SQS-managed keys, or the given CMK),
    refuse requests that don't use TLS, long-poll for 20 s, and redrive a message to the DLQ
    after ``max_receive_count`` receives. The DLQ keeps messages for the 14-day maximum so a
    failure is never lost before someone looks at it.
    """
    if settings.existing is not None:
        return WorkQueues(queue=settings.existing, dead_letter_queue=None)
    encryption = (
        sqs.QueueEncryption.KMS if settings.encryption_key else sqs.QueueEncryption.SQS_MANAGED
    )
    dead_letter_queue = sqs.Queue(
        scope,
        "DeadLetterQueue",
        queue_name=_dead_letter_queue_name(settings.queue_name, settings.fifo),
        fifo=settings.fifo or None,
        encryption=encryption,
        encryption_master_key=settings.encryption_key,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION_PERIOD,
    )
    queue = sqs.Queue(
        scope,
        "Queue",
        queue_name=settings.queue_name,
        fifo=settings.fifo or None,
        content_based_deduplication=settings.content_based_deduplication or None,
        encryption=encryption,
        encryption_master_key=settings.encryption_key,
        enforce_ssl=True,
        receive_message_wait_time=RECEIVE_WAIT_TIME,
        visibility_timeout=settings.visibility_timeout,
        retention_period=settings.retention_period,
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=dead_letter_queue, max_receive_count=settings.max_receive_count
        ),
    )
    return WorkQueues(queue=queue, dead_letter_queue=dead_letter_queue)


def _dead_letter_queue_name(queue_name: Optional[str], fifo: bool) -> Optional[str]:
    if queue_name is None:
        return None
    base = queue_name[: -len(".fifo")] if fifo else queue_name
    return f"{base}-dlq.fifo" if fifo else f"{base}-dlq"
