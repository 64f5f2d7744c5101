"""How a ``Worker`` pauses and drains after a deploy made its task outdated.

The rule (when to pause, when to drain) is :mod:`sqs_scale_to_zero.worker.deployment`'s; these
are the steps the ``Worker`` takes: ``pause`` hands back what has not started and stops the
receive loop from receiving, ``resume`` lets it receive again, ``request_drain`` ends the receive
loop, and ``finish_drain`` waits, without a time limit, for the running handlers before the
ordinary shutdown (:mod:`.shutdown`) runs.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sqs_scale_to_zero.worker.inflight import JobState
from sqs_scale_to_zero.worker.shutdown import RELEASE_BUDGET_SECONDS, give_back_within

if TYPE_CHECKING:
    from sqs_scale_to_zero.worker.consumer import Worker

logger = logging.getLogger("sqs_scale_to_zero.worker")


def pause(worker: Worker, reason: object) -> None:
    """Stop ``worker`` receiving and hand back what it has not started (see ``Worker``)."""
    with worker._held.lock:
        if worker._deploy_pause.is_set() or worker._quit_receiving.is_set():
            return
        worker._deploy_pause.set()
        waiting = worker._held.snapshot(JobState.QUEUED)
        worker._fifo.clear()
        worker._held.changed.notify_all()
    logger.info(
        "pausing: %s; receiving nothing until it runs a task, handing back %d not started",
        reason,
        len(waiting),
        extra={"pause_reason": str(reason), "handed_back": len(waiting)},
    )
    worker.give_back(waiting, "paused for a deploy")


def resume(worker: Worker, reason: object) -> None:
    """Let ``worker`` receive again after :func:`pause`."""
    with worker._held.lock:
        if not worker._deploy_pause.is_set():
            return
        worker._deploy_pause.clear()
        worker._held.changed.notify_all()
    logger.info("receiving again: %s", reason, extra={"resume_reason": str(reason)})


def request_drain(worker: Worker, reason: object) -> None:
    """End ``worker``'s receive loop for a drain; ``run()`` then calls :func:`finish_drain`."""
    with worker._held.lock:
        if worker._quit_receiving.is_set():
            return
        worker._drain_reason = str(reason)
        worker._quit_receiving.set()
        worker._held.changed.notify_all()


def finish_drain(worker: Worker, receiving: threading.Thread, reason: str) -> None:
    """Drain ``worker``: hand back what has not started, then wait for the rest to finish.

    Returns when nothing is held any more and the receive in flight has returned (its messages
    are handed back by the receive loop), or at once on ``stop()``, whose grace period then
    applies as usual. ``shut_down`` follows in both cases.

    Args:
        worker: The worker, whose receive loop has been told to end (``Worker.drain``). Required.
        receiving: Its receive loop's thread. Required.
        reason: Why it drains, for the log. Required.
    """
    started = time.monotonic()
    finished_before = worker.stats.processed
    with worker._held.lock:
        waiting = worker._held.snapshot(JobState.QUEUED)
        running = len(worker._held.snapshot(JobState.RUNNING))
        worker._fifo.clear()
    logger.info(
        "draining: %s; finishing %d running message(s), handing back %d not started, "
        "receiving no more",
        reason,
        running,
        len(waiting),
        extra={"drain_reason": reason, "running": running, "handed_back": len(waiting)},
    )
    # Bounded like a shutdown's releases: a SIGTERM must find the main thread waiting below.
    deadline = time.monotonic() + RELEASE_BUDGET_SECONDS
    give_back_within(worker, waiting, "draining before it started", deadline)
    with worker._held.lock:
        while (worker._held.active > 0 or receiving.is_alive()) and not worker._stop.is_set():
            worker._held.changed.wait(timeout=0.5)
    if worker._stop.is_set():
        logger.info("stop requested while draining; stopping as usual")
        return
    logger.info(
        "drain finished after %.1f s: %d message(s) finished; exiting so that ECS replaces "
        "this task",
        time.monotonic() - started,
        worker.stats.processed - finished_before,
    )
