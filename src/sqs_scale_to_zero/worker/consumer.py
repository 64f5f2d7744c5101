"""``Worker``: receive, run the handler, delete or retry, and shut down without losing work."""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import (
    SQS_ERRORS,
    make_sqs_client,
    system_attributes_parameter,
)
from sqs_scale_to_zero.worker.deletes import Deleter
from sqs_scale_to_zero.worker.inflight import Job, JobState
from sqs_scale_to_zero.worker.message import Message, RetryLater
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
from sqs_scale_to_zero.worker.stats import WorkerStats
from sqs_scale_to_zero.worker.visibility import (
    BATCH_SIZE,
    Heartbeat,
    change_visibility,
    release,
)

logger = logging.getLogger("sqs_scale_to_zero.worker")

Handler = Callable[[Message], object]
"""A handler takes one ``Message``; returning means success, raising means retry."""

DEFAULT_SHUTDOWN_GRACE_SECONDS = 25.0
"""Below ECS's default 30-second stop timeout, leaving time to release unfinished messages."""


class Worker:
    """Consume an SQS queue, running ``handler`` on each message.

    ``run()`` blocks until ``stop()``, SIGTERM or SIGINT (when called on the main thread), or
    until ``shutdown_policy`` says so. A handler that returns has its message deleted; one
    that raises leaves it for a retry after a backoff (``RetryLater`` chooses the delay), and
    the queue's redrive policy moves it to the dead-letter queue after ``max_receive_count``
    deliveries. While a handler runs, the message's visibility is extended; on shutdown,
    unfinished messages are released (visibility 0) for another task.

    Args:
        handler: Called with each ``Message``, on one of ``concurrency`` threads.
        queue_url: The queue. Default: ``$QUEUE_URL``.
        concurrency: Handlers running at once; the worker never holds more messages than
            this. Default: ``1``.
        poll_wait_seconds: Long-poll wait of ``ReceiveMessage``, 0..20; clamped to
            ``shutdown_grace_seconds`` so a poll in progress never outlasts the grace period.
            Default: ``20``.
        visibility_timeout_seconds: The queue's visibility timeout, the unit of heartbeat
            extensions. Default: ``$SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS``, else read with
            ``GetQueueAttributes``.
        heartbeat_interval_seconds: Time between visibility checks. Default: a quarter of the
            visibility timeout, between 0.5 and 60 seconds.
        shutdown_grace_seconds: After a stop request, how long running handlers may go on
            before their messages are released. Default: ``$SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS``,
            else ``25``.
        batch_fill_seconds: When only some handlers are free, how long to wait for more to
            finish so that the next receive asks for a fuller batch. Default: ``0.05``.
        retry_backoff: Visibility delay after a handler raises, by receive count. Default:
            ``ExponentialBackoff(initial_seconds=5, maximum_seconds=900, jitter=0.2)``.
        error_backoff: Pause after SQS errors or refused task protection, by consecutive
            failures. Default: ``ExponentialBackoff(initial_seconds=1, maximum_seconds=30)``.
        shutdown_policy: Lets the worker stop by itself. Default: ``NeverShutdown()``.
        task_protection: ECS scale-in protection. Default: ``EcsAgentTaskProtection`` when
            ``$ECS_AGENT_URI`` is set and ``$SCALE_TO_ZERO_TASK_PROTECTION`` is not
            ``"disabled"``, else ``NoTaskProtection()``.
        session: The boto3 session the SQS client is made from. Default: a new session
            (standard AWS SDK configuration, including ``AWS_ENDPOINT_URL_SQS``).
        sqs_client: A ready SQS client, instead of ``session``. Default: one made from
            ``session`` with the worker's timeouts and retries (see ``client.py``).
        environ: Where the environment contract is read. Default: ``os.environ``.

    Raises:
        ValueError: No queue URL, or an argument out of range (the message names it).
        TypeError: ``handler`` is not callable.

    Attributes:
        stats: The worker's counters (``WorkerStats``), logged when ``run()`` returns.
    """

    def __init__(
        self,
        handler: Handler,
        queue_url: str | None = None,
        concurrency: int = 1,
        *,
        poll_wait_seconds: float = 20,
        visibility_timeout_seconds: int | None = None,
        heartbeat_interval_seconds: float | None = None,
        shutdown_grace_seconds: float | None = None,
        batch_fill_seconds: float = 0.05,
        retry_backoff: BackoffPolicy | None = None,
        error_backoff: BackoffPolicy | None = None,
        shutdown_policy: ShutdownPolicy | None = None,
        task_protection: TaskProtection | None = None,
        session: Any = None,
        sqs_client: Any = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        if not callable(handler):
            raise TypeError("handler must be callable: pass a function taking one Message")
        self.handler = handler
        self.queue_url = queue_url or env.get(contract.QUEUE_URL, "")
        if not self.queue_url:
            raise ValueError(f"queue_url is required: pass queue_url= or set ${contract.QUEUE_URL}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1 (got {concurrency})")
        self.concurrency = concurrency
        if not 0 <= poll_wait_seconds <= 20:
            raise ValueError(
                f"poll_wait_seconds must be between 0 and 20 (got {poll_wait_seconds}): "
                "SQS long polls for at most 20 seconds"
            )
        if visibility_timeout_seconds is None and env.get(contract.VISIBILITY_TIMEOUT_SECONDS):
            visibility_timeout_seconds = int(_env_number(env, contract.VISIBILITY_TIMEOUT_SECONDS))
        if visibility_timeout_seconds is not None and not (
            1 <= visibility_timeout_seconds <= 43200
        ):
            raise ValueError(
                "visibility_timeout_seconds must be between 1 and 43200 "
                f"(got {visibility_timeout_seconds})"
            )
        self.visibility_timeout_seconds = (
            None if visibility_timeout_seconds is None else int(visibility_timeout_seconds)
        )
        if heartbeat_interval_seconds is not None and heartbeat_interval_seconds <= 0:
            raise ValueError(
                f"heartbeat_interval_seconds must be > 0 (got {heartbeat_interval_seconds})"
            )
        self.heartbeat_interval_seconds = heartbeat_interval_seconds
        if shutdown_grace_seconds is None:
            shutdown_grace_seconds = (
                _env_number(env, contract.SHUTDOWN_GRACE_SECONDS)
                if env.get(contract.SHUTDOWN_GRACE_SECONDS)
                else DEFAULT_SHUTDOWN_GRACE_SECONDS
            )
        if shutdown_grace_seconds < 0:
            raise ValueError(f"shutdown_grace_seconds must be >= 0 (got {shutdown_grace_seconds})")
        self.shutdown_grace_seconds = float(shutdown_grace_seconds)
        if batch_fill_seconds < 0:
            raise ValueError(f"batch_fill_seconds must be >= 0 (got {batch_fill_seconds})")
        self.batch_fill_seconds = batch_fill_seconds
        self.poll_wait_seconds = int(min(poll_wait_seconds, self.shutdown_grace_seconds))
        self.retry_backoff = retry_backoff or ExponentialBackoff(5, 900, jitter=0.2)
        self.error_backoff = error_backoff or ExponentialBackoff(1, 30)
        self.shutdown_policy = shutdown_policy or NeverShutdown()
        self.task_protection = (
            task_protection if task_protection is not None else _default_protection(env)
        )
        self.is_fifo = self.queue_url.endswith(".fifo")
        self._sqs = sqs_client or make_sqs_client(self.poll_wait_seconds, session, self.queue_url)
        self._attributes_parameter = system_attributes_parameter(self._sqs)
        self.stats = WorkerStats()

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        # Serializes visibility changes of held messages (heartbeat vs release/retry delay);
        # always taken before `_lock`, never while holding it.
        self._visibility_lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_requested_at: float | None = None
        self._ran = False
        self._jobs: dict[int, Job] = {}  # every held message, by id(job)
        self._active = 0  # QUEUED + RUNNING: what counts against `concurrency`
        self._idle_since = time.monotonic()
        self._groups: dict[str, deque[Job]] = {}  # FIFO: waiting jobs of a group with one running
        self._ready: queue.Queue[Job | None] = queue.Queue()

    # -- public -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask ``run()`` to stop gracefully. Thread-safe and safe in a signal handler."""
        with self._lock:
            if self._stop_requested_at is None:
                self._stop_requested_at = time.monotonic()
            self._stop.set()
            self._changed.notify_all()

    def run(self) -> None:
        """Consume until stopped; see the class docstring. Returns after a graceful shutdown.

        If the visibility timeout must be read with ``GetQueueAttributes`` and SQS fails, the
        worker logs the error and retries with ``error_backoff`` until it succeeds or is
        stopped: a misconfigured or unreachable queue never becomes a crash loop.

        Raises:
            RuntimeError: ``run()`` was called before on this ``Worker``; make a new one.
        """
        with self._lock:
            if self._ran:
                raise RuntimeError("a Worker runs once: create a new Worker to run again")
            self._ran = True
            self._idle_since = time.monotonic()
        restore = self._install_signal_handlers()
        try:
            visibility = self.visibility_timeout_seconds or self._read_visibility_timeout()
            if visibility is None:  # stopped before SQS answered
                logger.info("worker stopped", extra=self.stats.as_dict())
                return
            interval = self.heartbeat_interval_seconds or min(60.0, max(0.5, visibility / 4))
            heartbeat = Heartbeat(
                self._sqs,
                self.queue_url,
                self._held,
                extension_seconds=visibility,
                interval_seconds=interval,
                stats=self.stats,
                lock=self._visibility_lock,
            )
            deleter = Deleter(
                self._sqs,
                self.queue_url,
                stats=self.stats,
                backoff=self.error_backoff,
                on_done=self._forget,
            )
            logger.info(
                "worker starting",
                extra={
                    "queue_url": self.queue_url,
                    "concurrency": self.concurrency,
                    "fifo": self.is_fifo,
                    "poll_wait_seconds": self.poll_wait_seconds,
                    "visibility_timeout_seconds": visibility,
                    "shutdown_grace_seconds": self.shutdown_grace_seconds,
                    "heartbeat": repr(heartbeat),
                    "retry_backoff": repr(self.retry_backoff),
                    "error_backoff": repr(self.error_backoff),
                    "shutdown_policy": repr(self.shutdown_policy),
                    "task_protection": repr(self.task_protection),
                },
            )
            self._deleter = deleter
            runners = [
                threading.Thread(target=self._run_handlers, name=f"sqs-handler-{n}", daemon=True)
                for n in range(self.concurrency)
            ]
            for thread in runners:
                thread.start()
            deleter.start()
            heartbeat.start()
            try:
                self._receive_until_stopped(visibility)
            finally:
                self._shut_down(heartbeat, deleter)
        finally:
            restore()

    # -- receiving ----------------------------------------------------------------------------

    def _receive_until_stopped(self, visibility: int) -> None:
        failures = 0
        while not self._stop.is_set():
            with self._lock:
                idle = time.monotonic() - self._idle_since if self._active == 0 else 0.0
            if self.shutdown_policy.should_stop(idle_seconds=idle, processed=self.stats.processed):
                logger.info(
                    "shutdown policy says stop",
                    extra={"policy": repr(self.shutdown_policy)},
                )
                self.stop()
                break
            capacity = self._wait_for_capacity()
            if self._stop.is_set():
                break
            started = time.monotonic()
            try:
                response = self._sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(BATCH_SIZE, capacity),
                    WaitTimeSeconds=self.poll_wait_seconds,
                    MessageAttributeNames=["All"],
                    **{self._attributes_parameter: ["All"]},
                )
            except SQS_ERRORS as error:
                failures += 1
                self._back_off("ReceiveMessage", failures, error, logging.WARNING)
                continue
            failures = 0
            raw = response.get("Messages") or []
            if not raw:
                with self._lock:
                    idle = self._active == 0
                if idle and self.task_protection.enabled:
                    self.task_protection.release()
                continue
            jobs = [
                Job(
                    Message.from_sqs(item),
                    received_at=started,
                    visible_until=started + visibility,
                )
                for item in raw
            ]
            self.stats.add("received", len(jobs))
            with self._lock:
                for job in jobs:
                    self._jobs[id(job)] = job
                self._active += len(jobs)
            if self._stop.is_set():
                self._give_back(jobs, "stopping")
                break
            if not self.task_protection.acquire():
                failures += 1
                delay = self.error_backoff.delay(failures)
                logger.warning(
                    "task protection refused; releasing %d message(s), retrying in %.1f s",
                    len(jobs),
                    delay,
                )
                self._give_back(jobs, "no task protection")
                self._stop.wait(delay)
                continue
            self._dispatch(jobs)

    def _wait_for_capacity(self) -> int:
        """Wait for a free handler, then briefly for a fuller batch; return the free slots."""
        with self._lock:
            while self._active >= self.concurrency and not self._stop.is_set():
                self._changed.wait(timeout=1.0)
            wanted = min(BATCH_SIZE, self.concurrency)
            deadline = time.monotonic() + self.batch_fill_seconds
            while (
                0 < self.concurrency - self._active < wanted
                and self._active > 0
                and not self._stop.is_set()
                and (left := deadline - time.monotonic()) > 0
            ):
                self._changed.wait(timeout=left)
            return self.concurrency - self._active

    def _read_visibility_timeout(self) -> int | None:
        """The queue's visibility timeout, retried until SQS answers; None if stopped first."""
        failures = 0
        while True:
            try:
                response = self._sqs.get_queue_attributes(
                    QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"]
                )
                return int(response["Attributes"]["VisibilityTimeout"])
            except SQS_ERRORS as error:
                failures += 1
                if self._back_off("GetQueueAttributes", failures, error, logging.ERROR):
                    return None

    def _back_off(self, operation: str, failures: int, error: Exception, level: int) -> bool:
        """Count and log a failed SQS call, then wait ``error_backoff``; True if stopped."""
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
        return self._stop.wait(delay)

    def _dispatch(self, jobs: list[Job]) -> None:
        with self._lock:
            for job in jobs:
                group = job.message.group_id
                if group is None:
                    self._ready.put(job)
                elif group in self._groups:
                    self._groups[group].append(job)
                else:
                    self._groups[group] = deque()
                    self._ready.put(job)

    # -- handling -----------------------------------------------------------------------------

    def _run_handlers(self) -> None:
        while True:
            job = self._ready.get()
            if job is None:
                return
            with self._lock:
                if job.state is not JobState.QUEUED:
                    continue  # released while it waited
                job.state = JobState.RUNNING
            self._handle(job)

    def _handle(self, job: Job) -> None:
        message = job.message
        fields: dict[str, object] = {
            "message_id": message.message_id,
            "receive_count": message.receive_count,
        }
        if message.group_id is not None:
            fields["group_id"] = message.group_id
        started = time.monotonic()
        delay: float | None = None
        try:
            self.handler(message)
        except RetryLater as request:
            outcome, delay = "retry_later", request.delay_seconds
            logger.info("handler asked for a retry in %g s", delay, extra=fields)
        except BaseException:  # SystemExit too: it must not end a handler thread
            outcome, delay = "failed", self.retry_backoff.delay(message.receive_count)
            logger.exception("handler failed", extra=fields)
        else:
            outcome = "succeeded"
        fields.update(outcome=outcome, duration_ms=round((time.monotonic() - started) * 1000, 1))
        with self._lock:
            if job.state is not JobState.RUNNING:
                logger.warning("handler finished after its message was released", extra=fields)
                return
            job.state = JobState.FINISHING
            followers = self._next_in_group(job, failed=delay is not None)
        logger.info("message %s", outcome, extra=fields)
        if delay is None:
            self.stats.add("succeeded")
            self._deleter.delete(job)
        else:
            self.stats.add("retried" if outcome == "retry_later" else "failed")
            seconds = int(max(0, min(delay, job.remaining_cap(time.monotonic()))))
            with self._visibility_lock:
                change_visibility(self._sqs, self.queue_url, [(job, seconds)], self.stats)
                self._forget(job)
        if followers:
            self._give_back(followers, "an earlier message of its FIFO group failed")
        # Only now does the slot count as free: shutdown waits for `_active == 0`, and by then
        # the delete is queued (the deleter drains its queue before it stops) or the
        # visibility change is made, so no finished message is left invisible.
        with self._lock:
            self._active -= 1
            self._changed.notify_all()

    def _next_in_group(self, job: Job, *, failed: bool) -> list[Job]:
        """Start the next message of ``job``'s FIFO group; on failure return the rest instead.

        Called with the lock held.
        """
        group = job.message.group_id
        if group is None or group not in self._groups:
            return []
        waiting = self._groups[group]
        if failed:
            del self._groups[group]
            return list(waiting)
        if waiting:
            self._ready.put(waiting.popleft())
        else:
            del self._groups[group]
        return []

    # -- bookkeeping --------------------------------------------------------------------------

    def _held(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def _forget(self, job: Job) -> None:
        with self._lock:
            job.state = JobState.DONE
            self._jobs.pop(id(job), None)
            if not self._jobs and self._active == 0:
                self._idle_since = time.monotonic()
            self._changed.notify_all()

    def _give_back(self, jobs: list[Job], reason: str) -> None:
        """Release ``jobs`` (visibility 0) and stop holding them."""
        with self._visibility_lock:
            self._release(jobs, reason)

    def _release(self, jobs: list[Job], reason: str) -> None:
        with self._lock:
            mine = [job for job in jobs if job.state in (JobState.QUEUED, JobState.RUNNING)]
            for job in mine:
                job.state = JobState.DONE
                self._jobs.pop(id(job), None)
            self._active -= len(mine)
            if not self._jobs and self._active == 0:
                self._idle_since = time.monotonic()
            self._changed.notify_all()
        if mine:
            logger.info("releasing %d message(s): %s", len(mine), reason)
            release(self._sqs, self.queue_url, mine, self.stats)

    # -- shutdown -----------------------------------------------------------------------------

    def _shut_down(self, heartbeat: Heartbeat, deleter: Deleter) -> None:
        self.stop()
        assert self._stop_requested_at is not None
        deadline = self._stop_requested_at + self.shutdown_grace_seconds
        with self._lock:
            waiting = [job for job in self._jobs.values() if job.state is JobState.QUEUED]
            self._groups.clear()
        self._give_back(waiting, "shutting down before it started")
        with self._lock:
            while self._active > 0 and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(timeout=min(left, 1.0))
            unfinished = [job for job in self._jobs.values() if job.state is JobState.RUNNING]
        if unfinished:
            logger.warning(
                "grace period of %g s over; releasing %d running message(s)",
                self.shutdown_grace_seconds,
                len(unfinished),
            )
        self._give_back(unfinished, "grace period over")
        with self._lock:  # handlers that finished just now are queuing their delete
            settle = time.monotonic() + 5.0
            while self._active > 0 and (left := settle - time.monotonic()) > 0:
                self._changed.wait(timeout=left)
        for _ in range(self.concurrency):
            self._ready.put(None)
        deleter.close(timeout=max(2.0, deadline - time.monotonic()))
        heartbeat.stop()
        self.task_protection.release()
        logger.info(
            "worker stopped",
            extra=self.stats.as_dict(),
        )

    def _install_signal_handlers(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def on_signal(signum: int, frame: FrameType | None) -> None:
            logger.info("received %s; stopping", signal.Signals(signum).name)
            self.stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

    def __repr__(self) -> str:
        return (
            f"Worker(handler={getattr(self.handler, '__qualname__', self.handler)!r}, "
            f"queue_url={self.queue_url!r}, concurrency={self.concurrency})"
        )


def _env_number(env: Mapping[str, str], name: str) -> float:
    value = env[name]
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"${name} must be a number of seconds (got {value!r})") from None


def _default_protection(env: Mapping[str, str]) -> TaskProtection:
    agent = env.get(contract.ECS_AGENT_URI)
    if not agent or env.get(contract.TASK_PROTECTION, "enabled").lower() == "disabled":
        return NoTaskProtection()
    return EcsAgentTaskProtection(agent)
