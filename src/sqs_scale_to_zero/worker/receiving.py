"""The receive loop of a ``Worker``: how many messages to ask for, and task protection."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS, system_attributes_parameter
from sqs_scale_to_zero.worker.inflight import Job
from sqs_scale_to_zero.worker.message import Message

if TYPE_CHECKING:
    from sqs_scale_to_zero.worker.consumer import Worker

logger = logging.getLogger("sqs_scale_to_zero.worker")

MIN_EMPTY_RECEIVE_SECONDS = 1.0
"""An empty receive that came back sooner than this waits out the rest: a short poll wait (0, or a
grace period below one second) never turns into a busy loop of receive calls."""

DURATION_WEIGHT = 0.2
"""Weight of the newest handler duration in the running average that sizes the prefetch."""


class Receiver:
    """Receives for a ``Worker`` until it stops or drains, on its own thread.

    It asks for as many messages as there are free handlers plus the prefetch: the messages
    the handlers are expected to start within ``prefetch_seconds``, judged by their average
    duration (none until a first handler has finished). Receives are narrowed to one message
    while a FIFO group's failed head is away (see ``FifoGroups``).

    Task protection is asked for after a receive that brought messages, and a failure never
    costs those messages a receive: they run anyway. After an *error* of the ECS agent they run
    unprotected, and protection is tried again after ``error_backoff``. After ECS's *refusal*
    (the task is being stopped), the worker runs what it holds but receives nothing more until
    protection is granted again or it is stopped.

    Args:
        worker: The worker it receives for.
    """

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._attributes_parameter = system_attributes_parameter(worker._sqs)
        self._average_seconds: float | None = None
        self._ends_at: float | None = None
        self._protection_failures = 0
        self._protection_retry_at = 0.0
        self._paused = False
        self._lock = threading.Lock()

    def note_duration(self, seconds: float) -> None:
        """Fold one handler duration into the running average."""
        with self._lock:
            average = self._average_seconds
            self._average_seconds = (
                seconds
                if average is None
                else average * (1 - DURATION_WEIGHT) + seconds * DURATION_WEIGHT
            )

    def in_flight_for(self, now: float) -> float:
        """Seconds until the receive in flight (if any) must have returned."""
        ends_at = self._ends_at
        return 0.0 if ends_at is None else max(0.0, ends_at - now)

    def limit(self) -> int:
        """The most messages to hold: the handlers plus the prefetch."""
        worker = self._worker
        average = self._average_seconds
        prefetch = 0
        if average is not None and worker.config.prefetch_seconds > 0:
            expected = worker.concurrency * worker.config.prefetch_seconds / max(average, 1e-3)
            prefetch = min(contract.SQS_MAX_BATCH_SIZE, int(expected))
        return worker.concurrency + prefetch

    def run(self, visibility: int) -> None:
        """Receive until the worker stops; an unexpected error stops the worker."""
        try:
            self._receive_until_stopped(visibility)
        except Exception:
            logger.exception("the receive loop failed; stopping")
            self._worker.stop()

    def _receive_until_stopped(self, visibility: int) -> None:
        worker = self._worker
        stop = worker._quit_receiving  # stopped or draining
        failures = 0
        while not stop.is_set():
            idle = worker._held.idle_seconds()
            if worker.shutdown_policy.should_stop(
                idle_seconds=idle, processed=worker.stats.processed
            ):
                logger.info(
                    "shutdown policy says stop", extra={"policy": repr(worker.shutdown_policy)}
                )
                worker.stop()
                break
            if worker._deploy_pause.is_set():
                self._wait_out_deploy_pause()
                continue
            if self._paused and not self._protect_before_receiving():
                continue
            wanted = self._room()
            if stop.is_set():
                break
            with worker._held.lock:
                if worker._fifo.narrow():
                    wanted = 1
            started = time.monotonic()
            self._ends_at = started + worker.config.poll_wait_seconds + 1.0
            try:
                response = worker._sqs.receive_message(
                    QueueUrl=worker.queue_url,
                    MaxNumberOfMessages=wanted,
                    WaitTimeSeconds=worker.config.poll_wait_seconds,
                    MessageAttributeNames=["All"],
                    **{self._attributes_parameter: ["All"]},
                )
            except SQS_ERRORS as error:
                self._ends_at = None
                failures += 1
                worker.back_off("ReceiveMessage", failures, error, logging.WARNING)
                continue
            self._ends_at = None
            failures = 0
            raw = response.get("Messages") or []
            if not raw:
                if worker._held.idle_seconds() > 0 and worker.task_protection.enabled:
                    worker.task_protection.release()
                stop.wait(MIN_EMPTY_RECEIVE_SECONDS - (time.monotonic() - started))
                continue
            jobs = [
                Job(Message.from_sqs(item), received_at=started, visible_until=started + visibility)
                for item in raw
            ]
            worker.stats.add("received", len(jobs))
            worker._held.add(jobs)
            if stop.is_set():
                worker.give_back(jobs, "stopping" if worker._stop.is_set() else "draining")
                break
            if worker._deploy_pause.is_set():
                worker.give_back(jobs, "paused for a deploy")
                continue
            self._protect(len(jobs))
            worker.dispatch(jobs)

    def _wait_out_deploy_pause(self) -> None:
        """Receive nothing while paused for a deploy; release protection once nothing runs."""
        worker = self._worker
        released = False
        while worker._deploy_pause.is_set() and not worker._quit_receiving.is_set():
            with worker._held.lock:
                if released or worker._held.active > 0:
                    worker._held.changed.wait(timeout=1.0)
                    continue
            released = True
            if worker.task_protection.enabled:
                worker.task_protection.release()

    def _room(self) -> int:
        """Wait until the worker may hold more, then briefly for a fuller batch; return how many."""
        worker = self._worker
        held = worker._held
        with held.lock:
            while held.active >= self.limit() and not worker._quit_receiving.is_set():
                held.changed.wait(timeout=1.0)
            # While received messages still wait for a handler, there is no hurry: receive again
            # once half of the prefetch is used up, rather than one message at a time.
            while (
                held.active > worker.concurrency
                and self.limit() - held.active < (self.limit() - worker.concurrency + 1) // 2
                and not worker._quit_receiving.is_set()
            ):
                held.changed.wait(timeout=1.0)
            deadline = time.monotonic() + worker.config.batch_fill_seconds
            while (
                0 < self.limit() - held.active < min(contract.SQS_MAX_BATCH_SIZE, self.limit())
                and held.active > 0
                and not worker._quit_receiving.is_set()
                and (left := deadline - time.monotonic()) > 0
            ):
                held.changed.wait(timeout=left)
            return max(1, min(contract.SQS_MAX_BATCH_SIZE, self.limit() - held.active))

    def _protect(self, count: int) -> None:
        """Ask for protection for ``count`` messages just received; they run whatever happens."""
        protection = self._worker.task_protection
        if protection.enabled or time.monotonic() < self._protection_retry_at:
            return
        if protection.acquire():
            self._protection_failures = 0
            return
        delay = self._failed_protection()
        if self._paused:
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

    def _protect_before_receiving(self) -> bool:
        """While refused: wait, then try again; True when receiving may resume."""
        worker = self._worker
        if worker._quit_receiving.wait(max(0.0, self._protection_retry_at - time.monotonic())):
            return False
        if worker.task_protection.acquire():
            self._paused = False
            self._protection_failures = 0
            logger.info("task protection granted; receiving again")
            return True
        self._failed_protection()
        return not self._paused

    def _failed_protection(self) -> float:
        self._protection_failures += 1
        delay = self._worker.error_backoff.delay(self._protection_failures)
        self._protection_retry_at = time.monotonic() + delay
        self._paused = bool(getattr(self._worker.task_protection, "refused", False))
        return delay
