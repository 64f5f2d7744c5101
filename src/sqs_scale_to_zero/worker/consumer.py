"""``Worker``: receive, run the handler, delete or retry, and shut down without losing work."""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

from sqs_scale_to_zero.worker.client import make_sqs_client
from sqs_scale_to_zero.worker.config import ConfigurationError, WorkerConfig
from sqs_scale_to_zero.worker.deletes import Deleter
from sqs_scale_to_zero.worker.deployment import DeploymentWatch, EcsDeploymentWatch
from sqs_scale_to_zero.worker.draining import finish_drain, pause, request_drain, resume
from sqs_scale_to_zero.worker.fifo import FifoGroups
from sqs_scale_to_zero.worker.handlers import Handler, HandlerRunner, check_handler, log_outcome
from sqs_scale_to_zero.worker.inflight import Holdings, Job, JobState
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
from sqs_scale_to_zero.worker.receiving import Receiver
from sqs_scale_to_zero.worker.shutdown import shut_down
from sqs_scale_to_zero.worker.signals import STOP_SIGNALS
from sqs_scale_to_zero.worker.startup import read_visibility_timeout
from sqs_scale_to_zero.worker.stats import WorkerStats
from sqs_scale_to_zero.worker.visibility import Heartbeat, change_visibility, release

logger = logging.getLogger("sqs_scale_to_zero.worker")

__all__ = ["ConfigurationError", "Handler", "Worker"]


