"""Counters the worker keeps and logs as a summary when ``run()`` returns."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields


@dataclass
class WorkerStats:
    """Thread-safe counters of one ``Worker``.

    Attributes:
        received: Messages received from SQS.
        succeeded: Handlers that returned; their messages were deleted (or queued for it).
        failed: Handlers that raised; their messages were left for a retry with backoff.
        retried: Handlers that raised ``RetryLater``; their messages got the requested delay.
        dead_lettered: Handlers that raised ``DeadLetter`` whose messages were sent to the
            dead-letter queue (and deleted, or queued for it).
        dead_letter_failures: ``DeadLetter`` requests whose copy could not be sent (no
            dead-letter queue, or SQS refused); those messages were left for a retry.
        released: Messages handed back without finishing (shutdown, pause, drain, no task
            protection, FIFO group after a failure), each counted once; visible at once, or
            once the worker's receives in flight have returned.
        deleted: Messages deleted.
        extended: Visibility extensions made by the heartbeat.
        sqs_errors: SQS calls that failed after the SDK's own retries.
        late_deletes: Deletes attempted after the message's visibility lapsed: SQS may have
            delivered it again (a duplicate).
        delete_failures: Deletes given up: those messages will be delivered again.
        visibility_lapses: Held messages whose visibility lapsed because extensions failed.
        release_failures: Messages the worker could not hand back (they reappear after their
            visibility timeout instead of at once).
        deploy_check_failures: Deployment checks that failed (the worker went on working).
    """

    received: int = 0
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    dead_lettered: int = 0
    dead_letter_failures: int = 0
    released: int = 0
    deleted: int = 0
    extended: int = 0
    sqs_errors: int = 0
    late_deletes: int = 0
    delete_failures: int = 0
    visibility_lapses: int = 0
    release_failures: int = 0
    deploy_check_failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to the counter ``name``."""
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    @property
    def processed(self) -> int:
        """Messages whose handler finished, whatever the outcome."""
        return self.succeeded + self.failed + self.retried + self.dead_lettered

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dict."""
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}
