"""How many receives to keep in flight: one more only while one more brings messages sooner."""

from __future__ import annotations

SAMPLES = 3
"""Full receives measured at a number in flight before it is judged (after one to settle in)."""

MIN_GAIN = 1.2
"""How much sooner one more receive in flight must bring messages to be kept: its messages per
second over those of one fewer. Below it, the extra requests and the messages held ahead are not
worth it; it is also well above the drift of one measurement to the next."""

FIRST_RETRY_AFTER = 16
"""Full receives before one more in flight is tried again after a try that did not pay; doubled
after each such try in a row, up to ``LAST_RETRY_AFTER``."""

LAST_RETRY_AFTER = 256
"""The most full receives between two tries of one more in flight."""

LEVEL_RTT_WEIGHT = 0.3
"""Weight of the newest full receive's round trip in the running average kept for one number in
flight (heavier than ``receiving.RTT_WEIGHT``, the average over all receives that brought
messages: a level is judged on a few samples)."""


class ReceiveParallelism:
    """How many receives may be in flight at once, found by trying.

    Not thread-safe: the ``Receiver`` calls it under the worker lock.

    More receives in flight feed the handlers sooner only when SQS answers them side by side, as
    SQS itself does: then ``n`` receives bring ``n`` batches in about the time of one. A server
    that answers one request at a time (a local SQS stand-in, or one on a busy machine) takes
    ``n`` times as long, and the extra receives only add requests and hold messages ahead while
    they wait. So it starts at one, and once ``SAMPLES`` full receives (10 asked, 10 brought) set
    the round trip at the current number ``n``, it allows ``n + 1``. After ``SAMPLES`` full
    receives made with ``n + 1`` in flight (the first after the change left out), it keeps
    ``n + 1`` if they brought messages at least ``MIN_GAIN`` times as fast
    (``(n + 1) / rtt(n + 1) >= MIN_GAIN * n / rtt(n)``), and goes back to ``n`` otherwise, trying
    again after ``FIRST_RETRY_AFTER`` full receives, then twice as many each time, up to
    ``LAST_RETRY_AFTER``: a server whose answers grow faster is found again.

    Receives that bring fewer than asked (a queue running dry) or ask for less than a full batch
    (the handlers cannot take more) say nothing of the rate and are not counted.

    Args:
        most: The most receives in flight. Required; at least 1 (1 keeps one always).
    """

    def __init__(self, most: int) -> None:
        if most < 1:
            raise ValueError(f"most must be at least 1 (got {most})")
        self.most = most
        self._allowed = 1
        self._trying = False  # allowed was raised and is being judged
        self._round_trip: dict[int, float] = {}  # seconds, by receives in flight
        self._counted = 0  # full receives at ``allowed`` since it last changed
        self._misses = 0  # tries in a row that did not pay
        self._wait = 0  # full receives left before the next try

    @property
    def allowed(self) -> int:
        """Receives that may be in flight now, from 1 to ``most``."""
        return self._allowed

    def returned(self, in_flight: int, seconds: float, full: bool) -> None:
        """A receive returned.

        Args:
            in_flight: Receives in flight when it was sent, itself included. Required.
            seconds: Its round trip. Required.
            full: True if it asked for a full batch and brought as many. Required.
        """
        level = self._allowed
        if not full or in_flight != level:
            return
        self._counted += 1
        if self._trying and self._counted == 1:
            return  # sent while the others were still spread out: not yet the steady state
        measured = self._counted - self._trying  # this one included
        previous = self._round_trip.get(level)
        if measured == 1 or previous is None:  # the first since the change: the old one is stale
            self._round_trip[level] = seconds
        else:
            self._round_trip[level] = previous + (seconds - previous) * LEVEL_RTT_WEIGHT
        if measured < SAMPLES:
            return
        if self._trying:
            self._judge(level)
        elif level < self.most:
            self._wait -= 1
            if self._wait <= 0:
                self._change(level + 1, trying=True)

    def _judge(self, level: int) -> None:
        rate = level / self._round_trip[level]
        before = (level - 1) / self._round_trip[level - 1]
        if rate >= MIN_GAIN * before:
            self._misses = 0
            self._wait = 0
            self._change(level, trying=False)
            return
        self._misses += 1
        self._wait = min(LAST_RETRY_AFTER, FIRST_RETRY_AFTER * 2 ** (self._misses - 1))
        self._change(level - 1, trying=False)

    def _change(self, level: int, trying: bool) -> None:
        self._allowed = level
        self._trying = trying
        self._counted = 0

    def __repr__(self) -> str:
        return (
            f"ReceiveParallelism(allowed={self._allowed}, most={self.most}"
            f"{', trying' if self._trying else ''})"
        )
