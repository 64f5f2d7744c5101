"""Calling your handler on one message, plain or ``async``, and logging what came of it.

``FunctionDelivery`` is the ``Delivery`` (see :mod:`.delivery`) that calls a Python function.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqs_scale_to_zero.worker.delivery import Outcome
from sqs_scale_to_zero.worker.message import DeadLetter, Message, RetryLater

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


class FunctionDelivery:
    """The ``Delivery`` that calls a Python function: the worker's handler contract.

    Returning means success; ``raise RetryLater(seconds)`` asks for that delay; ``raise
    DeadLetter(reason)`` for the dead-letter queue at once; any other
    exception (``SystemExit`` too: it must not end a handler thread) is a failure. What the
    function returns is awaited to completion if awaitable, on an event loop of the handler
    thread's own.

    Args:
        handler: The user's handler (see ``Handler``). Required.

    Raises:
        TypeError: See ``check_handler``.
    """

    def __init__(self, handler: Handler) -> None:
        check_handler(handler)
        self.handler = handler
        self._local = threading.local()

    def deliver(self, message: Message) -> Outcome:
        """Call the handler (awaiting what it returns if awaitable); never raises."""
        started = time.monotonic()
        try:
            result = self.handler(message)
            if inspect.isawaitable(result):
                self._loop().run_until_complete(_awaited(result))
            elif inspect.isgenerator(result) or inspect.isasyncgen(result):
                raise TypeError("the handler returned a generator: none of its body ran")
        except RetryLater as request:
            return Outcome.retry_later(message, started, request.delay_seconds)
        except DeadLetter as request:
            return Outcome.dead_letter(message, started, request.reason)
        except BaseException as failure:  # SystemExit too: it must not end a handler thread
            return Outcome.failed(message, started, failure)
        return Outcome.succeeded(message, started)

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

    def __repr__(self) -> str:
        return f"FunctionDelivery({getattr(self.handler, '__qualname__', self.handler)!r})"


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
