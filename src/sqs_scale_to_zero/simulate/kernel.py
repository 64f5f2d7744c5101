"""The simulator's kernel: a virtual clock, an event queue and the run loop.

It knows nothing of SQS, ECS or CloudWatch: the models (:mod:`.models`) schedule their own
actions on it, and :class:`~sqs_scale_to_zero.simulate.run.Simulation` wires them together.

An action is a callable ``(subject, epoch, now)``: ``subject`` is what it acts on (a message, a
task), ``epoch`` lets a model recognize an action it has since made stale (a task that finished
its message early ignores the timeout scheduled for it), ``now`` is the virtual time.

The run loop merges three sources in virtual time, in this order at equal times:

1. scheduled actions, in the order they were scheduled;
2. arrivals, a sorted sequence of times handed in at the start (the workload's messages),
   each at its time; an arrival at the same time as an action goes first;
3. a tick every ``period`` seconds (CloudWatch's minute): every action up to and at the
   boundary runs before the tick; an arrival exactly at a boundary belongs to the period it
   starts, so it runs after the tick.

The loop ends at the horizon, after the actions and arrivals at the horizon itself, with no
tick there.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence

Action = Callable[[object, int, float], None]
"""Runs one scheduled event: ``(subject, epoch, now)``."""


class Kernel:
    """A virtual clock and an event queue (a heap ordered by time, then by scheduling order)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Action, object, int]] = []
        self._seq = 0
        self.now = 0.0
        """The virtual time of the action, arrival or tick running now, in seconds."""

    def schedule(self, at: float, action: Action, subject: object = None, epoch: int = 0) -> None:
        """Run ``action(subject, epoch, at)`` at virtual time ``at``."""
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, action, subject, epoch))

    def peek(self) -> float:
        """The time of the next scheduled action (infinity when there is none)."""
        return self._heap[0][0] if self._heap else math.inf

    def run(
        self,
        horizon: float,
        *,
        arrivals: Sequence[float],
        arrive: Callable[[int, float], None],
        tick: Callable[[float], None],
        period: float = 60.0,
    ) -> None:
        """Run every action, arrival and tick up to ``horizon`` (see the module's order).

        Args:
            horizon: The end of the run, in seconds.
            arrivals: Times of the outside arrivals, sorted.
            arrive: Called as ``arrive(index, now)`` for each arrival.
            tick: Called as ``tick(now)`` at each multiple of ``period`` before the horizon.
            period: Seconds between ticks. Default: 60.
        """
        heap = self._heap
        i, n = 0, len(arrivals)
        boundary_at = period
        while True:
            boundary = min(boundary_at, horizon)
            # an arrival at a period's boundary belongs to the period it starts
            last_arrival = boundary if boundary >= horizon else math.nextafter(boundary, 0.0)
            while True:
                next_event = heap[0][0] if heap else math.inf
                next_arrival = arrivals[i] if i < n else math.inf
                if next_arrival > last_arrival:
                    next_arrival = math.inf
                if next_arrival <= next_event:
                    if next_arrival == math.inf:
                        break
                    self.now = next_arrival
                    arrive(i, next_arrival)
                    i += 1
                else:
                    if next_event > boundary:
                        break
                    at, _, action, subject, epoch = heapq.heappop(heap)
                    self.now = at
                    action(subject, epoch, at)
            if boundary >= horizon:
                break
            self.now = boundary_at
            tick(boundary_at)
            boundary_at += period
