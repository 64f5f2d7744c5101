"""``Worker``: receive, run the handler, delete or retry, and shut down without losing work.

The ``Worker`` is the public face; each part owns its state and gets only the collaborators it
needs: the ``Lifecycle`` (phases and the lock order), the ``Receiver`` (the receive loop), the
``HandlerPool`` (threads and the ``Delivery``), the ``Settler`` (delete or delay), the
``Releaser`` (hand back), the ``Heartbeat`` and the ``Deleter``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from sqs_scale_to_zero.worker.bounded import call_within
from sqs_scale_to_zero.worker.client import make_sqs_client
from sqs_scale_to_zero.worker.config import ConfigurationError, WorkerConfig
from sqs_scale_to_zero.worker.delivery import Delivery
from sqs_scale_to_zero.worker.deploy_drain import DeployDrainWatch, EcsDeployDrainWatch
from sqs_scale_to_zero.worker.draining import finish_drain
from sqs_scale_to_zero.worker.handlers import FunctionDelivery, Handler
from sqs_scale_to_zero.worker.inflight import JobState
from sqs_scale_to_zero.worker.parts import WorkerParts
from sqs_scale_to_zero.worker.policies import (
    BackoffPolicy,
    ExponentialBackoff,
    NeverShutdown,
    ShutdownPolicy,
)
from sqs_scale_to_zero.worker.protection import (
    EcsAgentTaskProtection,
    NoTaskProtection,
    TaskProtection,
)
from sqs_scale_to_zero.worker.shutdown import (
    RECEIVE_DRAIN_SECONDS,
    RELEASE_BUDGET_SECONDS,
    log_stopped,
    wait_for_handlers,
)
from sqs_scale_to_zero.worker.signals import STOP_SIGNALS
from sqs_scale_to_zero.worker.startup import read_visibility_timeout
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")

__all__ = ["ConfigurationError", "Handler", "Worker"]


class Worker:
    """Consume an SQS queue, running ``handler`` on each message.

    ``run()`` blocks until ``stop()``, SIGTERM or SIGINT (when called on the main thread), or
    until ``shutdown_policy`` says so. A handler that returns has its message deleted; one
    that raises leaves it for a retry after a backoff (``RetryLater`` chooses the delay), and
    the queue's redrive policy moves it to the dead-letter queue after ``max_receive_count``
    deliveries (``DeadLetter`` moves it at once). While a handler runs, the message's
    visibility is extended; on shutdown, unfinished messages are released for another task
    (visible at once, or once this worker's receives in flight have returned, see
    ``releasing.py``). An ``async def`` handler is awaited on its thread's own event loop. After a
    deploy has replaced the task's task definition, ``deployment_watch`` makes the worker pause
    and then drain (see ``pause_receiving()`` and ``drain()``).

    How a message reaches your code is a ``Delivery`` (see :mod:`.delivery`): a handler function
    is called by ``FunctionDelivery``; another delivery (an HTTP POST, say) takes its place.

    Args:
        handler: Called with each ``Message``, on one of ``concurrency`` threads; or a
            ``Delivery``, whose ``deliver`` is called instead. Required.
        queue_url: The queue. Default: ``$QUEUE_URL``.
        concurrency: Handlers running at once. Default: ``1``.
        poll_wait_seconds: Long-poll wait of ``ReceiveMessage``, 0..20; clamped to
            ``shutdown_grace_seconds``. Default: ``20``.
        visibility_timeout_seconds: The queue's visibility timeout, the unit of heartbeat
            extensions; checked against the queue's attribute at start (the attribute wins).
            Default: ``$SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS``, else read with
            ``GetQueueAttributes``.
        heartbeat_interval_seconds: Time between visibility checks, at most half the
            visibility timeout. Default: a quarter of the visibility timeout, between 0.5 and
            60 seconds.
        shutdown_grace_seconds: After a stop request, how long running handlers may go on
            before their messages are released. Default: ``$SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS``,
            else ``25``.
        batch_fill_seconds: When only some handlers are free, how long to wait for more to
            finish so that the next receive asks for a fuller batch. Default: ``0.05``.
        prefetch_seconds: Receive ahead the messages the handlers are expected to start within
            this many seconds (by their average duration; up to 10 beyond ``concurrency`` for
            each receive in flight, see ``receiving.py``); extra messages wait with their
            visibility extended. ``0`` receives only for free handlers. Default: ``1.0``.
        dead_letter_queue_url: Where ``raise DeadLetter(reason)`` sends a message (see
            :mod:`.dead_letters`). Default: ``$SCALE_TO_ZERO_DEAD_LETTER_QUEUE_URL``, else none.
        retry_backoff: Visibility delay after a handler raises, by receive count. Default:
            ``ExponentialBackoff(initial_seconds=5, maximum_seconds=900, jitter=0.2)``.
        error_backoff: Pause after SQS errors or failed task protection, by consecutive
            failures. Default: ``ExponentialBackoff(initial_seconds=1, maximum_seconds=30)``.
        shutdown_policy: Lets the worker stop by itself. Default: ``NeverShutdown()``.
        task_protection: ECS scale-in protection. Default: ``EcsAgentTaskProtection`` when
            ``$ECS_AGENT_URI`` is set and ``$SCALE_TO_ZERO_TASK_PROTECTION`` is not
            ``"disabled"``, else ``NoTaskProtection()``.
        deployment_watch: The deploy drain's watch (named for what it watches, as in the
            "worker starting" log line): calls ``pause_receiving()`` once a deploy has made
            this task outdated, and ``drain()`` once the new deployment runs a task.
            Default: ``EcsDeployDrainWatch`` when ``$SCALE_TO_ZERO_DEPLOY_STACK``,
            ``$SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE`` and ``$ECS_CONTAINER_METADATA_URI_V4``
            are set, else ``NoDeployDrainWatch`` (see ``sqs_scale_to_zero.worker.deploy_drain``).
        session: The boto3 session the SQS client is made from. Default: boto3's default
            session (standard AWS SDK configuration, including ``AWS_ENDPOINT_URL_SQS``).
        sqs_client: A ready SQS client, instead of ``session``. Default: one made from
            ``session`` with the worker's timeouts and retries (see ``client.py``).
        environ: Where the environment contract is read. Default: ``os.environ``.
        config: A ready ``WorkerConfig``, instead of the settings arguments above (from
            ``queue_url`` to ``dead_letter_queue_url``). Default: built from them and ``environ``.

    Raises:
        ConfigurationError: No queue URL, or a setting of the wrong type, not finite or out of
            range (the message names it); a ``ValueError``.
        TypeError: ``handler`` is not callable, or is a generator function.

    Attributes:
        config: The checked settings (``WorkerConfig``).
        stats: The worker's counters (``WorkerStats``), logged when ``run()`` returns.
        visibility_timeout_seconds: The visibility timeout in use; known once ``run()`` has
            read the queue's attribute.
    """

    def __init__(
        self,
        handler: Handler | Delivery,
        queue_url: str | None = None,
        concurrency: int | None = None,
        *,
        poll_wait_seconds: float | None = None,
        visibility_timeout_seconds: int | None = None,
        heartbeat_interval_seconds: float | None = None,
        shutdown_grace_seconds: float | None = None,
        batch_fill_seconds: float | None = None,
        prefetch_seconds: float | None = None,
        dead_letter_queue_url: str | None = None,
        retry_backoff: BackoffPolicy | None = None,
        error_backoff: BackoffPolicy | None = None,
        shutdown_policy: ShutdownPolicy | None = None,
        task_protection: TaskProtection | None = None,
        deployment_watch: DeployDrainWatch | None = None,
        session: Any = None,
        sqs_client: Any = None,
        environ: Mapping[str, str] | None = None,
        config: WorkerConfig | None = None,
    ) -> None:
        delivery = handler if isinstance(handler, Delivery) else FunctionDelivery(handler)
        settings: dict[str, Any] = {
            "queue_url": queue_url,
            "concurrency": concurrency,
            "poll_wait_seconds": poll_wait_seconds,
            "visibility_timeout_seconds": visibility_timeout_seconds,
            "heartbeat_interval_seconds": heartbeat_interval_seconds,
            "shutdown_grace_seconds": shutdown_grace_seconds,
            "batch_fill_seconds": batch_fill_seconds,
            "prefetch_seconds": prefetch_seconds,
            "dead_letter_queue_url": dead_letter_queue_url,
        }
        if config is None:
            env = os.environ if environ is None else environ
            config = WorkerConfig.from_environment(env, **settings)
        elif given := sorted(name for name, value in settings.items() if value is not None):
            raise ConfigurationError(f"pass config= or {', '.join(given)}, not both")
        self.config = config
        self.handler = handler
        self.retry_backoff = retry_backoff or ExponentialBackoff(5, 900, jitter=0.2)
        self.error_backoff = error_backoff or ExponentialBackoff(1, 30)
        self.shutdown_policy = shutdown_policy or NeverShutdown()
        if task_protection is None:
            agent = config.ecs_agent_uri
            task_protection = EcsAgentTaskProtection(agent) if agent else NoTaskProtection()
        self.task_protection = task_protection
        self.stats = WorkerStats()
        self.deployment_watch = deployment_watch or EcsDeployDrainWatch.from_config(
            config, session, self.stats
        )
        self.visibility_timeout_seconds = config.visibility_timeout_seconds
        self._ran = False
        self._sqs = sqs_client or make_sqs_client(config.poll_wait_seconds, session, self.queue_url)
        self._parts = WorkerParts.assemble(
            delivery,
            config,
            sqs=self._sqs,
            stats=self.stats,
            retry_backoff=self.retry_backoff,
            error_backoff=self.error_backoff,
            task_protection=task_protection,
            shutdown_policy=self.shutdown_policy,
        )

    # -- public -------------------------------------------------------------------------------

    @property
    def queue_url(self) -> str:
        """The queue's URL."""
        return self.config.queue_url

    @property
    def concurrency(self) -> int:
        """Handlers running at once."""
        return self.config.concurrency

    @property
    def is_fifo(self) -> bool:
        """True for a FIFO queue."""
        return self.config.is_fifo

    @property
    def delivery(self) -> Delivery:
        """How each message reaches your code (``FunctionDelivery`` for a handler function)."""
        return self._parts.pool.delivery

    def stop(self) -> None:
        """Ask ``run()`` to stop gracefully. Thread-safe and safe in a signal handler.

        ``run()`` then hands back what has not started, gives running handlers the grace
        period, and returns.
        """
        self._parts.lifecycle.stop()

    def pause_receiving(self, reason: object = "asked to") -> None:
        """Receive nothing until ``resume_receiving()``; hand back what has not started.

        What an outdated task does while the new deployment has no running task yet: running
        handlers go on, messages a receive in flight returns are handed back, and task
        protection is released once nothing runs. Thread-safe; a second pause does nothing.

        Args:
            reason: Why, for the log. Default: ``"asked to"``.
        """
        with self._parts.holdings.lock:
            if not self._parts.lifecycle.pause():
                return
            waiting = self._parts.pool.take_waiting()
        logger.info(
            "pausing: %s; receiving nothing until resumed, handing back %d not started",
            reason,
            len(waiting),
            extra={"pause_reason": str(reason), "handed_back": len(waiting)},
        )
        self._parts.releaser.give_back(waiting, "paused")

    def resume_receiving(self, reason: object = "asked to") -> None:
        """Receive again after ``pause_receiving()``. Thread-safe.

        Args:
            reason: Why, for the log. Default: ``"asked to"``.
        """
        if self._parts.lifecycle.resume():
            logger.info("receiving again: %s", reason, extra={"resume_reason": str(reason)})

    @property
    def paused(self) -> bool:
        """True while ``pause_receiving()`` holds off receiving."""
        return self._parts.lifecycle.paused

    def drain(self, reason: object = "asked to") -> None:
        """Receive nothing more, and return from ``run()`` once the running handlers are done.

        What an outdated task does after a deploy: messages received but not started are handed
        back at once (see the class), running ones finish (still extended) however long they take, then the
        worker shuts down as after ``stop()``. A ``stop()`` or SIGTERM during the drain is an
        ordinary stop (the grace period applies). Thread-safe; a drain after ``stop()`` or a
        second drain does nothing.

        Args:
            reason: Why, for the log (``deployment.Outdated`` names both task definitions).
                Default: ``"asked to"``.
        """
        self._parts.lifecycle.drain(str(reason))

    def run(self) -> None:
        """Consume until stopped; see the class docstring. Returns after a graceful shutdown.

        If the visibility timeout must be read with ``GetQueueAttributes`` and SQS fails, the
        worker logs the error and retries with ``error_backoff`` until it succeeds or is
        stopped: a misconfigured or unreachable queue never becomes a crash loop.

        Raises:
            RuntimeError: ``run()`` was called before on this ``Worker``; make a new one.
            ConfigurationError: The heartbeat interval is above half the queue's visibility
                timeout; raised before any message is received.
        """
        with self._parts.holdings.lock:
            if self._ran:
                raise RuntimeError("a Worker runs once: create a new Worker to run again")
            self._ran = True
            self._parts.holdings.idle_since = time.monotonic()
        owns_signals = not STOP_SIGNALS.installed
        STOP_SIGNALS.install()  # a no-op off the main thread
        unlisten = STOP_SIGNALS.on_stop(self._on_signal) if STOP_SIGNALS.installed else None
        try:
            self._run()
        finally:
            if unlisten is not None:
                unlisten()
            if owns_signals:
                STOP_SIGNALS.restore()

    # -- running ------------------------------------------------------------------------------

    def _run(self) -> None:
        lifecycle = self._parts.lifecycle
        visibility = read_visibility_timeout(self._sqs, self.config, lifecycle, self._parts.backoff)
        if visibility is None:  # stopped before SQS answered
            logger.info("worker stopped", extra=self.stats.as_dict())
            return
        interval = self.config.heartbeat_interval(visibility)
        self.visibility_timeout_seconds = visibility
        self._parts.settler.visibility_timeout_seconds = visibility
        self._log_start(visibility, interval)
        self._parts.pool.start()
        self._parts.deleter.start()
        self._parts.heartbeat.start(visibility, interval)
        receiving = threading.Thread(
            target=self._parts.receiver.run, args=(visibility,), name="sqs-receiver", daemon=True
        )
        receiving.start()
        self.deployment_watch.start(self, lifecycle.receiving_over)
        while receiving.is_alive() and not lifecycle.wait_receiving_over(0.5):
            pass
        if lifecycle.drain_reason is not None and not lifecycle.stopping:
            finish_drain(
                lifecycle.drain_reason,
                lifecycle=lifecycle,
                holdings=self._parts.holdings,
                pool=self._parts.pool,
                releaser=self._parts.releaser,
                stats=self.stats,
                receiving=receiving,
            )
        self._shut_down(receiving, visibility)

    def _shut_down(self, receiving: threading.Thread, visibility: int) -> None:
        """Stop in order, every step bounded so that the worker exits before ECS's SIGKILL.

        The order matters. What has not started is handed back first, so that another task can
        start it at once rather than after a visibility timeout. The running handlers then get
        the grace period, still extended by the heartbeat, and whatever still runs is handed
        back. The receive in flight gets a moment (the receive loop hands back what it
        returns). Only then do the handler threads end, and the deleter makes the deletes they
        queued. The heartbeat stops after the deletes and releases, since until then held
        messages must stay invisible; task protection is released last, since until then ECS
        must not scale the task in.
        """
        lifecycle = self._parts.lifecycle
        lifecycle.stop()
        assert lifecycle.stop_requested_at is not None
        grace = self.config.shutdown_grace_seconds
        deadline = lifecycle.stop_requested_at + grace
        last_call = deadline + RELEASE_BUDGET_SECONDS
        release = self._parts.releaser.give_back_within
        waiting = self._parts.pool.take_waiting()
        unreleased = release(waiting, "shutting down before it started", last_call)
        unfinished = wait_for_handlers(self._parts.holdings, deadline, grace)
        unreleased += release(unfinished, "grace period over", last_call)
        receive_until = min(last_call, time.monotonic() + RECEIVE_DRAIN_SECONDS)
        receiving.join(timeout=max(0.0, receive_until - time.monotonic()))
        self._parts.pool.stop()
        undeleted = self._parts.deleter.close(timeout=max(0.5, last_call - time.monotonic()))
        self._parts.heartbeat.stop(timeout=max(0.0, last_call - time.monotonic()))
        call_within(last_call - time.monotonic(), self.task_protection.release, "ecs-protection")
        log_stopped(self.stats, unreleased, undeleted, receiving.is_alive(), visibility)

    def _log_start(self, visibility: int, interval: float) -> None:
        logger.info(
            "worker starting",
            extra={
                **self.config.log_fields(),
                "visibility_timeout_seconds": visibility,
                "heartbeat_interval_seconds": interval,
                "retry_backoff": repr(self.retry_backoff),
                "error_backoff": repr(self.error_backoff),
                "shutdown_policy": repr(self.shutdown_policy),
                "task_protection": repr(self.task_protection),
                "deployment_watch": repr(self.deployment_watch),
            },
        )

    def _on_signal(self, name: str) -> None:
        running = len(self._parts.holdings.snapshot(JobState.RUNNING))
        logger.info(
            "received %s; stopping: %d running message(s) may finish within %g s%s",
            name,
            running,
            self.config.shutdown_grace_seconds,
            "; press Ctrl-C again to exit at once" if name == "SIGINT" else "",
        )
        self.stop()

    def __repr__(self) -> str:
        return (
            f"Worker(handler={getattr(self.handler, '__qualname__', self.handler)!r}, "
            f"queue_url={self.queue_url!r}, concurrency={self.concurrency})"
        )
