"""Shutdown of a ``Worker``, every step bounded so that it exits before ECS's SIGKILL.

:func:`~sqs_scale_to_zero.worker.draining.finish_drain` may come first (after a deploy).

After a stop request, running handlers get the grace period; then the worker has
``RELEASE_BUDGET_SECONDS`` for handing back what is unfinished, draining deletes and turning task
protection off. A call SQS or the agent does not answer in time is left behind on a daemon
thread, and the last log line says what could not be released or deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.bounded import call_within
from sqs_scale_to_zero.worker.inflight import Job, JobState

if TYPE_CHECKING:
    from sqs_scale_to_zero.worker.consumer import Worker

logger = logging.getLogger("sqs_scale_to_zero.worker")

RELEASE_BUDGET_SECONDS = contract.SHUTDOWN_MARGIN_SECONDS / 2
"""After the grace period, the time left for releases, deletes and protection before exit."""

RECEIVE_DRAIN_SECONDS = 1.0
"""On stop, how long to wait for a receive still in flight before leaving it behind."""


def give_back_within(worker: Worker, jobs: list[Job], reason: str, deadline: float) -> int:
    """``give_back`` with a time limit; return how many could not be handed back."""
    if not jobs:
        return 0
    failed: list[Job] = list(jobs)

    def attempt() -> None:
        nonlocal failed
        failed = worker.give_back(jobs, reason)

    if not call_within(deadline - time.monotonic(), attempt, "sqs-release"):
        return len(jobs)
    return len(failed)


def shut_down(worker: Worker, receiving: threading.Thread, visibility: int) -> None:
    """Stop ``worker``: release what has not started, let the rest finish, then clean up.

    Args:
        worker: The worker, already running. Required.
        receiving: Its receive loop's thread, which may be blocked in a receive. Required.
        visibility: The visibility timeout in use, for the last log line. Required.
    """
    worker.stop()
    assert worker._stop_requested_at is not None
    deadline = worker._stop_requested_at + worker.config.shutdown_grace_seconds
    last_call = deadline + RELEASE_BUDGET_SECONDS
    with worker._held.lock:
        waiting = worker._held.snapshot(JobState.QUEUED)
        worker._fifo.clear()
    unreleased = give_back_within(worker, waiting, "shutting down before it started", last_call)
    with worker._held.lock:
        while worker._held.active > 0 and (left := deadline - time.monotonic()) > 0:
            worker._held.changed.wait(timeout=min(left, 1.0))
        unfinished = worker._held.snapshot(JobState.RUNNING)
    if unfinished:
        logger.warning(
            "grace period of %g s over; releasing %d running message(s)",
            worker.config.shutdown_grace_seconds,
            len(unfinished),
        )
    unreleased += give_back_within(worker, unfinished, "grace period over", last_call)
    receiving.join(
        timeout=max(
            0.0, min(last_call, time.monotonic() + RECEIVE_DRAIN_SECONDS) - time.monotonic()
        )
    )
    for _ in range(worker.concurrency):
        worker._ready.put(None)
    undeleted = worker._deleter.close(timeout=max(0.5, last_call - time.monotonic()))
    worker._heartbeat.stop(timeout=max(0.0, last_call - time.monotonic()))
    call_within(last_call - time.monotonic(), worker.task_protection.release, "ecs-protection")
    _log_stopped(worker, unreleased, undeleted, receiving.is_alive(), visibility)


def _log_stopped(
    worker: Worker, unreleased: int, undeleted: int, receiving: bool, visibility: int
) -> None:
    summary: dict[str, object] = dict(worker.stats.as_dict())
    summary.update(unreleased=unreleased, undeleted=undeleted, receive_in_flight=receiving)
    problems = []
    if unreleased:
        problems.append(f"could not release {unreleased} message(s)")
    if undeleted:
        problems.append(f"could not delete {undeleted} finished message(s)")
    if not problems:
        logger.info("worker stopped", extra=summary)
        return
    logger.warning(
        "worker stopped; %s: SQS did not answer in time; they are delivered again after "
        "their visibility timeout (%d s)",
        "; ".join(problems),
        visibility,
        extra=summary,
    )
