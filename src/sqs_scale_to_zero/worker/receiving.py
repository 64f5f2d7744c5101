"""The receive loop: how many messages to ask for, and when to ask."""

from __future__ import annotations

import logging
import math
import threading
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
from sqs_scale_to_zero.worker.receive_parallelism import ReceiveParallelism
from sqs_scale_to_zero.worker.receive_window import ReceiveWindow
from sqs_scale_to_zero.worker.releasing import Releaser
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")

MAX_RECEIVES_IN_FLIGHT = 3
"""The most receives in flight at once, on a standard queue, while messages flow; how many of
them run is found by trying (see ``ReceiveParallelism``). One receive polls an empty queue; a
FIFO queue has one in flight.

Three receives of 10 per round trip feed 1,500 messages a second when SQS answers within
20 ms, as it does in the queue's own region (the construct puts the queue and the service in one
stack): more than one worker process handles, at about a millisecond of CPU per message
(``benchmarks/worker_throughput.py``, column "CPU ms/msg"). More receives would only hold more
messages ahead and put more requests in flight at once; with 8 the benchmark measured lower
throughput, the SQS server (moto) spending 20-30 % more CPU per message."""

RTT_WEIGHT = 0.2
"""Weight of the newest round trip in the running average of receives that brought messages."""

MIN_EMPTY_RECEIVE_SECONDS = 1.0
"""An empty receive that came back sooner than this waits out the rest: a short poll wait (0, or a
grace period below one second) never turns into a busy loop of receive calls."""


