"""Changing visibility in batches, and the heartbeat that keeps running messages invisible."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqs_scale_to_zero.worker.client import SQS_ERRORS
from sqs_scale_to_zero.worker.inflight import Job
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker.visibility")

BATCH_SIZE = 10
"""SQS's limit of entries per batch call."""


def change_visibility(
    sqs: Any, queue_url: str, changes: Sequence[tuple[Job, int]], stats: WorkerStats
) -> list[Job]:
    """Set each job's visibility timeout, 10 per call; return the jobs whose change failed.

    Never raises: failures are logged and counted.
    """
    failed: list[Job] = []
    for start in range(0, len(changes), BATCH_SIZE):
        chunk = changes[start : start + BATCH_SIZE]
        entries = [
            {
                "Id": str(index),
                "ReceiptHandle": job.message.receipt_handle,
                "VisibilityTimeout": seconds,
            }
            for index, (job, seconds) in enumerate(chunk)
        ]
        try:
            response = sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
        except SQS_ERRORS as error:
            stats.add("sqs_errors")
            logger.warning("ChangeMessageVisibilityBatch failed: %s", error)
            failed.extend(job for job, _ in chunk)
            continue
        for entry in response.get("Failed", []):
            job = chunk[int(entry["Id"])][0]
            failed.append(job)
            logger.warning(
                "visibility change refused for %s: %s",
                job.message.message_id,
                entry.get("Message") or entry.get("Code"),
                extra={"message_id": job.message.message_id},
            )
    return failed


def release(sqs: Any, queue_url: str, jobs: Iterable[Job], stats: WorkerStats) -> None:
    """Hand messages back with visibility 0 so another consumer can take them at once."""
    jobs = list(jobs)
    if not jobs:
        return
    failed = change_visibility(sqs, queue_url, [(job, 0) for job in jobs], stats)
    stats.add("released", len(jobs) - len(failed))
    for job in jobs:
        logger.info(
            "released %s",
            job.message.message_id,
            extra={
                "message_id": job.message.message_id,
                "receive_count": job.message.receive_count,
                "outcome": "released",
            },
        )


class Heartbeat:
    """A thread that extends the visibility of held messages before it lapses.

    Every ``interval_seconds`` it extends, by ``extension_seconds`` (capped at SQS's 12 hours
    from receipt), each held message whose visibility ends within two intervals.

    Args:
        sqs: The SQS client.
        queue_url: The queue.
        held: Returns a snapshot of the held jobs.
        extension_seconds: The new visibility timeout of an extended message.
        interval_seconds: Time between checks.
        stats: Counters to update.
        lock: Held while the heartbeat picks and extends messages; whoever else changes a
            held message's visibility (release, retry delay) holds it too, so an extension
            never overwrites a release. Default: a lock of its own.
    """

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        held: Callable[[], list[Job]],
        *,
        extension_seconds: int,
        interval_seconds: float,
        stats: WorkerStats,
        lock: threading.Lock | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._held = held
        self.extension_seconds = extension_seconds
        self.interval_seconds = interval_seconds
        self._stats = stats
        self._lock = lock or threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-heartbeat", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait briefly for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                self.beat()
            except Exception:  # a heartbeat must never die
                logger.exception("heartbeat failed")

    def beat(self) -> None:
        """Extend every held message whose visibility ends within two intervals."""
        with self._lock:
            self._extend_due()

    def _extend_due(self) -> None:
        now = time.monotonic()
        due: list[tuple[Job, int]] = []
        for job in self._held():
            if job.visible_until - now > 2 * self.interval_seconds:
                continue
            seconds = int(min(self.extension_seconds, job.remaining_cap(now)))
            if seconds <= 0:
                logger.error(
                    "message %s reached SQS's 12-hour visibility cap; it may be redelivered",
                    job.message.message_id,
                    extra={"message_id": job.message.message_id},
                )
                continue
            due.append((job, seconds))
        if not due:
            return
        failed = set(map(id, change_visibility(self._sqs, self._queue_url, due, self._stats)))
        for job, seconds in due:
            if id(job) not in failed:
                job.visible_until = now + seconds
        self._stats.add("extended", len(due) - len(failed))
        logger.debug("extended visibility of %d message(s)", len(due) - len(failed))

    def __repr__(self) -> str:
        return (
            f"Heartbeat(interval_seconds={self.interval_seconds:g}, "
            f"extension_seconds={self.extension_seconds})"
        )
