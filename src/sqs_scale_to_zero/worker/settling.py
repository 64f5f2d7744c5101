"""What the worker does with a message once its delivery is over: delete it, or delay it.

A ``DeadLetter`` outcome is a send to the dead-letter queue first (see :mod:`.dead_letters`):
sent, the message is deleted as after a success; not sent, it is delayed as after a failure.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace

from sqs_scale_to_zero.worker.dead_letters import DeadLetters
from sqs_scale_to_zero.worker.deletes import Deleter
from sqs_scale_to_zero.worker.delivery import Outcome
from sqs_scale_to_zero.worker.fifo import FifoGroups
from sqs_scale_to_zero.worker.inflight import Holdings, Job, JobState
from sqs_scale_to_zero.worker.policies import BackoffPolicy
from sqs_scale_to_zero.worker.receive_window import ReceiveWindow
from sqs_scale_to_zero.worker.releasing import Releaser
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")


class DeadLetterNotSent(Exception):
    """Why a message whose handler raised ``DeadLetter`` stays on its queue (logged, no traceback)."""


class Settler:
    """Deletes a delivered message, or makes it visible again after a delay; FIFO order kept.

    Args:
        holdings: The jobs the worker holds. Required.
        fifo: The FIFO groups, guarded by the worker lock. Required.
        releaser: Changes visibility. Required.
        deleter: Deletes finished messages. Required.
        dead_letters: Sends a message's copy to the dead-letter queue. Required.
        stats: Counters to update. Required.
        retry_backoff: The visibility delay after a failure, by receive count. Required.
        poll_wait_seconds: The long-poll wait of a receive. Required.
        window: The receives in flight. Required.

    Attributes:
        visibility_timeout_seconds: The queue's visibility timeout, once known. Default: ``0``.
    """

    def __init__(
        self,
        *,
        holdings: Holdings,
        fifo: FifoGroups,
        releaser: Releaser,
        deleter: Deleter,
        dead_letters: DeadLetters,
        stats: WorkerStats,
        retry_backoff: BackoffPolicy,
        poll_wait_seconds: float,
        window: ReceiveWindow,
    ) -> None:
        self._holdings = holdings
        self._fifo = fifo
        self._releaser = releaser
        self._deleter = deleter
        self._dead_letters = dead_letters
        self._stats = stats
        self._retry_backoff = retry_backoff
        self._poll_wait_seconds = poll_wait_seconds
        self._window = window
        self.visibility_timeout_seconds = 0

    def settle(self, job: Job, outcome: Outcome) -> Job | None:
        """Delete or delay ``job`` after ``outcome``; return the next job of its FIFO group to start.

        Only then does its handler slot count as free: shutdown waits for no active job, and by
        then the delete is queued (the deleter drains its queue before it stops) or the
        visibility change is made, so no finished message is left invisible.
        """
        delay = outcome.delay_seconds
        with self._holdings.lock:
            running = job.state is JobState.RUNNING
        if outcome.reason is not None and running:
            # Sent outside the lock; the heartbeat keeps the message invisible meanwhile.
            not_sent = self._dead_letters.send(job.message, outcome.reason)
            if not_sent is not None:
                fields = {**outcome.fields, "outcome": "dead_letter_not_sent"}
                outcome = replace(outcome, fields=fields, error=DeadLetterNotSent(not_sent))
        if outcome.error is not None:
            delay = self._retry_backoff.delay(job.message.receive_count)
        upcoming: Job | None = None
        with self._holdings.lock:
            if job.state is not JobState.RUNNING:
                logger.warning(
                    "handler finished after its message was released", extra=outcome.fields
                )
                return None
            job.state = JobState.FINISHING
            followers: list[Job] = []
            seconds: int | None = None
            if delay is None:
                upcoming = self._fifo.succeeded(job)
            else:
                now = time.monotonic()
                seconds = int(max(0, min(delay, job.remaining_cap(now))))
                if job.message.group_id is not None:
                    # A receive in flight must end before the head is visible again, or it
                    # could bring the head back together with the rest of its group.
                    seconds = max(seconds, math.ceil(self._window.seconds_left(now)))
                    poll = self._poll_wait_seconds + 1.0
                    followers = self._fifo.failed(
                        job,
                        narrow_from=now + seconds - poll,
                        narrow_until=now + seconds + poll + self.visibility_timeout_seconds,
                    )
        log_outcome(outcome, seconds)
        if seconds is None:
            self._stats.add("succeeded" if outcome.reason is None else "dead_lettered")
            self._deleter.delete(job)
        else:
            self._stats.add("retried" if outcome.error is None else "failed")
            if followers:  # first, while the head still keeps its group locked
                self._releaser.give_back(
                    followers, "an earlier message of its FIFO group failed", group_locked=True
                )
            self._releaser.delay(job, seconds)
        self._holdings.free_slot()
        return upcoming


def log_outcome(outcome: Outcome, visible_in_seconds: int | None) -> None:
    """Log one finished message in one line (a failure's traceback below it).

    INFO on success or ``RetryLater``; WARNING on failure, with its traceback, or on
    ``DeadLetter``, without one (the reason says it).

    Args:
        outcome: What the handler did.
        visible_in_seconds: The visibility delay actually set, ``None`` when it is deleted.
    """
    fields = dict(outcome.fields)
    if outcome.reason is not None:
        fields["dead_letter_reason"] = outcome.reason
    if visible_in_seconds is None:
        if outcome.reason is None:
            logger.info("message succeeded", extra=fields)
        else:
            logger.warning("message dead-lettered: %s", outcome.reason, extra=fields)
        return
    fields["retry_in_seconds"] = visible_in_seconds
    if isinstance(outcome.error, DeadLetterNotSent):
        logger.warning(
            "message not dead-lettered (%s): %s; visible again in %d s",
            outcome.reason,
            outcome.error,
            visible_in_seconds,
            extra=fields,
        )
        return
    if outcome.error is None:
        logger.info("message retry_later: visible again in %d s", visible_in_seconds, extra=fields)
        return
    logger.warning(
        "message failed: visible again in %d s",
        visible_in_seconds,
        exc_info=(type(outcome.error), outcome.error, outcome.error.__traceback__),
        extra=fields,
    )
