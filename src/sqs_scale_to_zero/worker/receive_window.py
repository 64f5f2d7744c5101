"""The receives a worker has in flight, and when each must have returned."""

from __future__ import annotations

import threading


class ReceiveWindow:
    """The receives in flight and the time by which each must have returned; thread-safe.

    The receive loop opens a receive here before it calls SQS and closes it when the call
    returns. Two parts ask it when a message may be visible again without one of the worker's
    own receives taking it back: a failed FIFO head's delay (see :mod:`.settling`) and a hand-back
    (see :mod:`.releasing`).
    """

    def __init__(self) -> None:
        self._ends: dict[int, float] = {}
        self._next = 0
        self._lock = threading.Lock()

    def open(self, ends_at: float) -> int:
        """A receive that must return by ``ends_at`` (``time.monotonic()``) is in flight.

        Returns:
            The token to ``close`` it with.
        """
        with self._lock:
            self._next += 1
            self._ends[self._next] = ends_at
            return self._next

    def close(self, token: int) -> None:
        """The receive ``token`` returned."""
        with self._lock:
            self._ends.pop(token, None)

    def in_flight(self) -> frozenset[int]:
        """The tokens of the receives in flight now."""
        with self._lock:
            return frozenset(self._ends)

    def count(self) -> int:
        """How many receives are in flight now."""
        with self._lock:
            return len(self._ends)

    def returned(self, tokens: frozenset[int]) -> bool:
        """True once every receive of ``tokens`` has returned."""
        with self._lock:
            return self._ends.keys().isdisjoint(tokens)

    def seconds_left(self, now: float) -> float:
        """Seconds until every receive in flight must have returned."""
        with self._lock:
            latest = max(self._ends.values(), default=None)
        return 0.0 if latest is None else max(0.0, latest - now)

    def __repr__(self) -> str:
        with self._lock:
            return f"ReceiveWindow(in_flight={len(self._ends)})"
