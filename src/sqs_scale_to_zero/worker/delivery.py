"""The seam between the worker and your code: a ``Delivery`` hands one message over.

The worker receives, holds, extends and deletes messages; how a message reaches the code that
does the work is a ``Delivery``, the one thing it calls on a handler thread. It has two methods:

* ``deliver(message) -> Outcome``: hand the message over and say what came of it, without
  raising: ``Outcome.succeeded()`` (the worker deletes the message), ``Outcome.retry_later(s)``
  (visible again after ``s`` seconds), or ``Outcome.failed(error)`` (visible again after the
  worker's ``retry_backoff``; the redrive policy dead-letters it after ``max_receive_count``),
  or ``Outcome.dead_letter(reason)`` (moved to the dead-letter queue at once, see
  :mod:`.dead_letters`).
* ``close()``: called on each handler thread as it ends, to free what that thread used.

Calling a Python function (plain or ``async def``) is one implementation,
:class:`~sqs_scale_to_zero.worker.handlers.FunctionDelivery`: returning is success, ``raise
RetryLater(seconds)`` asks for a delay, ``raise DeadLetter(reason)`` for the dead-letter queue,
any other exception is a failure. Another, such as a POST
of each message to an HTTP endpoint beside the worker, plugs into ``Worker(delivery, ...)`` in the
same place, without any change to the handler pool or the receive loop. A delivery that must wait
before it can deliver (an app that is not ready yet) can hold off receiving with
``Worker.pause_receiving()`` and ``Worker.resume_receiving()``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqs_scale_to_zero.worker.message import Message


@dataclass
class Outcome:
    """What came of delivering one message.

    Attributes:
        name: ``"succeeded"``, ``"retry_later"``, ``"failed"`` or ``"dead_letter"``.
        delay_seconds: The visibility delay ``RetryLater`` asked for; ``None`` otherwise (the
            worker's ``retry_backoff`` sets the delay of a failure).
        duration_seconds: How long the delivery took.
        fields: Structured log fields: ``message_id``, ``receive_count``, ``group_id`` (FIFO),
            ``outcome``, ``duration_ms``.
        error: The exception of a failure, if any. Default: ``None``.
        reason: Why the message is dead-lettered (``"dead_letter"`` only). Default: ``None``.
    """

    name: str
    delay_seconds: float | None
    duration_seconds: float
    fields: dict[str, object] = field(default_factory=dict)
    error: BaseException | None = None
    reason: str | None = None

    @classmethod
    def succeeded(cls, message: Message, started: float) -> Outcome:
        """Success: the message is deleted. ``started`` is the ``time.monotonic()`` of the start."""
        return cls._make("succeeded", None, message, started, None)

    @classmethod
    def retry_later(cls, message: Message, started: float, delay_seconds: float) -> Outcome:
        """The message is visible again after ``delay_seconds``."""
        return cls._make("retry_later", delay_seconds, message, started, None)

    @classmethod
    def failed(cls, message: Message, started: float, error: BaseException) -> Outcome:
        """A failure: visible again after the worker's ``retry_backoff``."""
        return cls._make("failed", None, message, started, error)

    @classmethod
    def dead_letter(cls, message: Message, started: float, reason: str) -> Outcome:
        """The message goes to the dead-letter queue at once, with ``reason``."""
        outcome = cls._make("dead_letter", None, message, started, None)
        outcome.reason = reason
        return outcome

    @classmethod
    def _make(
        cls,
        name: str,
        delay: float | None,
        message: Message,
        started: float,
        error: BaseException | None,
    ) -> Outcome:
        duration = time.monotonic() - started
        fields: dict[str, object] = {
            "message_id": message.message_id,
            "receive_count": message.receive_count,
        }
        if message.group_id is not None:
            fields["group_id"] = message.group_id
        fields.update(outcome=name, duration_ms=round(duration * 1000, 1))
        return cls(name, delay, duration, fields, error)


@runtime_checkable
class Delivery(Protocol):
    """How a message reaches the code that works on it (see the module docstring)."""

    def deliver(self, message: Message) -> Outcome:
        """Hand ``message`` over; say what came of it. Never raises."""
        ...

    def close(self) -> None:
        """Free what the calling handler thread used; called once by each as it ends."""
        ...
