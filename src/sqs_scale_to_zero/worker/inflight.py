"""The messages a worker holds (received, not yet deleted or handed back), and their bookkeeping."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.message import Message

CAP_SAFETY_SECONDS = 5.0
"""Seconds kept clear of SQS's 12-hour cap, since the receive time is only known approximately."""


class JobState(enum.Enum):
    """Where a held message is in its life."""

    QUEUED = "queued"
    """Received, waiting for a free handler (or for its FIFO group's turn)."""
    RUNNING = "running"
    """A handler is working on it."""
    FINISHING = "finishing"
    """The handler returned; the delete or visibility change is on its way."""
    DONE = "done"
    """Deleted or handed back: the worker no longer holds it."""


@dataclass(eq=False)
class Job:
    """One held message and its visibility deadline.

    Attributes:
        message: The message.
        received_at: ``time.monotonic()`` just before the receive call that returned it
            (never later than SQS's own receive time, so deadlines err on the early side).
        visible_until: ``time.monotonic()`` at which SQS may hand it to someone else.
        state: See ``JobState``. Default: ``QUEUED``.
        lapse_reported: True once the heartbeat has logged a lapse of its visibility.
            Default: ``False``.
        late_delete_reported: True once a delete after its visibility lapsed has been logged.
            Default: ``False``.
    """

    message: Message
    received_at: float
    visible_until: float
    state: JobState = JobState.QUEUED
    lapse_reported: bool = False
    late_delete_reported: bool = False

    def remaining_cap(self, now: float) -> float:
        """Seconds of visibility SQS still allows before its 12-hour cap, with a margin."""
        return (
            contract.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS
            - (now - self.received_at)
            - CAP_SAFETY_SECONDS
        )


class Holdings:
    """Every job a worker holds, and how many of them count against its concurrency.

    ``active`` counts ``QUEUED`` and ``RUNNING`` jobs. ``lock`` guards everything here;
    ``changed`` is notified whenever a job is added, finishes or is handed back.

    Args:
        changed: The condition to notify, on the worker lock (``Lifecycle.changed``).
            Default: a condition on a re-entrant lock of its own.

    Attributes:
        lock: The worker lock (re-entrant), ``changed``'s lock.
        changed: A condition on ``lock``.
        active: Jobs queued or running.
        idle_since: ``time.monotonic()`` at which the worker last stopped holding anything.
    """

    def __init__(self, changed: threading.Condition | None = None) -> None:
        self.changed = changed or threading.Condition(threading.RLock())
        self.lock = self.changed
        self.active = 0
        self.idle_since = time.monotonic()
        self._jobs: dict[int, Job] = {}

    def add(self, jobs: Iterable[Job]) -> None:
        """Hold ``jobs`` (received just now)."""
        with self.lock:
            for job in jobs:
                self._jobs[id(job)] = job
                self.active += 1
            self.changed.notify_all()

    def snapshot(self, *states: JobState) -> list[Job]:
        """The held jobs (in ``states`` if given)."""
        with self.lock:
            return [job for job in self._jobs.values() if not states or job.state in states]

    def idle_seconds(self) -> float:
        """Seconds since the worker last held a message; 0 while it holds any."""
        with self.lock:
            return time.monotonic() - self.idle_since if self.active == 0 else 0.0

    def forget(self, job: Job) -> None:
        """Stop holding ``job``, which is deleted or handed back (its slot is freed separately)."""
        with self.lock:
            job.state = JobState.DONE
            self._jobs.pop(id(job), None)
            self._note_idle()

    def free_slot(self) -> None:
        """A handler finished with its job: one fewer active job."""
        with self.lock:
            self.active -= 1
            self._note_idle()

    def take_back(self, jobs: Iterable[Job]) -> list[Job]:
        """Stop holding those of ``jobs`` still queued or running; return them."""
        with self.lock:
            mine = [job for job in jobs if job.state in (JobState.QUEUED, JobState.RUNNING)]
            for job in mine:
                job.state = JobState.DONE
                self._jobs.pop(id(job), None)
            self.active -= len(mine)
            self._note_idle()
            return mine

    def _note_idle(self) -> None:
        if not self._jobs and self.active == 0:
            self.idle_since = time.monotonic()
        self.changed.notify_all()
