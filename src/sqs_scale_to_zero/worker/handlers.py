"""Calling your handler on one message, plain or ``async``, and logging what came of it."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqs_scale_to_zero.worker.message import Message, RetryLater
from sqs_scale_to_zero.worker.policies import BackoffPolicy

logger = logging.getLogger("sqs_scale_to_zero.worker")

Handler = Callable[[Message], object]
"""A handler takes one ``Message``; returning means success, raising means retry.

An ``async def`` handler (or any handler returning an awaitable) is awaited to completion on an
event loop of the handler thread's own, so its coroutine really runs before the message is
deleted.
"""


def check_handler(handler: object) -> None:
    """Refuse, at start-up, a handler that would "succeed" without doing its work.

    Raises:
        TypeError: ``handler`` is not callable, or is a generator function (plain or async):
            calling it returns a generator and runs none of its body.
    """
    if not callable(handler):
        raise TypeError("handler must be callable: pass a function taking one Message")
    if inspect.isgeneratorfunction(handler) or inspect.isasyncgenfunction(handler):
        raise TypeError(
            f"handler {getattr(handler, '__qualname__', handler)!r} is a generator function: "
            "calling it runs none of its body; use a plain def or async def that returns"
        )


@dataclass
class Outcome:
    """What came of one handler call.

    Attributes:
        name: ``"succeeded"``, ``"retry_later"`` or ``"failed"``.
        delay_seconds: Requested visibility delay, ``None`` on success (delete).
        duration_seconds: How long the handler ran.
        fields: Structured log fields: ``message_id``, ``receive_count``, ``group_id``,
            ``outcome``, ``duration_ms``.
        error: The exception the handler raised, if any. Default: ``None``.
    """

    name: str
    delay_seconds: float | None
    duration_seconds: float
    fields: dict[str, object] = field(default_factory=dict)
    error: BaseException | None = None


class HandlerRunner:
    """Runs ``handler`` on messages, one call per handler thread at a time.

    Args:
        handler: The user's handler (see ``Handler``).
        retry_backoff: Visibility delay after a failure, by receive count.
    """

    def __init__(self, handler: Handler, retry_backoff: BackoffPolicy) -> None:
        self.handler = handler
        self.retry_backoff = retry_backoff
        self._local = threading.local()

    def run(self, message: Message) -> Outcome:
        """Call the handler (awaiting what it returns if awaitable); never raises."""
        fields: dict[str, object] = {
            "message_id": message.message_id,
            "receive_count": message.receive_count,
        }
        if message.group_id is not None:
            fields["group_id"] = message.group_id
        started = time.monotonic()
        error: BaseException | None = None
        delay: float | None = None
        try:
            result = self.handler(message)
            if inspect.isawaitable(result):
                self._loop().run_until_complete(_awaited(result))
            elif inspect.isgenerator(result) or inspect.isasyncgen(result):
                raise TypeError("the handler returned a generator: none of its body ran")
        except RetryLater as request:
            name, delay = "retry_later", request.delay_seconds
        except BaseException as failure:  # SystemExit too: it must not end a handler thread
            name, error = "failed", failure
            delay = self.retry_backoff.delay(message.receive_count)
        else:
            name = "succeeded"
        duration = time.monotonic() - started
        fields.update(outcome=name, duration_ms=round(duration * 1000, 1))
        return Outcome(name, delay, duration, fields, error)

    def close(self) -> None:
        """Close the calling thread's event loop, if it made one."""
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is not None:
            loop.close()
            self._local.loop = None

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
        return loop


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def log_outcome(outcome: Outcome, visible_in_seconds: int | None) -> None:
    """Log one finished message: INFO on success or ``RetryLater``, WARNING on failure.

    Args:
        outcome: What the handler did.
        visible_in_seconds: The visibility delay actually set, ``None`` when it is deleted.
    """
    fields = dict(outcome.fields)
    if visible_in_seconds is None:
        logger.info("message succeeded", extra=fields)
        return
    fields["retry_in_seconds"] = visible_in_seconds
    if outcome.error is None:
        logger.info("message retry_later: visible again in %d s", visible_in_seconds, extra=fields)
        return
    logger.warning(
        "message failed: visible again in %d s",
        visible_in_seconds,
        exc_info=(type(outcome.error), outcome.error, outcome.error.__traceback__),
        extra=fields,
    )
