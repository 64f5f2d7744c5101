"""Task protection around receiving: asked for after a receive, released when idle.

A failure to get protection never costs the messages just received a receive: they run anyway.
After an *error* of the ECS agent they run unprotected, and protection is tried again after the
error backoff. After ECS's *refusal* (the task is being stopped), the worker runs what it holds
but receives nothing more until protection is granted again or it is stopped: the keeper is then
``refused``, a state of its own, apart from the deploy drain's pause (``Lifecycle.paused``).
"""

from __future__ import annotations

import logging
import threading
import time

from sqs_scale_to_zero.worker.policies import BackoffPolicy
from sqs_scale_to_zero.worker.protection import TaskProtection

logger = logging.getLogger("sqs_scale_to_zero.worker")


class ProtectionKeeper:
    """Asks for task protection as messages arrive, and keeps track of a refusal.

    Used by the receive loop only (not thread-safe).

    Args:
        protection: The task protection. Required.
        backoff: The delay before trying again, by consecutive failures. Required.
        receiving_over: Set once the worker drains or stops; ends a wait. Required.
    """

    def __init__(
        self,
        protection: TaskProtection,
        backoff: BackoffPolicy,
        receiving_over: threading.Event,
    ) -> None:
        self.protection = protection
        self._backoff = backoff
        self._receiving_over = receiving_over
        self._failures = 0
        self._retry_at = 0.0
        self._refused = False
        self._granted = False

    @property
    def granted(self) -> bool:
        """True once protection was had (or is not needed), until it is released or refused.

        More receives than one run only then: what they bring is protected.
        """
        return self._granted

    @property
    def refused(self) -> bool:
        """True after ECS refused protection: receive nothing until it is granted again."""
        return self._refused

    def after_receive(self, count: int) -> None:
        """Ask for protection for ``count`` messages just received; they run whatever happens."""
        protection = self.protection
        if protection.enabled or time.monotonic() < self._retry_at:
            return
        if protection.acquire():
            self._failures = 0
            self._granted = True
            return
        delay = self._failed()
        if self._refused:
            logger.warning(
                "ECS refused task protection (the task is being stopped or scaled in): running "
                "the %d message(s) received, receiving no more until protection is granted or "
                "the task stops; next try in %.1f s",
                count,
                delay,
            )
        else:
            logger.warning(
                "task protection unavailable (the ECS agent failed): running %d message(s) "
                "unprotected; next try in %.1f s",
                count,
                delay,
            )

    def try_again(self) -> bool:
        """While refused: wait for the next try, then try; True when receiving may resume."""
        if self._receiving_over.wait(max(0.0, self._retry_at - time.monotonic())):
            return False
        if self.protection.acquire():
            self._refused = False
            self._granted = True
            self._failures = 0
            logger.info("task protection granted; receiving again")
            return True
        self._failed()
        return not self._refused

    def release(self) -> None:
        """Turn protection off if it is on (nothing is held)."""
        if self.protection.enabled:
            self._granted = False
            self.protection.release()

    def _failed(self) -> float:
        self._failures += 1
        self._granted = False
        delay = self._backoff.delay(self._failures)
        self._retry_at = time.monotonic() + delay
        self._refused = bool(getattr(self.protection, "refused", False))
        return delay

    def __repr__(self) -> str:
        return f"ProtectionKeeper({self.protection!r}, refused={self._refused})"
