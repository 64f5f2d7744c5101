"""The message a handler receives, and what a handler raises to choose what becomes of it.

``RetryLater(seconds)`` asks for a retry after that delay; ``DeadLetter(reason)`` sends the
message to the dead-letter queue at once (see :mod:`.dead_letters`).
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqs_scale_to_zero.worker import contract

_NOT_SQS_TEXT = re.compile("[^\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters SQS refuses in a message attribute's string value (after whitespace is folded)."""


@dataclass(frozen=True)
class Message:
    """One SQS message, as handed to your handler.

    Attributes:
        body: The message body, exactly as sent.
        message_id: The SQS message id (stable across redeliveries).
        receipt_handle: The handle of this delivery; the worker uses it to delete, extend or
            release the message. Handlers rarely need it.
        receive_count: How many times SQS has delivered this message, this delivery included
            (``ApproximateReceiveCount``); 1 on the first delivery.
        attributes: The SQS system attributes (``SentTimestamp``, ``MessageGroupId`` ...).
        message_attributes: The sender's message attributes, as returned by ``ReceiveMessage``
            (``{"name": {"DataType": "String", "StringValue": "..."}}``).
        group_id: The ``MessageGroupId`` on a FIFO queue, else ``None``.
    """

    body: str
    message_id: str
    receipt_handle: str
    receive_count: int = 1
    attributes: Mapping[str, str] = field(default_factory=dict)
    message_attributes: Mapping[str, Any] = field(default_factory=dict)
    group_id: str | None = None

    def json(self) -> Any:
        """Parse the body as JSON.

        Returns:
            The decoded JSON value.

        Raises:
            json.JSONDecodeError: The body is not valid JSON.
        """
        return _json.loads(self.body)

    @classmethod
    def from_sqs(cls, raw: Mapping[str, Any]) -> Message:
        """Build a ``Message`` from one entry of a ``ReceiveMessage`` response.

        Args:
            raw: One element of the response's ``Messages`` list.

        Returns:
            The message.
        """
        attributes: dict[str, str] = dict(raw.get("Attributes") or {})
        return cls(
            body=raw.get("Body", ""),
            message_id=raw["MessageId"],
            receipt_handle=raw["ReceiptHandle"],
            receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
            attributes=attributes,
            message_attributes=dict(raw.get("MessageAttributes") or {}),
            group_id=attributes.get("MessageGroupId"),
        )

    def __repr__(self) -> str:
        return (
            f"Message(message_id={self.message_id!r}, receive_count={self.receive_count}, "
            f"group_id={self.group_id!r}, body={self.body[:40]!r})"
        )


class RetryLater(Exception):
    """Raise from a handler to leave the message for a retry after a delay of your choice.

    The worker sets the message's visibility to ``delay_seconds`` instead of the backoff
    policy's delay. SQS still counts the delivery, so ``max_receive_count`` deliveries in all
    move the message to the dead-letter queue.

    Args:
        delay_seconds: Seconds until the message may be delivered again, 0 to 43200.
        reason: Free text for the log. Default: ``""``.

    Raises:
        ValueError: ``delay_seconds`` is outside 0..43200.
    """

    def __init__(self, delay_seconds: float, reason: str = "") -> None:
        limit = contract.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS
        if not (isinstance(delay_seconds, int | float) and 0 <= delay_seconds <= limit):
            raise ValueError(
                f"delay_seconds must be between 0 and {limit} (got {delay_seconds!r}): "
                "SQS caps a message's visibility at 12 hours"
            )
        self.delay_seconds = delay_seconds
        self.reason = reason
        super().__init__(f"retry in {delay_seconds:g} s" + (f": {reason}" if reason else ""))


class DeadLetter(Exception):
    """Raise from a handler to move the message to the dead-letter queue at once.

    For a message that can never succeed (a body that is not what the handler reads, a
    reference to something that no longer exists): instead of ``max_receive_count`` deliveries
    with backoff and a traceback each, the worker sends a copy (body, message attributes, and
    the reason as the message attribute ``sqs-scale-to-zero.dead-letter-reason``) to the queue
    named by ``$SCALE_TO_ZERO_DEAD_LETTER_QUEUE_URL``, then deletes the message, and logs one
    line without a traceback. If the copy cannot be sent (no dead-letter queue configured, or
    SQS refuses), nothing is deleted: the message is retried after the worker's
    ``retry_backoff``, and the redrive policy still dead-letters it after ``max_receive_count``
    deliveries (see the worker README, "Sending a message to the dead-letter queue").

    Args:
        reason: Why, in a few words; kept on one line (whitespace runs become one space,
            characters SQS refuses become ``?``) and cut to 1024 characters. Required.

    Raises:
        TypeError: ``reason`` is not a string.
        ValueError: ``reason`` is empty or only whitespace.
    """

    def __init__(self, reason: str) -> None:
        if not isinstance(reason, str):
            raise TypeError(f"reason must be a string (got {type(reason).__name__})")
        line = _NOT_SQS_TEXT.sub("?", " ".join(reason.split()))
        if not line:
            raise ValueError("reason must say why the message is dead-lettered (got an empty one)")
        limit = contract.DEAD_LETTER_REASON_MAX_CHARACTERS
        self.reason = line if len(line) <= limit else line[: limit - 3] + "..."
        super().__init__(self.reason)
