"""Run a call that may block (a black-holed connection, a stalled agent) with a time limit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("sqs_scale_to_zero.worker")


def call_within(seconds: float, call: Callable[[], object], name: str) -> bool:
    """Run ``call`` on a daemon thread; return True if it finished within ``seconds``.

    A call still blocked after ``seconds`` is left running on its daemon thread (it ends with
    the process), so the caller's deadline always holds. Exceptions are logged, not raised.

    Args:
        seconds: The time limit; at most this long is waited. Required.
        call: What to run. Required.
        name: The thread's name, for logs. Required.
    """
    done = threading.Event()

    def target() -> None:
        try:
            call()
        except Exception:
            logger.exception("%s failed", name)
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    return done.wait(max(0.0, seconds))
