"""The pause after a failed SQS call: counted, logged, and cut short by a drain or a stop."""

from __future__ import annotations

import logging
import threading

from sqs_scale_to_zero.worker.policies import BackoffPolicy
from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker")


class ErrorBackoff:
    """Waits out ``policy``'s delay after the n-th failure in a row of one operation.

    Args:
        policy: The delay after n consecutive failures. Required.
        stats: Counters to update (``sqs_errors``). Required.
        interrupt: Ends a wait early when set (the worker drains or stops). Required.
    """

    def __init__(
        self, policy: BackoffPolicy, stats: WorkerStats, interrupt: threading.Event
    ) -> None:
        self.policy = policy
        self._stats = stats
        self._interrupt = interrupt

    def wait(self, operation: str, failures: int, error: Exception, level: int) -> bool:
        """Count and log the failure of ``operation``, then wait; True if interrupted.

        Args:
            operation: The SQS action, for the log (``"ReceiveMessage"``). Required.
            failures: Consecutive failures so far, this one included. Required.
            error: What the call raised. Required.
            level: The log level. Required.
        """
        self._stats.add("sqs_errors")
        delay = self.policy.delay(failures)
        logger.log(
            level,
            "%s failed (%d in a row), retrying in %.1f s: %s",
            operation,
            failures,
            delay,
            error,
            extra={"consecutive_failures": failures},
        )
        return self._interrupt.wait(delay)

    def __repr__(self) -> str:
        return f"ErrorBackoff({self.policy!r})"
