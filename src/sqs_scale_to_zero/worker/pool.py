"""The handler threads: a ready queue, FIFO admission, and one delivery at a time per thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.delivery import Delivery, Outcome
from sqs_scale_to_zero.worker.fifo import FifoGroups
from sqs_scale_to_zero.worker.inflight import Holdings, Job, JobState


class HandlerPool:
    """``concurrency`` threads that deliver the jobs they are given, in order.

    ``dispatch`` queues received jobs for the threads, a FIFO group's first job only: the next
    one of its group starts once ``settle`` has finished with the one before.

    Args:
        delivery: How a message is handed over. Required.
        concurrency: Threads. Required.
        holdings: The jobs the worker holds. Required.
        fifo: The FIFO groups, guarded by the worker lock. Required.
        settle: Called with each job and its outcome; returns the next job of its FIFO group to
            start, if any. Required.
    """

    def __init__(
        self,
        delivery: Delivery,
        concurrency: int,
        *,
        holdings: Holdings,
        fifo: FifoGroups,
        settle: Callable[[Job, Outcome], Job | None],
    ) -> None:
        self.delivery = delivery
        self.concurrency = concurrency
        self._holdings = holdings
        self._fifo = fifo
        self._settle = settle
        self._ready: queue.Queue[Job | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"sqs-handler-{n}", daemon=True)
            for n in range(concurrency)
        ]
        self._average_seconds: float | None = None
        self._average_lock = threading.Lock()

    @property
    def average_seconds(self) -> float | None:
        """The running average of delivery durations; ``None`` until one has finished."""
        return self._average_seconds

    def start(self) -> None:
        """Start the threads."""
        for thread in self._threads:
            thread.start()

    def dispatch(self, jobs: list[Job]) -> None:
        """Queue received jobs for the threads (FIFO: each group's first only)."""
        with self._holdings.lock:
            for job in jobs:
                if self._fifo.admit(job):
                    self._ready.put(job)

    def take_waiting(self) -> list[Job]:
        """The jobs received but not started, which the caller hands back; FIFO groups forgotten."""
        with self._holdings.lock:
            waiting = self._holdings.snapshot(JobState.QUEUED)
            self._fifo.clear()
            return waiting

    def stop(self) -> None:
        """Let each thread end once it has finished its delivery (it starts no new one)."""
        for _ in self._threads:
            self._ready.put(None)

    def _run(self) -> None:
        try:
            while True:
                job = self._ready.get()
                if job is None:
                    return
                with self._holdings.lock:
                    if job.state is not JobState.QUEUED:
                        continue  # handed back while it waited
                    job.state = JobState.RUNNING
                outcome = self.delivery.deliver(job.message)
                self._note_duration(outcome.duration_seconds)
                upcoming = self._settle(job, outcome)
                if upcoming is not None:
                    self._ready.put(upcoming)
        finally:
            self.delivery.close()

    def _note_duration(self, seconds: float) -> None:
        with self._average_lock:
            average = self._average_seconds
            self._average_seconds = (
                seconds
                if average is None
                else average * (1 - contract.PREFETCH_DURATION_WEIGHT)
                + seconds * contract.PREFETCH_DURATION_WEIGHT
            )

    def __repr__(self) -> str:
        return f"HandlerPool({self.delivery!r}, concurrency={self.concurrency})"
