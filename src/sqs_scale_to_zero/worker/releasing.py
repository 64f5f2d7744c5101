"""Giving held messages back to SQS: released at once, or visible again after a delay.

A message handed back while one of the worker's own receives is in flight (a receive loop long
polls beside the handlers) must not be visible to that receive: it would take the message and
hand it back again, each time raising its receive count, which the queue's redrive policy counts
toward the dead-letter queue although no handler ever ran it. With several receives in flight
(see :mod:`.receiving`) a drain handed three messages back nine to fifteen times in all.

Three cures were weighed, for a pause, a drain and a stop alike:

- hand back with a visibility that outlasts the receives in flight (their long-poll wait plus a
  second): nothing is received twice, but the messages wait out that whole bound, up to 21 s,
  even when the receives return a moment later, as they do while messages flow;
- wait for the receives in flight to return, then hand back at visibility 0: as short a wait as
  can be, but the messages stay held meanwhile, and a stop during the wait must still hand them
  back;
- hand back at once and hand back again what late receives bring, without counting it: no wait,
  but every late receive still costs each message a receive count: the harm itself.

The ``Releaser`` does the first, then makes good the second's wait: it hands back with the
visibility of the first and parks the messages; as soon as the receives that were in flight
have returned, the receive loop makes the parked messages visible at once (one more
``ChangeMessageVisibilityBatch`` per 10). Nothing is lost (if that second call fails or the task
exits first, they are visible after the bound anyway), nothing is held, and a successor task
waits only as long as the receives in flight took to return: one round trip while messages flow,
at most the long-poll wait on an otherwise empty queue.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqs_scale_to_zero.worker.bounded import call_within
from sqs_scale_to_zero.worker.inflight import Holdings, Job
from sqs_scale_to_zero.worker.receive_window import ReceiveWindow
from sqs_scale_to_zero.worker.stats import WorkerStats
from sqs_scale_to_zero.worker.visibility import change_visibility, release

logger = logging.getLogger("sqs_scale_to_zero.worker")

UNPARK_MARGIN_SECONDS = 1.0
"""A parked hand-back is made visible early only while more than this is left of the visibility
it was given: a change that reached SQS once the message was visible again, and perhaps received
by a successor, would make it visible under that successor."""


class Releaser:
    """Changes the visibility of held messages, one change at a time, and stops holding them.

    Owns the *visibility lock* (see :mod:`.lifecycle` for the lock order): the heartbeat takes
    it too, so an extension never overwrites a release or a retry delay. A hand-back while the
    worker's own receives are in flight is parked until they return (see the module docstring).

    Args:
        sqs: The SQS client. Required.
        queue_url: The queue. Required.
        holdings: The jobs the worker holds. Required.
        stats: Counters to update. Required.
        window: The worker's receives in flight. Required.

    Attributes:
        visibility_lock: Held while a held message's visibility changes.
    """

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        holdings: Holdings,
        stats: WorkerStats,
        *,
        window: ReceiveWindow,
    ) -> None:
        self.visibility_lock = threading.Lock()
        self._sqs = sqs
        self._queue_url = queue_url
        self._holdings = holdings
        self._stats = stats
        self._window = window
        # Guarded by the visibility lock: messages handed back, each batch with the receives
        # it waits for before it is made visible at once, and when it is visible anyway.
        self._parked: list[_Parked] = []

    def give_back(self, jobs: list[Job], reason: str, *, group_locked: bool = False) -> list[Job]:
        """Release ``jobs`` and stop holding them; return those SQS refused.

        They are visible at once, or, while receives of this worker are in flight, once those
        have returned (see the module docstring). Jobs no longer queued or running (finished,
        or handed back already) are left alone.

        Args:
            jobs: The jobs to hand back. Required.
            reason: Why, for the log. Required.
            group_locked: The followers of a failed FIFO head, whose delay keeps their group
                locked longer than any receive in flight: visible at once. Default: ``False``.
        """
        with self.visibility_lock:
            mine = self._holdings.take_back(jobs)
            if not mine:
                return []
            logger.info("releasing %d message(s): %s", len(mine), reason)
            awaited = frozenset() if group_locked else self._window.in_flight()
            now = time.monotonic()
            seconds = math.ceil(self._window.seconds_left(now)) if awaited else 0
            failed = release(self._sqs, self._queue_url, mine, self._stats, seconds)
            if seconds > 0:
                refused = set(map(id, failed))
                jobs = [job for job in mine if id(job) not in refused]
                self._parked.append(_Parked(awaited, jobs, visible_at=now + seconds))
                self._unpark_returned()  # those receives may have returned meanwhile
            return failed

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

    def receive_returned(self) -> None:
        """A receive returned: make visible at once what waited for it alone (the receive loop's call)."""
        if not self._parked:  # the usual case: no lock taken
            return
        with self.visibility_lock:
            self._unpark_returned()

    def _unpark_returned(self) -> None:
        now = time.monotonic()
        due: list[Job] = []
        waiting: list[_Parked] = []
        for parked in self._parked:
            if now >= parked.visible_at - UNPARK_MARGIN_SECONDS:
                continue  # visible soon by itself
            if self._window.returned(parked.awaited):
                due += parked.jobs
            else:
                waiting.append(parked)
        self._parked = waiting
        if not due:
            return
        changes = [(job, 0) for job in due]
        failed = change_visibility(self._sqs, self._queue_url, changes, self._stats)
        logger.debug(
            "%d handed-back message(s) visible at once, %d later: the receives in flight returned",
            len(due) - len(failed),
            len(failed),
        )

    def delay(self, job: Job, seconds: int) -> None:
        """Make ``job`` visible again in ``seconds`` (a retry) and stop holding it."""
        with self.visibility_lock:
            change_visibility(self._sqs, self._queue_url, [(job, seconds)], self._stats)
            self._holdings.forget(job)

    def __repr__(self) -> str:
        return f"Releaser(queue_url={self._queue_url!r})"


@dataclass(frozen=True)
class _Parked:
    """Messages handed back beside receives in flight, visible at ``visible_at`` by themselves."""

    awaited: frozenset[int]
    jobs: list[Job]
    visible_at: float
