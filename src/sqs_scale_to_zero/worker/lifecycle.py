"""Where a ``Worker`` is in its life: running, paused for a deploy, draining or stopping.

::

    RUNNING <-> PAUSED --> DRAINING --> STOPPING
       |__________________________________^  (a stop is possible from every phase)

Lock order, stated once for the whole worker: two locks guard its state.

1. The *visibility lock* (``Releaser.visibility_lock``) serializes changes of a held message's
   visibility: the heartbeat's extensions, releases and retry delays.
2. The *worker lock* (``Lifecycle.lock``, and ``Lifecycle.changed``, a condition on it) guards the
   phase, the held jobs (``Holdings``) and the FIFO groups (``FifoGroups``). It is re-entrant.

Whoever needs both takes the visibility lock first, and never takes the visibility lock while it
holds the worker lock: an SQS call made under the visibility lock may take seconds, and must not
keep the handlers from starting or finishing.
"""

from __future__ import annotations

import enum
import threading
import time


class Phase(enum.Enum):
    """The phases of a worker's life."""

    RUNNING = "running"
    """Receiving and handling messages."""
    PAUSED = "paused"
    """A deploy made the task outdated: receiving nothing, running handlers go on."""
    DRAINING = "draining"
    """Receiving nothing more; running handlers finish however long they take, then it stops."""
    STOPPING = "stopping"
    """Receiving nothing more; running handlers get the grace period, then it exits."""


class Lifecycle:
    """The phase of one worker, its stop time and its drain reason; thread-safe.

    Every change notifies ``changed``, so a part waiting on it (for room to receive, for the
    handlers to finish) sees a stop, a pause or a drain at once.

    Attributes:
        lock: The worker lock (see the module docstring).
        changed: A condition on ``lock``, notified whenever the phase or the held jobs change.
        stop_requested_at: ``time.monotonic()`` of the first stop request, ``None`` before.
        drain_reason: Why it drains, ``None`` unless a drain was requested before any stop.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.stop_requested_at: float | None = None
        self.drain_reason: str | None = None
        self._phase = Phase.RUNNING
        self._stopping = threading.Event()
        self._receiving_over = threading.Event()

    @property
    def phase(self) -> Phase:
        """The current phase."""
        return self._phase

    @property
    def paused(self) -> bool:
        """True during the deploy drain's pause."""
        return self._phase is Phase.PAUSED

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stopping.is_set()

    @property
    def receiving_over(self) -> threading.Event:
        """Set once the worker drains or stops: nothing more is received. Wait on it; never set it."""
        return self._receiving_over

    def wait_stopping(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for a stop request; True if there is one."""
        return self._stopping.wait(timeout)

    def wait_receiving_over(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for a drain or stop; True if there is one."""
        return self._receiving_over.wait(max(0.0, timeout))

    def stop(self) -> None:
        """Move to ``STOPPING``; the first call records the time. Safe in a signal handler."""
        with self.lock:
            if self.stop_requested_at is None:
                self.stop_requested_at = time.monotonic()
            self._phase = Phase.STOPPING
            self._stopping.set()
            self._receiving_over.set()
            self.changed.notify_all()

    def pause(self) -> bool:
        """``RUNNING`` -> ``PAUSED``; False (and no change) from any other phase."""
        with self.lock:
            if self._phase is not Phase.RUNNING:
                return False
            self._phase = Phase.PAUSED
            self.changed.notify_all()
            return True

    def resume(self) -> bool:
        """``PAUSED`` -> ``RUNNING``; False (and no change) from any other phase."""
        with self.lock:
            if self._phase is not Phase.PAUSED:
                return False
            self._phase = Phase.RUNNING
            self.changed.notify_all()
            return True

    def drain(self, reason: str) -> bool:
        """``RUNNING`` or ``PAUSED`` -> ``DRAINING`` for ``reason``; False from any other phase."""
        with self.lock:
            if self._phase not in (Phase.RUNNING, Phase.PAUSED):
                return False
            self._phase = Phase.DRAINING
            self.drain_reason = reason
            self._receiving_over.set()
            self.changed.notify_all()
            return True

    def __repr__(self) -> str:
        return f"Lifecycle(phase={self._phase.value})"
