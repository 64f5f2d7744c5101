"""The deploy drain's last phase: how a ``Worker`` finishes after a deploy made its task outdated.

The rule (when to pause, when to drain) is :mod:`sqs_scale_to_zero.worker.deploy_drain`'s; the
phases are :class:`~sqs_scale_to_zero.worker.lifecycle.Lifecycle`'s. Once the receive loop has
ended for a drain, :func:`finish_drain` hands back what has not started and waits, without a time
limit, for the running handlers; the ordinary shutdown follows.
"""

from __future__ import annotations

import logging
import threading
import time

from sqs_scale_to_zero.worker.inflight import Holdings, JobState
from sqs_scale_to_zero.worker.lifecycle import Lifecycle
from sqs_scale_to_zero.worker.pool import HandlerPool
from sqs_scale_to_zero.worker.releasing import Releaser
from sqs_scale_to_zero.worker.shutdown import RELEASE_BUDGET_SECONDS
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")


def finish_drain(
    reason: str,
    *,
    lifecycle: Lifecycle,
    holdings: Holdings,
    pool: HandlerPool,
    releaser: Releaser,
    stats: WorkerStats,
    receiving: threading.Thread,
) -> None:
    """Hand back what has not started, then wait for the rest to finish.

    Returns when nothing is held any more and the receive in flight has returned (its messages
    are handed back by the receive loop), or at once on a stop, whose grace period then applies
    as usual. The shutdown follows in both cases.

    Args:
        reason: Why it drains, for the log. Required.
        lifecycle: The worker's phase, ``DRAINING``. Required.
        holdings: The jobs the worker holds. Required.
        pool: The handler pool. Required.
        releaser: Hands back what has not started. Required.
        stats: The worker's counters. Required.
        receiving: The receive loop's thread. Required.
    """
    started = time.monotonic()
    finished_before = stats.processed
    with holdings.lock:
        waiting = pool.take_waiting()
        running = len(holdings.snapshot(JobState.RUNNING))
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
    releaser.give_back_within(waiting, "draining before it started", deadline)
    with holdings.lock:
        while (holdings.active > 0 or receiving.is_alive()) and not lifecycle.stopping:
            holdings.changed.wait(timeout=0.5)
    if lifecycle.stopping:
        logger.info("stop requested while draining; stopping as usual")
        return
    logger.info(
        "drain finished after %.1f s: %d message(s) finished; exiting so that ECS replaces "
        "this task",
        time.monotonic() - started,
        stats.processed - finished_before,
    )
