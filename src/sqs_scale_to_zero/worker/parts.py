"""The parts of a ``Worker``, wired together in one place, each given only what it works with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqs_scale_to_zero.worker.config import WorkerConfig
from sqs_scale_to_zero.worker.dead_letters import DeadLetters
from sqs_scale_to_zero.worker.deletes import LINGER_SECONDS, Deleter
from sqs_scale_to_zero.worker.delivery import Delivery
from sqs_scale_to_zero.worker.error_backoff import ErrorBackoff
from sqs_scale_to_zero.worker.fifo import FifoGroups
from sqs_scale_to_zero.worker.inflight import Holdings
from sqs_scale_to_zero.worker.lifecycle import Lifecycle
from sqs_scale_to_zero.worker.policies import BackoffPolicy, ShutdownPolicy
from sqs_scale_to_zero.worker.pool import HandlerPool
from sqs_scale_to_zero.worker.protecting import ProtectionKeeper
from sqs_scale_to_zero.worker.protection import TaskProtection
from sqs_scale_to_zero.worker.receive_window import ReceiveWindow
from sqs_scale_to_zero.worker.receiving import Receiver
from sqs_scale_to_zero.worker.releasing import Releaser
from sqs_scale_to_zero.worker.settling import Settler
from sqs_scale_to_zero.worker.stats import WorkerStats
from sqs_scale_to_zero.worker.visibility import Heartbeat


@dataclass(frozen=True)
class WorkerParts:
    """What a ``Worker`` is made of (see each class); built by ``assemble``.

    Attributes:
        lifecycle: The phase, and the worker lock.
        holdings: The jobs held.
        fifo: The FIFO groups.
        backoff: The wait after a failed SQS call.
        releaser: Hands messages back; owns the visibility lock.
        heartbeat: Extends the visibility of held messages.
        deleter: Deletes finished messages.
        settler: Deletes or delays a delivered message.
        pool: The handler threads and the ``Delivery``.
        receiver: The receive loop.
    """

    lifecycle: Lifecycle
    holdings: Holdings
    fifo: FifoGroups
    backoff: ErrorBackoff
    releaser: Releaser
    heartbeat: Heartbeat
    deleter: Deleter
    settler: Settler
    pool: HandlerPool
    receiver: Receiver

    @classmethod
    def assemble(
        cls,
        delivery: Delivery,
        config: WorkerConfig,
        *,
        sqs: Any,
        stats: WorkerStats,
        retry_backoff: BackoffPolicy,
        error_backoff: BackoffPolicy,
        task_protection: TaskProtection,
        shutdown_policy: ShutdownPolicy,
    ) -> WorkerParts:
        """Build and wire the parts of a worker for ``config`` (the arguments are ``Worker``'s)."""
        queue_url = config.queue_url
        lifecycle = Lifecycle()
        holdings = Holdings(lifecycle.changed)
        fifo = FifoGroups()
        backoff = ErrorBackoff(error_backoff, stats, lifecycle.receiving_over)
        window = ReceiveWindow()
        releaser = Releaser(sqs, queue_url, holdings, stats, window=window)
        heartbeat = Heartbeat(
            sqs, queue_url, holdings.snapshot, stats=stats, lock=releaser.visibility_lock
        )
        deleter = Deleter(
            sqs,
            queue_url,
            stats=stats,
            backoff=error_backoff,
            on_done=holdings.forget,
            linger_seconds=0.0 if config.is_fifo else LINGER_SECONDS,
            busy=lambda: holdings.active > 0,
        )
        settler = Settler(
            holdings=holdings,
            fifo=fifo,
            releaser=releaser,
            deleter=deleter,
            dead_letters=DeadLetters(sqs, config.dead_letter_queue_url, stats),
            stats=stats,
            retry_backoff=retry_backoff,
            poll_wait_seconds=config.poll_wait_seconds,
            window=window,
        )
        pool = HandlerPool(
            delivery, config.concurrency, holdings=holdings, fifo=fifo, settle=settler.settle
        )
        receiver = Receiver(
            sqs,
            config,
            lifecycle=lifecycle,
            holdings=holdings,
            fifo=fifo,
            pool=pool,
            releaser=releaser,
            keeper=ProtectionKeeper(task_protection, error_backoff, lifecycle.receiving_over),
            shutdown_policy=shutdown_policy,
            stats=stats,
            backoff=backoff,
            window=window,
        )
        return cls(
            lifecycle,
            holdings,
            fifo,
            backoff,
            releaser,
            heartbeat,
            deleter,
            settler,
            pool,
            receiver,
        )
