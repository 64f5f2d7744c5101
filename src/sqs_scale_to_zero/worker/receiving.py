"""The receive loop: how many messages to ask for, and when to ask."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS, system_attributes_parameter
from sqs_scale_to_zero.worker.config import WorkerConfig
from sqs_scale_to_zero.worker.error_backoff import ErrorBackoff
from sqs_scale_to_zero.worker.fifo import FifoGroups
from sqs_scale_to_zero.worker.inflight import Holdings, Job
from sqs_scale_to_zero.worker.lifecycle import Lifecycle
from sqs_scale_to_zero.worker.message import Message
from sqs_scale_to_zero.worker.policies import ShutdownPolicy
from sqs_scale_to_zero.worker.pool import HandlerPool
from sqs_scale_to_zero.worker.protecting import ProtectionKeeper
from sqs_scale_to_zero.worker.releasing import Releaser
from sqs_scale_to_zero.worker.settling import ReceiveWindow
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")

MIN_EMPTY_RECEIVE_SECONDS = 1.0
"""An empty receive that came back sooner than this waits out the rest: a short poll wait (0, or a
grace period below one second) never turns into a busy loop of receive calls."""


class Receiver:
    """Receives for the handler pool until the worker drains or stops, on its own thread.

    It asks for as many messages as there are free handlers plus the prefetch: the messages
    the handlers are expected to start within ``prefetch_seconds``, judged by their average
    duration (none until a first handler has finished). Receives are narrowed to one message
    while a FIFO group's failed head is away (see ``FifoGroups``). While the worker is paused for
    a deploy, or ECS refused task protection (see ``ProtectionKeeper``), it receives nothing.

    Args:
        sqs: The SQS client. Required.
        config: The worker's settings. Required.
        lifecycle: The worker's phase. Required.
        holdings: The jobs the worker holds. Required.
        fifo: The FIFO groups, guarded by the worker lock. Required.
        pool: The handler pool the received jobs go to. Required.
        releaser: Hands back what cannot run. Required.
        keeper: Task protection. Required.
        shutdown_policy: May stop the worker when idle. Required.
        stats: Counters to update. Required.
        backoff: The wait after a failed receive. Required.
        window: Where the receive in flight is noted. Required.
    """

    def __init__(
        self,
        sqs: Any,
        config: WorkerConfig,
        *,
        lifecycle: Lifecycle,
        holdings: Holdings,
        fifo: FifoGroups,
        pool: HandlerPool,
        releaser: Releaser,
        keeper: ProtectionKeeper,
        shutdown_policy: ShutdownPolicy,
        stats: WorkerStats,
        backoff: ErrorBackoff,
        window: ReceiveWindow,
    ) -> None:
        self._sqs = sqs
        self._config = config
        self._lifecycle = lifecycle
        self._holdings = holdings
        self._fifo = fifo
        self._pool = pool
        self._releaser = releaser
        self._keeper = keeper
        self._shutdown_policy = shutdown_policy
        self._stats = stats
        self._backoff = backoff
        self._window = window
        self._attributes_parameter = system_attributes_parameter(sqs)

    def limit(self) -> int:
        """The most messages to hold: the handlers plus the prefetch."""
        config = self._config
        average = self._pool.average_seconds
        prefetch = 0
        if average is not None and config.prefetch_seconds > 0:
            expected = config.concurrency * config.prefetch_seconds / max(average, 1e-3)
            prefetch = min(contract.SQS_MAX_BATCH_SIZE, int(expected))
        return config.concurrency + prefetch

    def run(self, visibility: int) -> None:
        """Receive until the worker drains or stops; an unexpected error stops the worker."""
        try:
            self._receive_until_over(visibility)
        except Exception:
            logger.exception("the receive loop failed; stopping")
            self._lifecycle.stop()

    def _receive_until_over(self, visibility: int) -> None:
        lifecycle = self._lifecycle
        over = lifecycle.receiving_over
        held = self._holdings
        failures = 0
        while not over.is_set():
            idle = held.idle_seconds()
            if self._shutdown_policy.should_stop(
                idle_seconds=idle, processed=self._stats.processed
            ):
                logger.info(
                    "shutdown policy says stop", extra={"policy": repr(self._shutdown_policy)}
                )
                lifecycle.stop()
                break
            if lifecycle.paused:
                self._wait_out_deploy_pause()
                continue
            if self._keeper.refused and not self._keeper.try_again():
                continue
            wanted = self._room()
            if over.is_set():
                break
            with held.lock:
                if self._fifo.narrow():
                    wanted = 1
            started = time.monotonic()
            self._window.open(started + self._config.poll_wait_seconds + 1.0)
            try:
                response = self._sqs.receive_message(
                    QueueUrl=self._config.queue_url,
                    MaxNumberOfMessages=wanted,
                    WaitTimeSeconds=self._config.poll_wait_seconds,
                    MessageAttributeNames=["All"],
                    **{self._attributes_parameter: ["All"]},
                )
            except SQS_ERRORS as error:
                self._window.close()
                failures += 1
                self._backoff.wait("ReceiveMessage", failures, error, logging.WARNING)
                continue
            self._window.close()
            failures = 0
            raw = response.get("Messages") or []
            if not raw:
                if held.idle_seconds() > 0:
                    self._keeper.release()
                over.wait(MIN_EMPTY_RECEIVE_SECONDS - (time.monotonic() - started))
                continue
            jobs = [
                Job(Message.from_sqs(item), received_at=started, visible_until=started + visibility)
                for item in raw
            ]
            self._stats.add("received", len(jobs))
            held.add(jobs)
            if over.is_set():
                self._releaser.give_back(jobs, "stopping" if lifecycle.stopping else "draining")
                break
            if lifecycle.paused:
                self._releaser.give_back(jobs, "paused for a deploy")
                continue
            self._keeper.after_receive(len(jobs))
            self._pool.dispatch(jobs)

    def _wait_out_deploy_pause(self) -> None:
        """Receive nothing while paused for a deploy; release protection once nothing runs."""
        lifecycle = self._lifecycle
        held = self._holdings
        released = False
        while lifecycle.paused and not lifecycle.receiving_over.is_set():
            with held.lock:
                if released or held.active > 0:
                    held.changed.wait(timeout=1.0)
                    continue
            released = True
            self._keeper.release()

    def _room(self) -> int:
        """Wait until the worker may hold more, then briefly for a fuller batch; return how many."""
        held = self._holdings
        over = self._lifecycle.receiving_over
        concurrency = self._config.concurrency
        with held.lock:
            while held.active >= self.limit() and not over.is_set():
                held.changed.wait(timeout=1.0)
            # While received messages still wait for a handler, there is no hurry: receive again
            # once half of the prefetch is used up, rather than one message at a time.
            while (
                held.active > concurrency
                and self.limit() - held.active < (self.limit() - concurrency + 1) // 2
                and not over.is_set()
            ):
                held.changed.wait(timeout=1.0)
            deadline = time.monotonic() + self._config.batch_fill_seconds
            while (
                0 < self.limit() - held.active < min(contract.SQS_MAX_BATCH_SIZE, self.limit())
                and held.active > 0
                and not over.is_set()
                and (left := deadline - time.monotonic()) > 0
            ):
                held.changed.wait(timeout=left)
            return max(1, min(contract.SQS_MAX_BATCH_SIZE, self.limit() - held.active))

    def __repr__(self) -> str:
        return f"Receiver(queue_url={self._config.queue_url!r})"
