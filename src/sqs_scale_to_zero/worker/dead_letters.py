"""Moving a message to the dead-letter queue at once, when its handler raises ``DeadLetter``.

SQS has no call that moves one message between queues, so a move is two calls: ``SendMessage``
of a copy to the dead-letter queue, then ``DeleteMessage`` of the original (queued with the
``Deleter``, like the delete after a success). The order is what keeps every message:

* The send fails (SQS refuses it, the queue does not exist, no permission, or no dead-letter
  queue is configured): nothing is deleted. The message is visible again after the worker's
  ``retry_backoff``, like a failure, and the queue's redrive policy still moves it to the
  dead-letter queue after ``max_receive_count`` deliveries.
* The send succeeds and the delete does not (the ``Deleter`` gives up after its attempts, or
  the task stops first): the message is delivered again, the handler raises ``DeadLetter``
  again, and a standard dead-letter queue gets a second copy. A FIFO dead-letter queue gets
  none within SQS's 5-minute deduplication interval: the copy's deduplication id is the
  original's message id.

The copy is a new message: SQS gives it a new message id, ``SentTimestamp`` and receive count.
It keeps the body, the message attributes (all of them, as received), ``AWSTraceHeader`` and,
on FIFO queues, the message group; the reason is added as the message attribute
``sqs-scale-to-zero.dead-letter-reason`` unless the message already has SQS's 10 (the reason is
then in the log line only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS
from sqs_scale_to_zero.worker.message import Message
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")

_ATTRIBUTE_VALUE_KEYS = ("DataType", "StringValue", "BinaryValue")
"""What ``SendMessage`` takes of an attribute as ``ReceiveMessage`` returns it."""


class DeadLetters:
    """Sends a copy of a message to the dead-letter queue (the delete is the caller's).

    Args:
        sqs: The SQS client. Required.
        queue_url: The dead-letter queue, or ``None`` when none is configured (every move then
            fails, and says so). Required.
        stats: Counters to update. Required.

    Attributes:
        queue_url: The dead-letter queue, or ``None``.
    """

    def __init__(self, sqs: Any, queue_url: str | None, stats: WorkerStats) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self._stats = stats

    def send(self, message: Message, reason: str) -> str | None:
        """Send ``message``'s copy, with ``reason``, to the dead-letter queue.

        Returns:
            ``None`` once SQS has accepted the copy; else why it was not sent, in a few words
            (the caller logs it and leaves the message on its queue).
        """
        if self.queue_url is None:
            self._stats.add("dead_letter_failures")
            return (
                f"no dead-letter queue is configured (${contract.DEAD_LETTER_QUEUE_URL} is unset)"
            )
        try:
            self._sqs.send_message(**copy_request(self.queue_url, message, reason))
        except SQS_ERRORS as error:
            self._stats.add("dead_letter_failures")
            self._stats.add("sqs_errors")
            return f"SendMessage to the dead-letter queue failed: {error}"
        return None

    def __repr__(self) -> str:
        return f"DeadLetters(queue_url={self.queue_url!r})"


def copy_request(queue_url: str, message: Message, reason: str) -> dict[str, Any]:
    """The ``SendMessage`` arguments of ``message``'s copy, with ``reason``, to ``queue_url``.

    Args:
        queue_url: The dead-letter queue (FIFO when its URL ends in ``.fifo``). Required.
        message: The message to copy. Required.
        reason: The reason, already on one line and within its length. Required.

    Returns:
        The keyword arguments of ``send_message``.
    """
    attributes = _sendable(message.message_attributes)
    name = contract.DEAD_LETTER_REASON_ATTRIBUTE
    if name in attributes or len(attributes) < contract.SQS_MAX_MESSAGE_ATTRIBUTES:
        attributes[name] = {
            "DataType": "String",
            "StringValue": reason,
        }
    request: dict[str, Any] = {
        "QueueUrl": queue_url,
        "MessageBody": message.body,
        "MessageAttributes": attributes,
    }
    trace = message.attributes.get("AWSTraceHeader")
    if trace:
        request["MessageSystemAttributes"] = {
            "AWSTraceHeader": {"DataType": "String", "StringValue": trace}
        }
    if queue_url.endswith(".fifo"):
        request["MessageGroupId"] = message.group_id or message.message_id
        request["MessageDeduplicationId"] = message.message_id
    return request


def _sendable(received: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: {key: value[key] for key in _ATTRIBUTE_VALUE_KEYS if key in value}
        for name, value in received.items()
    }
