"""Changing visibility in batches, and the heartbeat that keeps running messages invisible."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS
from sqs_scale_to_zero.worker.inflight import Job
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker.visibility")


def change_visibility(
    sqs: Any, queue_url: str, changes: Sequence[tuple[Job, int]], stats: WorkerStats
) -> list[Job]:
    """Set each job's visibility timeout, 10 per call; return the jobs whose change failed.

    Never raises: failures are logged and counted.
    """
    failed: list[Job] = []
    for start in range(0, len(changes), contract.SQS_MAX_BATCH_SIZE):
        chunk = changes[start : start + contract.SQS_MAX_BATCH_SIZE]
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


def release(
    sqs: Any, queue_url: str, jobs: Iterable[Job], stats: WorkerStats, visible_in_seconds: int = 0
) -> list[Job]:
    """Hand messages back, visible to every consumer after ``visible_in_seconds`` (default 0).

    Returns:
        The jobs that could not be handed back (counted in ``release_failures``).
    """
    jobs = list(jobs)
    if not jobs:
        return []
    changes = [(job, visible_in_seconds) for job in jobs]
    failed = change_visibility(sqs, queue_url, changes, stats)
    stats.add("released", len(jobs) - len(failed))
    stats.add("release_failures", len(failed))
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
    return failed


class Heartbeat:
    """A thread that extends the visibility of held messages before it lapses.

    Every ``interval_seconds`` it extends, by ``extension_seconds`` (capped at SQS's 12 hours
    from receipt), each held message whose visibility ends within two intervals. A message
    whose visibility lapses because extensions failed is logged at WARNING once and counted in
    ``visibility_lapses``: SQS may hand it to another consumer.

    Args:
        sqs: The SQS client.
        queue_url: The queue.
        held: Returns a snapshot of the held jobs.
        extension_seconds: The new visibility timeout of an extended message; may be set later
            with ``start()``. Default: ``0``.
        interval_seconds: Time between checks; may be set later with ``start()``. Default:
            ``1.0``.
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
        extension_seconds: int = 0,
        interval_seconds: float = 1.0,
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

    def start(
        self, extension_seconds: int | None = None, interval_seconds: float | None = None
    ) -> None:
        """Start the thread, with the extension and interval known by now if given."""
        if extension_seconds is not None:
            self.extension_seconds = extension_seconds
        if interval_seconds is not None:
            self.interval_seconds = interval_seconds
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait at most ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=max(0.0, timeout))

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
        after = time.monotonic()
        for job, seconds in due:
            if id(job) not in failed:
                job.visible_until = now + seconds
            elif job.visible_until <= after and not job.lapse_reported:
                job.lapse_reported = True
                self._stats.add("visibility_lapses")
                logger.warning(
                    "visibility of %s lapsed (extensions failed): SQS may deliver it again, "
                    "a duplicate",
                    job.message.message_id,
                    extra={"message_id": job.message.message_id},
                )
        self._stats.add("extended", len(due) - len(failed))
        logger.debug("extended visibility of %d message(s)", len(due) - len(failed))

    def __repr__(self) -> str:
        return (
            f"Heartbeat(interval_seconds={self.interval_seconds:g}, "
            f"extension_seconds={self.extension_seconds})"
        )