class Receiver:
    """Receives for the handler pool until the worker drains or stops, on its own threads.

    It asks for as many messages as there are free handlers plus the prefetch (see ``limit``):
    the messages the handlers are expected to start within ``prefetch_seconds``, judged by
    their average duration (none until a first handler has finished). While messages flow, up
    to ``MAX_RECEIVES_IN_FLIGHT`` receives run at once, on one client, together asking for no
    more than that: as many as bring messages sooner (see ``ReceiveParallelism``). Receives are
    narrowed to one message while a FIFO group's failed head is away (see ``FifoGroups``).
    While the worker is paused for a deploy, or ECS refused task protection (see
    ``ProtectionKeeper``), it receives nothing.

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
        # A FIFO queue keeps one receive in flight: narrow receives after a failed head must
        # not run beside wide ones (see FifoGroups).
        self._pollers = 1 if config.is_fifo else MAX_RECEIVES_IN_FLIGHT
        self._parallelism = ReceiveParallelism(self._pollers)  # guarded by the worker lock
        self._keeper_lock = threading.Lock()
        # Guarded by the worker lock:
        self._reserved = 0  # messages the receives in flight asked for
        self._flowing = False  # the last receive brought messages
        self._round_trip_seconds = 0.0  # of receives that brought messages, on average

    def limit(self) -> int:
        """The most messages to hold or ask for: the handlers plus the prefetch.

        The prefetch is what the handlers are expected to start within ``prefetch_seconds``,
        at most one batch, or more batches (up to the receives allowed in flight) when the
        handlers would use them up within two receive round trips.
        """
        config = self._config
        average = self._pool.average_seconds
        if average is None or config.prefetch_seconds <= 0:
            return config.concurrency
        rate = config.concurrency / max(average, 1e-4)
        expected = rate * config.prefetch_seconds
        batches = math.ceil(rate * 2 * self._round_trip_seconds / contract.SQS_MAX_BATCH_SIZE)
        cap = contract.SQS_MAX_BATCH_SIZE * max(1, min(self._parallelism.allowed, batches))
        return config.concurrency + min(cap, int(expected))

    def run(self, visibility: int) -> None:
        """Receive until the worker drains or stops; an unexpected error stops the worker.

        Starts the other receive loops and returns once all of them have ended.
        """
        others = [
            threading.Thread(
                target=self._run_one, args=(visibility, n), name=f"sqs-receiver-{n}", daemon=True
            )
            for n in range(1, self._pollers)
        ]
        for thread in others:
            thread.start()
        self._run_one(visibility, 0)
        for thread in others:
            thread.join()

    def _run_one(self, visibility: int, index: int) -> None:
        try:
            self._receive_until_over(visibility, index)
        except Exception:
            logger.exception("the receive loop failed; stopping")
            self._lifecycle.stop()

    def _receive_until_over(self, visibility: int, index: int) -> None:
        lifecycle = self._lifecycle
        over = lifecycle.receiving_over
        held = self._holdings
        first = index == 0  # the one that always polls; the others only while messages flow
        failures = 0
        while not over.is_set():
            if first and self._policy_says_stop():
                break
            if lifecycle.paused:
                self._wait_out_deploy_drain_pause(first)
                continue
            if not first and not self._wait_for_flow(index):  # and for protection
                continue
            if self._keeper.refused:
                if not first:
                    over.wait(0.5)
                    continue
                with self._keeper_lock:
                    if not self._keeper.try_again():
                        continue
            wanted = self._reserve(full_batch=not first)
            if wanted == 0:
                break
            with held.lock:
                # Checked and opened under the worker lock, where a pause, drain or stop is set:
                # a hand-back after it sees every receive that may still bring its messages.
                if lifecycle.paused or over.is_set():  # while it waited for room: receive nothing
                    self._reserved -= wanted
                    held.changed.notify_all()
                    continue
                if self._fifo.narrow():
                    self._reserved -= wanted - 1
                    wanted = 1
                started = time.monotonic()
                token = self._window.open(started + self._config.poll_wait_seconds + 1.0)
                in_flight = self._window.count()
            try:
                response = self._sqs.receive_message(
                    QueueUrl=self._config.queue_url,
                    MaxNumberOfMessages=wanted,
                    WaitTimeSeconds=self._config.poll_wait_seconds,
                    MessageAttributeNames=["All"],
                    **{self._attributes_parameter: ["All"]},
                )
            except SQS_ERRORS as error:
                self._received(token, wanted, in_flight, [])
                failures += 1
                self._backoff.wait("ReceiveMessage", failures, error, logging.WARNING)
                continue
            failures = 0
            raw = response.get("Messages") or []
            jobs = [
                Job(Message.from_sqs(item), received_at=started, visible_until=started + visibility)
                for item in raw
            ]
            self._received(token, wanted, in_flight, jobs, time.monotonic() - started)
            if not jobs:
                if first and held.idle_seconds() > 0:
                    with self._keeper_lock:
                        self._keeper.release()
                over.wait(MIN_EMPTY_RECEIVE_SECONDS - (time.monotonic() - started))
                continue
            self._stats.add("received", len(jobs))
            if over.is_set():
                self._releaser.give_back(jobs, "stopping" if lifecycle.stopping else "draining")
                break
            if lifecycle.paused:
                self._releaser.give_back(jobs, "paused")
                continue
            with self._keeper_lock:
                self._keeper.after_receive(len(jobs))
            self._pool.dispatch(jobs)

    def _policy_says_stop(self) -> bool:
        idle = self._holdings.idle_seconds()
        if not self._shutdown_policy.should_stop(
            idle_seconds=idle, processed=self._stats.processed
        ):
            return False
        logger.info("shutdown policy says stop", extra={"policy": repr(self._shutdown_policy)})
        self._lifecycle.stop()
        return True

    def _received(
        self,
        token: int,
        wanted: int,
        in_flight: int,
        jobs: list[Job],
        seconds: float | None = None,
    ) -> None:
        """A receive returned: its room is held by ``jobs`` now, or free again.

        ``in_flight`` is how many receives were in flight when it was sent, itself included.
        """
        self._window.close(token)
        self._releaser.receive_returned()
        held = self._holdings
        with held.lock:
            self._reserved -= wanted
            if jobs:
                held.add(jobs)  # under the same lock: the room passes from reserved to held
                assert seconds is not None
                self._flowing = True
                self._round_trip_seconds += (seconds - self._round_trip_seconds) * RTT_WEIGHT
                full = wanted == len(jobs) == contract.SQS_MAX_BATCH_SIZE
                self._parallelism.returned(in_flight, seconds, full)
            elif seconds is not None:
                self._flowing = False
            held.changed.notify_all()

    def _wait_for_flow(self, index: int) -> bool:
        """Wait while the queue seems empty, protection is not had or loop ``index`` may not run.

        Loop ``index`` runs while the receives allowed in flight (see ``ReceiveParallelism``)
        are more than ``index``; True once all three hold. Meanwhile the first loop alone
        receives, so an empty queue costs one receive at a time and a refused protection stops
        every loop from receiving.
        """
        held = self._holdings
        over = self._lifecycle.receiving_over
        with held.lock:
            if not self._may_receive(index):
                held.changed.wait(timeout=1.0)
            return self._may_receive(index) and not over.is_set()

    def _may_receive(self, index: int) -> bool:
        return self._flowing and self._keeper.granted and index < self._parallelism.allowed

    def _wait_out_deploy_drain_pause(self, first: bool) -> None:
        """Receive nothing during the deploy drain's pause; release protection once nothing runs."""
        lifecycle = self._lifecycle
        held = self._holdings
        released = not first
        while lifecycle.paused and not lifecycle.receiving_over.is_set():
            with held.lock:
                if released or held.active > 0:
                    held.changed.wait(timeout=1.0)
                    continue
            released = True
            with self._keeper_lock:
                self._keeper.release()

    def _reserve(self, full_batch: bool) -> int:
        """Wait for room, then briefly for a fuller batch; reserve it; 0 once receiving is over.

        Room is what ``limit()`` leaves beside the held messages and those the receives in
        flight asked for, so the receives together never bring more than the limit. With
        ``full_batch`` (every loop but the first), or while another receive is in flight, it
        waits for room for a full batch: a second receive is worth its request only then (the
        one in flight is about to feed the handlers).
        """
        held = self._holdings
        over = self._lifecycle.receiving_over
        concurrency = self._config.concurrency
        batch = contract.SQS_MAX_BATCH_SIZE
        with held.lock:
            while not over.is_set():
                limit = self.limit()
                taken = held.active + self._reserved
                # While received messages still wait for a handler, there is no hurry: receive
                # again once half of the prefetch is used up, rather than one message at a time.
                if (
                    taken >= limit
                    or ((full_batch or self._reserved > 0) and limit - taken < min(batch, limit))
                    or (
                        held.active > concurrency and limit - taken < (limit - concurrency + 1) // 2
                    )
                ):
                    held.changed.wait(timeout=1.0)
                    continue
                break
            deadline = time.monotonic() + self._config.batch_fill_seconds
            while (
                0 < self.limit() - held.active - self._reserved < min(batch, self.limit())
                and held.active + self._reserved > 0
                and not over.is_set()
                and (left := deadline - time.monotonic()) > 0
            ):
                held.changed.wait(timeout=left)
            if over.is_set():
                return 0
            wanted = max(1, min(batch, self.limit() - held.active - self._reserved))
            self._reserved += wanted
            return wanted

    def __repr__(self) -> str:
        return (
            f"Receiver(queue_url={self._config.queue_url!r}, pollers={self._pollers}, "
            f"{self._parallelism!r})"
        )
