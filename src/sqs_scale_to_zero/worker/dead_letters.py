"""Moving a message to the dead-letter queue at once, for ``raise DeadLetter(reason)``.

A copy goes to the dead-letter queue first (SendMessage: the original body, its message
attributes and ``DeadLetterReason``); only once SQS has it is the original deleted. So a failed
send loses nothing (the message is retried like any failure), and a failed delete at worst
leaves a second copy for the dead-letter queue. A FIFO queue's copy keeps the message group and
is deduplicated by the original's message ID.
"""

from __future__ import annotations

from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS
from sqs_scale_to_zero.worker.message import Message

REASON_ATTRIBUTE = "DeadLetterReason"
"""The message attribute of the copy that holds the handler's reason."""

SENDABLE_ATTRIBUTE_KEYS = ("DataType", "StringValue", "BinaryValue")
"""The parts of a received message attribute that SendMessage takes back."""


class DeadLetterMover:
    """Sends a copy of a message to the dead-letter queue.

    Args:
        sqs: The SQS client. Required.
        dead_letter_queue_url: The dead-letter queue, or ``None`` when none is configured.
    """

    def __init__(self, sqs: Any, dead_letter_queue_url: str | None) -> None:
        self._sqs = sqs
        self._url = dead_letter_queue_url

    def send_copy(self, message: Message, reason: str) -> str | None:
        """Send ``message`` with ``reason`` to the dead-letter queue; why it could not, or None."""
        if self._url is None:
            return f"no dead-letter queue (${contract.DEAD_LETTER_QUEUE_URL} is not set)"
        params: dict[str, Any] = {
            "QueueUrl": self._url,
            "MessageBody": message.body,
            "MessageAttributes": copy_attributes(message, reason),
        }
        if message.group_id is not None:
            params["MessageGroupId"] = message.group_id
            params["MessageDeduplicationId"] = message.message_id
        try:
            self._sqs.send_message(**params)
        except SQS_ERRORS as error:
            return f"SendMessage to the dead-letter queue failed: {error}"
        return None

    def __repr__(self) -> str:
        return f"DeadLetterMover(dead_letter_queue_url={self._url!r})"


def copy_attributes(message: Message, reason: str) -> dict[str, dict[str, Any]]:
    """The original's message attributes, plus the reason while SQS's limit leaves room."""
    attributes = {
        name: {k: v for k, v in value.items() if k in SENDABLE_ATTRIBUTE_KEYS}
        for name, value in message.message_attributes.items()
    }
    if len(attributes) < contract.SQS_MAX_MESSAGE_ATTRIBUTES:
        attributes[REASON_ATTRIBUTE] = {
            "DataType": "String",
            "StringValue": reason or "(no reason given)",
        }
    return attributes
