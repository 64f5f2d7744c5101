"""Deleting finished messages, batched when several finish at about the same time."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS
from sqs_scale_to_zero.worker.inflight import Job
from sqs_scale_to_zero.worker.policies import BackoffPolicy
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker.deletes")

MAX_ATTEMPTS = 5
"""Delete calls per message before giving up (it is then redelivered: at-least-once)."""

MAX_DELETES_IN_FLIGHT = 4
"""``DeleteMessageBatch`` calls made at once, when messages finish faster than one call takes."""

LINGER_SECONDS = 1.0
"""On a standard queue, how long a finished message may wait for others to share its delete
call. It costs no handler any time (the slot is free at once) and keeps the requests per message
down when messages finish one by one; a FIFO queue deletes at once, since the next message of a
group is delivered only after the delete."""

LINGER_CHECK_SECONDS = 0.05
"""While a message lingers, how often the deleter checks whether the worker fell idle."""

LINGER_MARGIN_SECONDS = 5.0
"""A message whose visibility ends within this many seconds is deleted without lingering."""


class Deleter:
    """A thread that deletes finished messages, up to 10 per ``DeleteMessageBatch``.

    It takes whatever has finished by the time it is free, so a burst shares calls, up to
    ``MAX_DELETES_IN_FLIGHT`` at once. With ``linger_seconds`` a lone message waits that long
    for others to share its call (never once its visibility is near its end, never on close).
    No failure is silent: a delete given up is logged at ERROR and counted in
    ``delete_failures``; a delete attempted after the message's visibility lapsed (SQS may have
    handed it to another consumer, a duplicate) is logged at WARNING and counted in
    ``late_deletes``.

    Args:
        sqs: The SQS client.
        queue_url: The queue.
        stats: Counters to update.
        backoff: Delay between attempts after a failed call.
        on_done: Called with each job once it is deleted or given up on.
        linger_seconds: How long a finished message may wait for a fuller batch.
            Default: ``0`` (none).
        busy: True while more messages may finish soon; lingering ends when it turns false.
            Default: always true.
    """

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        *,
        stats: WorkerStats,
        backoff: BackoffPolicy,
        on_done: Callable[[Job], None],
        linger_seconds: float = 0.0,
        busy: Callable[[], bool] = lambda: True,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._stats = stats
        self._backoff = backoff
        self._on_done = on_done
        self._queue: queue.Queue[tuple[Job, int] | None] = queue.Queue()
        self._give_up = threading.Event()
        self._pending: set[int] = set()
        self._pending_lock = threading.Lock()
        self._linger_seconds = linger_seconds
        self._busy = busy
        self._slots = threading.BoundedSemaphore(MAX_DELETES_IN_FLIGHT)
        self._senders: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._run, name="sqs-deleter", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def delete(self, job: Job) -> None:
        """Queue ``job`` for deletion."""
        with self._pending_lock:
            self._pending.add(id(job))
        self._queue.put((job, 1))

    def close(self, timeout: float) -> int:
        """Delete what is queued, then stop, within ``timeout`` seconds.

        Returns:
            How many queued deletes were not made in time (those messages will be delivered
            again after their visibility timeout).
        """
        deadline = time.monotonic() + max(0.0, timeout)
        self._queue.put(None)
        self._thread.join(timeout=max(0.0, deadline - time.monotonic() - 0.5))
        self._give_up.set()
        self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for sender in list(self._senders):
            sender.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._pending_lock:
            return len(self._pending)

    def _done(self, job: Job) -> None:
        with self._pending_lock:
            self._pending.discard(id(job))
        self._on_done(job)

    def _run(self) -> None:
        closing = False  # after close(): finish what is queued (retries included), then end
        while True:
            try:
                item = self._queue.get_nowait() if closing else self._queue.get()
            except queue.Empty:
                for sender in list(self._senders):
                    sender.join()  # a failed call puts its retry back in the queue
                if self._queue.empty():
                    break
                continue
            if item is None:
                closing = True
                continue
            batch = [item]
            linger_until = min(
                time.monotonic() + self._linger_seconds,
                item[0].visible_until - LINGER_MARGIN_SECONDS,
            )
            while len(batch) < contract.SQS_MAX_BATCH_SIZE:
                wait = linger_until - time.monotonic()
                lingering = not closing and wait > 0 and self._busy()
                try:
                    if lingering:  # in slices, to see the worker fall idle
                        more = self._queue.get(timeout=min(wait, LINGER_CHECK_SECONDS))
                    else:
                        more = self._queue.get_nowait()
                except queue.Empty:
                    if lingering:
                        continue
                    break
                if more is None:
                    closing = True
                else:
                    batch.append(more)
            self._send(batch)

    def _send(self, batch: list[tuple[Job, int]]) -> None:
        """Delete ``batch`` on a thread of its own, once fewer than the most are in flight."""
        self._slots.acquire()

        def send() -> None:
            try:
                self._delete(batch)
            finally:
                self._slots.release()

        self._senders = [sender for sender in self._senders if sender.is_alive()]
        sender = threading.Thread(target=send, name="sqs-delete", daemon=True)
        self._senders.append(sender)
        sender.start()

    def _delete(self, batch: list[tuple[Job, int]]) -> None:
        now = time.monotonic()
        for job, attempt in batch:
            if now > job.visible_until and not job.late_delete_reported:
                job.late_delete_reported = True
                self._stats.add("late_deletes")
                logger.warning(
                    "deleting %s after its visibility lapsed (attempt %d): SQS may deliver it "
                    "again, a duplicate",
                    job.message.message_id,
                    attempt,
                    extra={"message_id": job.message.message_id, "attempt": attempt},
                )
        entries = [
            {"Id": str(index), "ReceiptHandle": job.message.receipt_handle}
            for index, (job, _) in enumerate(batch)
        ]
        retry: list[tuple[Job, int]] = []
        try:
            response = self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        except SQS_ERRORS as error:
            self._stats.add("sqs_errors")
            logger.warning("DeleteMessageBatch failed: %s", error)
            retry = batch
        else:
            failed_ids = set()
            for entry in response.get("Failed", []):
                failed_ids.add(int(entry["Id"]))
                job, attempt = batch[int(entry["Id"])]
                logger.warning(
                    "delete refused for %s: %s",
                    job.message.message_id,
                    entry.get("Message") or entry.get("Code"),
                    extra={"message_id": job.message.message_id},
                )
                if not entry.get("SenderFault"):
                    retry.append((job, attempt))
                else:
                    self._stats.add("delete_failures")
                    self._done(job)
            for index, (job, _) in enumerate(batch):
                if index not in failed_ids:
                    self._stats.add("deleted")
                    self._done(job)
        if not retry:
            return
        attempt = max(a for _, a in retry)
        if attempt >= MAX_ATTEMPTS or self._give_up.is_set():
            for job, a in retry:
                self._stats.add("delete_failures")
                logger.error(
                    "gave up deleting %s after %d attempt(s); it will be delivered again",
                    job.message.message_id,
                    a,
                    extra={"message_id": job.message.message_id, "attempt": a},
                )
                self._done(job)
            return
        self._give_up.wait(self._backoff.delay(attempt))
        for job, a in retry:
            self._queue.put((job, a + 1))
