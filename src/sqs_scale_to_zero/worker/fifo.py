"""Order within FIFO message groups, and narrow receives while a group's head is failing."""

from __future__ import annotations

import time
from collections import deque

from sqs_scale_to_zero.worker.inflight import Job


class FifoGroups:
    """One message of a group at a time, in the order received; not thread-safe (use a lock).

    SQS returns as many messages of one group as it can in one receive ("FIFO delivery logic"
    in the Amazon SQS developer guide), and delivers none of a group while one of its messages is
    in flight. So when the first message of a group fails, the worker hands back the rest of its
    batch (they must not run before it), and then narrows its receives to one message until it
    sees the group again: a wide receive would bring the later messages along with the retried
    head each time it fails, spending one of their receives per failure until the redrive policy
    dead-letters messages that never ran. With narrow receives a message behind a failing head
    spends at most one extra receive, however often the head fails.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, deque[Job]] = {}
        # group -> (failed head's id, narrow from, narrow until), in time.monotonic()
        self._failing: dict[str, tuple[str, float, float]] = {}

    def admit(self, job: Job) -> bool:
        """Note a job just received (in order); True if it may start now, False if it waits."""
        group = job.message.group_id
        if group is None:
            return True
        # SQS returns nothing of a group while its failed head is in flight, so any message of
        # the group means the head is back (held now, locking the group) or gone (deleted or
        # dead-lettered): either way wide receives are safe again.
        self._failing.pop(group, None)
        if group in self._waiting:
            self._waiting[group].append(job)
            return False
        self._waiting[group] = deque()
        return True

    def succeeded(self, job: Job) -> Job | None:
        """``job`` finished: return the next job of its group to start, if any."""
        group = job.message.group_id
        if group is None or group not in self._waiting:
            return None
        waiting = self._waiting[group]
        if waiting:
            return waiting.popleft()
        del self._waiting[group]
        return None

    def failed(self, job: Job, *, narrow_from: float, narrow_until: float) -> list[Job]:
        """``job`` failed and goes back to SQS: return the jobs behind it, to hand back too.

        Receives are narrow from ``narrow_from`` (early enough that no wide receive is in
        flight when the head is visible again) until the group is seen again or
        ``narrow_until`` (the head may have been taken by another consumer), both
        ``time.monotonic()`` values.
        """
        group = job.message.group_id
        if group is None:
            return []
        self._failing[group] = (job.message.message_id, narrow_from, narrow_until)
        return list(self._waiting.pop(group, ()))

    def narrow(self) -> bool:
        """True while a failed head may come back: receive one message at a time."""
        now = time.monotonic()
        for group, (_, _, until) in list(self._failing.items()):
            if until <= now:
                del self._failing[group]
        return any(start <= now for _, start, _ in self._failing.values())

    def clear(self) -> None:
        """Forget every waiting job (shutdown hands them back)."""
        self._waiting.clear()

    def __repr__(self) -> str:
        return f"FifoGroups(waiting={len(self._waiting)}, failing={sorted(self._failing)})"
