"""The time limits of a ``Worker``'s shutdown, and what it waits for and logs at the end.

After a stop request, running handlers get the grace period; then the worker has
``RELEASE_BUDGET_SECONDS`` for handing back what is unfinished, draining deletes and turning task
protection off. A call SQS or the agent does not answer in time is left behind on a daemon
thread, and the last log line says what could not be released or deleted. The steps and their
order are ``Worker``'s (see ``Worker._shut_down``).
"""

from __future__ import annotations

import logging
import time

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.inflight import Holdings, Job, JobState
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")

RELEASE_BUDGET_SECONDS = contract.SHUTDOWN_MARGIN_SECONDS / 2
"""After the grace period, the time left for releases, deletes and protection before exit."""

RECEIVE_DRAIN_SECONDS = 1.0
"""On stop, how long to wait for a receive still in flight before leaving it behind."""


def wait_for_handlers(holdings: Holdings, deadline: float, grace_seconds: float) -> list[Job]:
    """Wait until nothing runs or ``deadline`` (``time.monotonic()``); return what still runs.

    Args:
        holdings: The jobs the worker holds. Required.
        deadline: The end of the grace period. Required.
        grace_seconds: The grace period, for the log. Required.
    """
    with holdings.lock:
        while holdings.active > 0 and (left := deadline - time.monotonic()) > 0:
            holdings.changed.wait(timeout=min(left, 1.0))
        unfinished = holdings.snapshot(JobState.RUNNING)
    if unfinished:
        logger.warning(
            "grace period of %g s over; releasing %d running message(s)",
            grace_seconds,
            len(unfinished),
        )
    return unfinished


def log_stopped(
    stats: WorkerStats, unreleased: int, undeleted: int, receiving: bool, visibility: int
) -> None:
    """Log the last line: the counters, and what could not be released or deleted in time."""
    summary: dict[str, object] = dict(stats.as_dict())
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
