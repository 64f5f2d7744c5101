"""Giving held messages back to SQS: released at once, or visible again after a delay."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqs_scale_to_zero.worker.bounded import call_within
from sqs_scale_to_zero.worker.inflight import Holdings, Job
from sqs_scale_to_zero.worker.stats import WorkerStats
from sqs_scale_to_zero.worker.visibility import change_visibility, release

logger = logging.getLogger("sqs_scale_to_zero.worker")


class Releaser:
    """Changes the visibility of held messages, one change at a time, and stops holding them.

    Owns the *visibility lock* (see :mod:`.lifecycle` for the lock order): the heartbeat takes
    it too, so an extension never overwrites a release or a retry delay.

    Args:
        sqs: The SQS client. Required.
        queue_url: The queue. Required.
        holdings: The jobs the worker holds. Required.
        stats: Counters to update. Required.

    Attributes:
        visibility_lock: Held while a held message's visibility changes.
    """

    def __init__(self, sqs: Any, queue_url: str, holdings: Holdings, stats: WorkerStats) -> None:
        self.visibility_lock = threading.Lock()
        self._sqs = sqs
        self._queue_url = queue_url
        self._holdings = holdings
        self._stats = stats

    def give_back(self, jobs: list[Job], reason: str) -> list[Job]:
        """Release ``jobs`` (visibility 0) and stop holding them; return those SQS refused.

        Jobs no longer queued or running (finished, or handed back already) are left alone.
        """
        with self.visibility_lock:
            mine = self._holdings.take_back(jobs)
            if not mine:
                return []
            logger.info("releasing %d message(s): %s", len(mine), reason)
            return release(self._sqs, self._queue_url, mine, self._stats)

    def give_back_within(self, jobs: list[Job], reason: str, deadline: float) -> int:
        """``give_back`` by ``deadline`` (``time.monotonic()``); return how many were not."""
        if not jobs:
            return 0
        failed: list[Job] = list(jobs)

        def attempt() -> None:
            nonlocal failed
            failed = self.give_back(jobs, reason)

        if not call_within(deadline - time.monotonic(), attempt, "sqs-release"):
            return len(jobs)
        return len(failed)

    def delay(self, job: Job, seconds: int) -> None:
        """Make ``job`` visible again in ``seconds`` (a retry) and stop holding it."""
        with self.visibility_lock:
            change_visibility(self._sqs, self._queue_url, [(job, seconds)], self._stats)
            self._holdings.forget(job)

    def __repr__(self) -> str:
        return f"Releaser(queue_url={self._queue_url!r})"