class Worker:
    """Consume an SQS queue, running ``handler`` on each message.

    ``run()`` blocks until ``stop()``, SIGTERM or SIGINT (when called on the main thread), or
    until ``shutdown_policy`` says so. A handler that returns has its message deleted; one
    that raises leaves it for a retry after a backoff (``RetryLater`` chooses the delay), and
    the queue's redrive policy moves it to the dead-letter queue after ``max_receive_count``
    deliveries. While a handler runs, the message's visibility is extended; on shutdown,
    unfinished messages are released (visibility 0) for another task. An ``async def``
    handler is awaited on its thread's own event loop. After a deploy has replaced the task's
    task definition, ``deployment_watch`` makes the worker pause and then drain (see
    ``pause_receiving()`` and ``drain()``).

    Args:
        handler: Called with each ``Message``, on one of ``concurrency`` threads.
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
            this many seconds (by their average duration, up to 10 beyond ``concurrency``);
            extra messages wait with their visibility extended. ``0`` receives only for free
            handlers. Default: ``1.0``.
        retry_backoff: Visibility delay after a handler raises, by receive count. Default:
            ``ExponentialBackoff(initial_seconds=5, maximum_seconds=900, jitter=0.2)``.
        error_backoff: Pause after SQS errors or failed task protection, by consecutive
            failures. Default: ``ExponentialBackoff(initial_seconds=1, maximum_seconds=30)``.
        shutdown_policy: Lets the worker stop by itself. Default: ``NeverShutdown()``.
        task_protection: ECS scale-in protection. Default: ``EcsAgentTaskProtection`` when
            ``$ECS_AGENT_URI`` is set and ``$SCALE_TO_ZERO_TASK_PROTECTION`` is not
            ``"disabled"``, else ``NoTaskProtection()``.
        deployment_watch: Calls ``pause_receiving()`` once a deploy has made this task
            outdated, and ``drain()`` once the new deployment runs a task.
            Default: ``EcsDeploymentWatch`` when ``$SCALE_TO_ZERO_DEPLOY_STACK``,
            ``$SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE`` and ``$ECS_CONTAINER_METADATA_URI_V4``
            are set, else ``NoDeploymentWatch`` (see ``sqs_scale_to_zero.worker.deployment``).
        session: The boto3 session the SQS client is made from. Default: boto3's default
            session (standard AWS SDK configuration, including ``AWS_ENDPOINT_URL_SQS``).
        sqs_client: A ready SQS client, instead of ``session``. Default: one made from
            ``session`` with the worker's timeouts and retries (see ``client.py``).
        environ: Where the environment contract is read. Default: ``os.environ``.
        config: A ready ``WorkerConfig``, instead of the settings arguments above (from
            ``queue_url`` to ``prefetch_seconds``). Default: built from them and ``environ``.

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
        handler: Handler,
        queue_url: str | None = None,
        concurrency: int | None = None,
        *,
        poll_wait_seconds: float | None = None,
        visibility_timeout_seconds: int | None = None,
        heartbeat_interval_seconds: float | None = None,
        shutdown_grace_seconds: float | None = None,
        batch_fill_seconds: float | None = None,
        prefetch_seconds: float | None = None,
        retry_backoff: BackoffPolicy | None = None,
        error_backoff: BackoffPolicy | None = None,
        shutdown_policy: ShutdownPolicy | None = None,
        task_protection: TaskProtection | None = None,
        deployment_watch: DeploymentWatch | None = None,
        session: Any = None,
        sqs_client: Any = None,
        environ: Mapping[str, str] | None = None,
        config: WorkerConfig | None = None,
    ) -> None:
        check_handler(handler)
        settings: dict[str, Any] = {
            "queue_url": queue_url,
            "concurrency": concurrency,
            "poll_wait_seconds": poll_wait_seconds,
            "visibility_timeout_seconds": visibility_timeout_seconds,
            "heartbeat_interval_seconds": heartbeat_interval_seconds,
            "shutdown_grace_seconds": shutdown_grace_seconds,
            "batch_fill_seconds": batch_fill_seconds,
            "prefetch_seconds": prefetch_seconds,
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
        self.deployment_watch = deployment_watch or EcsDeploymentWatch.from_config(
            config, session, self.stats
        )
        self.visibility_timeout_seconds = config.visibility_timeout_seconds
        self._sqs = sqs_client or make_sqs_client(config.poll_wait_seconds, session, self.queue_url)
        self._held = Holdings()
        self._fifo = FifoGroups()
        self._ready: queue.Queue[Job | None] = queue.Queue()
        # Serializes visibility changes of held messages (heartbeat vs release/retry delay);
        # always taken before the holdings' lock, never while holding it.
        self._visibility_lock = threading.Lock()
        self._stop = threading.Event()
        # Set by stop() and by drain(): the receive loop ends, nothing more is received.
        self._quit_receiving = threading.Event()
        # Set while a newer deployment exists that runs no task yet: nothing is received.
        self._deploy_pause = threading.Event()
        self._drain_reason: str | None = None
        self._stop_requested_at: float | None = None
        self._ran = False
        self._runner = HandlerRunner(handler, self.retry_backoff)
        self._heartbeat = Heartbeat(
            self._sqs,
            self.queue_url,
            self._held.snapshot,
            stats=self.stats,
            lock=self._visibility_lock,
        )
        self._deleter = Deleter(
            self._sqs,
            self.queue_url,
            stats=self.stats,
            backoff=self.error_backoff,
            on_done=self._held.forget,
        )
        self._receiver = Receiver(self)

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

    def stop(self) -> None:
        """Ask ``run()`` to stop gracefully. Thread-safe and safe in a signal handler."""
        with self._held.lock:
            if self._stop_requested_at is None:
                self._stop_requested_at = time.monotonic()
            self._stop.set()
            self._quit_receiving.set()
            self._held.changed.notify_all()

    def pause_receiving(self, reason: object = "asked to") -> None:
        """Receive nothing until ``resume_receiving()``; hand back what has not started.

        What an outdated task does while the new deployment has no running task yet: running
        handlers go on, messages a receive in flight returns are handed back, and task
        protection is released once nothing runs. Thread-safe; a second pause does nothing.

        Args:
            reason: Why, for the log. Default: ``"asked to"``.
        """
        pause(self, reason)

    def resume_receiving(self, reason: object = "asked to") -> None:
        """Receive again after ``pause_receiving()``. Thread-safe.

        Args:
            reason: Why, for the log. Default: ``"asked to"``.
        """
        resume(self, reason)

    @property
    def paused(self) -> bool:
        """True while ``pause_receiving()`` holds off receiving."""
        return self._deploy_pause.is_set()

    def drain(self, reason: object = "asked to") -> None:
        """Receive nothing more, and return from ``run()`` once the running handlers are done.

        What an outdated task does after a deploy: messages received but not started are handed
        back at once, running ones finish (still extended) however long they take, then the
        worker shuts down as after ``stop()``. A ``stop()`` or SIGTERM during the drain is an
        ordinary stop (the grace period applies). Thread-safe; a drain after ``stop()`` or a
        second drain does nothing.

        Args:
            reason: Why, for the log (``deployment.Outdated`` names both task definitions).
                Default: ``"asked to"``.
        """
        request_drain(self, reason)

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
        with self._held.lock:
            if self._ran:
                raise RuntimeError("a Worker runs once: create a new Worker to run again")
            self._ran = True
            self._held.idle_since = time.monotonic()
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
        visibility = read_visibility_timeout(self)
        if visibility is None:  # stopped before SQS answered
            logger.info("worker stopped", extra=self.stats.as_dict())
            return
        interval = self.config.heartbeat_interval(visibility)
        self.visibility_timeout_seconds = visibility
        logger.info(
            "worker starting",
            extra={
                "queue_url": self.queue_url,
                "concurrency": self.concurrency,
                "fifo": self.is_fifo,
                "poll_wait_seconds": self.config.poll_wait_seconds,
                "visibility_timeout_seconds": visibility,
                "heartbeat_interval_seconds": interval,
                "shutdown_grace_seconds": self.config.shutdown_grace_seconds,
                "prefetch_seconds": self.config.prefetch_seconds,
                "retry_backoff": repr(self.retry_backoff),
                "error_backoff": repr(self.error_backoff),
                "shutdown_policy": repr(self.shutdown_policy),
                "task_protection": repr(self.task_protection),
                "deployment_watch": repr(self.deployment_watch),
            },
        )
        for n in range(self.concurrency):
            threading.Thread(
                target=self._run_handlers, name=f"sqs-handler-{n}", daemon=True
            ).start()
        self._deleter.start()
        self._heartbeat.start(visibility, interval)
        receiving = threading.Thread(
            target=self._receiver.run, args=(visibility,), name="sqs-receiver", daemon=True
        )
        receiving.start()
        self.deployment_watch.start(self, self._quit_receiving)
        while receiving.is_alive() and not self._quit_receiving.wait(0.5):
            pass
        if self._drain_reason is not None and not self._stop.is_set():
            finish_drain(self, receiving, self._drain_reason)
        shut_down(self, receiving, visibility)

    def back_off(self, operation: str, failures: int, error: Exception, level: int) -> bool:
        """Count and log a failed SQS call, wait ``error_backoff``; True if stopped or draining."""
        self.stats.add("sqs_errors")
        delay = self.error_backoff.delay(failures)
        logger.log(
            level,
            "%s failed (%d in a row), retrying in %.1f s: %s",
            operation,
            failures,
            delay,
            error,
            extra={"consecutive_failures": failures},
        )
        return self._quit_receiving.wait(delay)

    def dispatch(self, jobs: list[Job]) -> None:
        """Hand received jobs to the handler threads (FIFO: each group's first only)."""
        with self._held.lock:
            for job in jobs:
                if self._fifo.admit(job):
                    self._ready.put(job)

    # -- handling -----------------------------------------------------------------------------

    def _run_handlers(self) -> None:
        try:
            while True:
                job = self._ready.get()
                if job is None:
                    return
                with self._held.lock:
                    if job.state is not JobState.QUEUED:
                        continue  # released while it waited
                    job.state = JobState.RUNNING
                self._handle(job)
        finally:
            self._runner.close()

    def _handle(self, job: Job) -> None:
        outcome = self._runner.run(job.message)
        self._receiver.note_duration(outcome.duration_seconds)
        with self._held.lock:
            if job.state is not JobState.RUNNING:
                logger.warning(
                    "handler finished after its message was released", extra=outcome.fields
                )
                return
            job.state = JobState.FINISHING
            followers: list[Job] = []
            seconds: int | None = None
            if outcome.delay_seconds is None:
                upcoming = self._fifo.succeeded(job)
                if upcoming is not None:
                    self._ready.put(upcoming)
            else:
                now = time.monotonic()
                seconds = int(max(0, min(outcome.delay_seconds, job.remaining_cap(now))))
                if job.message.group_id is not None:
                    # A receive in flight must end before the head is visible again, or it
                    # could bring the head back together with the rest of its group.
                    seconds = max(seconds, math.ceil(self._receiver.in_flight_for(now)))
                    poll = self.config.poll_wait_seconds + 1.0
                    followers = self._fifo.failed(
                        job,
                        narrow_from=now + seconds - poll,
                        narrow_until=now + seconds + poll + (self.visibility_timeout_seconds or 0),
                    )
        log_outcome(outcome, seconds)
        if seconds is None:
            self.stats.add("succeeded")
            self._deleter.delete(job)
        else:
            self.stats.add("retried" if outcome.error is None else "failed")
            if followers:  # first, while the head still keeps its group locked
                self.give_back(followers, "an earlier message of its FIFO group failed")
            with self._visibility_lock:
                change_visibility(self._sqs, self.queue_url, [(job, seconds)], self.stats)
                self._held.forget(job)
        # Only now does the slot count as free: shutdown waits for no active job, and by then
        # the delete is queued (the deleter drains its queue before it stops) or the
        # visibility change is made, so no finished message is left invisible.
        self._held.free_slot()

    # -- handing back -------------------------------------------------------------------------

    def give_back(self, jobs: list[Job], reason: str) -> list[Job]:
        """Release ``jobs`` (visibility 0) and stop holding them; return those SQS refused."""
        with self._visibility_lock:
            mine = self._held.take_back(jobs)
            if not mine:
                return []
            logger.info("releasing %d message(s): %s", len(mine), reason)
            return release(self._sqs, self.queue_url, mine, self.stats)

    # -- shutdown -----------------------------------------------------------------------------

    def _on_signal(self, name: str) -> None:
        running = len(self._held.snapshot(JobState.RUNNING))
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
