"""Small policies the worker consults: how long to back off, and when to stop on its own.

Each is a ``Protocol`` with one or two plain implementations, so tests and users can pass
their own. Every implementation has a readable ``__repr__`` because the worker logs its
configuration at start.
"""

from __future__ import annotations

import math
import random
from typing import Protocol, runtime_checkable


@runtime_checkable
class BackoffPolicy(Protocol):
    """How long to wait before attempt number ``attempt`` (1 = the first retry)."""

    def delay(self, attempt: int) -> float:
        """Return the delay in seconds before retry number ``attempt`` (>= 1)."""
        ...


class ExponentialBackoff:
    """``initial_seconds * multiplier ** (attempt - 1)``, capped, with optional jitter.

    Args:
        initial_seconds: Delay before the first retry. Default: ``1.0``.
        maximum_seconds: Upper bound of any delay. Default: ``60.0``.
        multiplier: Growth factor per attempt. Default: ``2.0``.
        jitter: Fraction of the delay that is randomized, 0 (none) to 1 ("full jitter",
            uniform between 0 and the delay). Default: ``0.5``.

    Raises:
        ValueError: An argument is negative, ``maximum_seconds < initial_seconds``,
            ``multiplier < 1`` or ``jitter`` outside 0..1.
    """

    def __init__(
        self,
        initial_seconds: float = 1.0,
        maximum_seconds: float = 60.0,
        multiplier: float = 2.0,
        jitter: float = 0.5,
    ) -> None:
        if initial_seconds < 0:
            raise ValueError(f"initial_seconds must be >= 0 (got {initial_seconds})")
        if maximum_seconds < initial_seconds:
            raise ValueError(
                f"maximum_seconds must be >= initial_seconds ({maximum_seconds} < "
                f"{initial_seconds}): raise maximum_seconds"
            )
        if multiplier < 1:
            raise ValueError(f"multiplier must be >= 1 (got {multiplier})")
        if not 0 <= jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1 (got {jitter})")
        self.initial_seconds = initial_seconds
        self.maximum_seconds = maximum_seconds
        self.multiplier = multiplier
        self.jitter = jitter

    def delay(self, attempt: int) -> float:
        """Return the delay before retry number ``attempt``; see the class docstring."""
        exponent = min(max(attempt, 1) - 1, 64)
        base = min(self.maximum_seconds, self.initial_seconds * self.multiplier**exponent)
        return base - random.uniform(0, base * self.jitter)

    def __repr__(self) -> str:
        return (
            f"ExponentialBackoff(initial_seconds={self.initial_seconds:g}, "
            f"maximum_seconds={self.maximum_seconds:g}, multiplier={self.multiplier:g}, "
            f"jitter={self.jitter:g})"
        )


class ConstantBackoff:
    """The same delay for every attempt.

    Args:
        seconds: The delay. Default: ``30.0``.

    Raises:
        ValueError: ``seconds`` is negative.
    """

    def __init__(self, seconds: float = 30.0) -> None:
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0 (got {seconds})")
        self.seconds = seconds

    def delay(self, attempt: int) -> float:
        """Return ``seconds`` whatever the attempt."""
        return self.seconds

    def __repr__(self) -> str:
        return f"ConstantBackoff(seconds={self.seconds:g})"


@runtime_checkable
class ShutdownPolicy(Protocol):
    """Decides whether the worker stops by itself (besides ``stop()`` and SIGTERM)."""

    def should_stop(self, *, idle_seconds: float, processed: int) -> bool:
        """Return True to end ``run()`` gracefully.

        Args:
            idle_seconds: Seconds since the worker last held a message (0 while busy).
            processed: Messages finished so far (any outcome).
        """
        ...


class NeverShutdown:
    """Run until ``stop()`` or a signal: what a service task wants."""

    def should_stop(self, *, idle_seconds: float, processed: int) -> bool:
        """Always False."""
        return False

    def __repr__(self) -> str:
        return "NeverShutdown()"


class IdleShutdown:
    """Stop after the queue has given nothing for ``idle_seconds`` (batch jobs, local runs).

    Args:
        idle_seconds: Idle time after which ``run()`` returns.

    Raises:
        ValueError: ``idle_seconds`` is not a positive, finite number.
    """

    def __init__(self, idle_seconds: float) -> None:
        if not (isinstance(idle_seconds, int | float) and 0 < idle_seconds < math.inf):
            raise ValueError(
                f"idle_seconds must be a positive, finite number of seconds (got {idle_seconds!r})"
            )
        self.idle_seconds = idle_seconds

    def should_stop(self, *, idle_seconds: float, processed: int) -> bool:
        """True once idle for at least ``idle_seconds``."""
        return idle_seconds >= self.idle_seconds

    def __repr__(self) -> str:
        return f"IdleShutdown(idle_seconds={self.idle_seconds:g})"


class MaxMessagesShutdown:
    """Stop after ``max_messages`` messages are finished (e.g. to recycle a leaky process).

    Args:
        max_messages: Messages to finish before ``run()`` returns.

    Raises:
        ValueError: ``max_messages`` is not a whole number of at least 1.
    """

    def __init__(self, max_messages: int) -> None:
        if not isinstance(max_messages, int) or isinstance(max_messages, bool) or max_messages < 1:
            raise ValueError(f"max_messages must be >= 1 (got {max_messages})")
        self.max_messages = max_messages

    def should_stop(self, *, idle_seconds: float, processed: int) -> bool:
        """True once ``processed >= max_messages``."""
        return processed >= self.max_messages

    def __repr__(self) -> str:
        return f"MaxMessagesShutdown(max_messages={self.max_messages})"
