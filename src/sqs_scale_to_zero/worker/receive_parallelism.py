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


STEADY, TRYING, RECHECKING = "steady", "trying", "rechecking"
"""The phases: at a number found; trying one more; measuring the number before it again."""


class ReceiveParallelism:
    """How many receives may be in flight at once, found by trying.

    Not thread-safe: the ``Receiver`` calls it under the worker lock.

    More receives in flight feed the handlers sooner only when SQS answers them side by side, as
    SQS itself does: then ``n`` receives bring ``n`` batches in about the time of one. A server
    that answers one request at a time (a local SQS stand-in, or one on a busy machine) brings
    no more messages a second however many wait on it, and the extra receives only add requests,
    slow the deletes beside them and hold messages ahead. So it starts at one and measures the
    rate at the current number ``n``: messages a second, by the clock, over ``SAMPLES`` full
    receives (10 asked, 10 brought) in a row, from the return of the one before them. Then it
    tries ``n + 1`` for as long, goes back to ``n`` for as long again, and keeps ``n + 1`` only
    if it brought messages at least ``MIN_GAIN`` times as fast as the mean of the two
    measurements at ``n`` around it: a server whose answers drift (faster as its queue shortens,
    slower as a machine gets busy) moves both sides alike. A try that did not pay is made again
    after ``FIRST_RETRY_AFTER`` full receives, then twice as many each time, up to
    ``LAST_RETRY_AFTER``: a server whose answers grow faster is found again.

    The rate is read from the clock between returns, not from each receive's round trip: on a
    server answering one request at a time, two receives side by side each take less than twice
    as long as one alone (each fills the other's gaps), yet the messages a second stay the same.

    A receive that brings fewer than asked (a queue running dry), asks for less than a full batch
    (the handlers cannot take more) or was sent with another number in flight says nothing of
    the rate: the measurement starts again after it, and the first receive after a change only
    starts it.

    Args:
        most: The most receives in flight. Required; at least 1 (1 keeps one always).
    """

    def __init__(self, most: int) -> None:
        if most < 1:
            raise ValueError(f"most must be at least 1 (got {most})")
        self.most = most
        self._allowed = 1
        self._phase = STEADY
        self._before = 0.0  # messages a second at the number before a try, measured before it
        self._tried = 0.0  # messages a second with one more in flight, while it is rechecked
        self._since: float | None = None  # when the measurement at ``allowed`` began
        self._counted = 0  # full receives in a row at ``allowed`` since then
        self._brought = 0  # the messages they brought
        self._misses = 0  # tries in a row that did not pay
        self._wait = 0  # full receives left before the next try

    @property
    def allowed(self) -> int:
        """Receives that may be in flight now, from 1 to ``most``."""
        return self._allowed

    def returned(self, in_flight: int, brought: int, full: bool, now: float) -> None:
        """A receive returned.

        Args:
            in_flight: Receives in flight when it was sent, itself included. Required.
            brought: The messages it brought. Required.
            full: True if it asked for a full batch and brought as many. Required.
            now: When it returned, on the monotonic clock. Required.
        """
        level = self._allowed
        if not full or in_flight != level:
            self._since = None  # the measurement starts again after it
            return
        if self._since is None:  # the receive the measurement starts from
            self._since, self._counted, self._brought = now, 0, 0
            return
        self._counted += 1
        self._brought += brought
        if self._counted < SAMPLES or now <= self._since:
            return
        rate = self._brought / (now - self._since)
        self._since, self._counted, self._brought = now, 0, 0
        if self._phase == TRYING:
            self._tried = rate
            self._change(level - 1, RECHECKING)
        elif self._phase == RECHECKING:
            self._judge(level, (self._before + rate) / 2)
        else:
            self._wait -= SAMPLES
            if level < self.most and self._wait <= 0:
                self._before = rate
                self._change(level + 1, TRYING)

    def _judge(self, level: int, rate: float) -> None:
        """After a try of ``level + 1``: keep it if it paid against ``rate``, the rate at ``level``."""
        if self._tried >= MIN_GAIN * rate:
            self._misses = 0
            self._wait = 0
            self._change(level + 1, STEADY)
            return
        self._misses += 1
        self._wait = min(LAST_RETRY_AFTER, FIRST_RETRY_AFTER * 2 ** (self._misses - 1))
        self._change(level, STEADY)

    def _change(self, level: int, phase: str) -> None:
        self._allowed = level
        self._phase = phase
        self._since = None

    def __repr__(self) -> str:
        return (
            f"ReceiveParallelism(allowed={self._allowed}, most={self.most}"
            f"{'' if self._phase == STEADY else ', ' + self._phase})"
        )
