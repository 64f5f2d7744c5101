"""A message the worker holds: received, not yet deleted or handed back."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqs_scale_to_zero.worker.message import Message

SQS_MAX_VISIBILITY_SECONDS = 43200
"""SQS's cap: a message can stay invisible at most 12 hours after it was received."""

CAP_SAFETY_SECONDS = 5.0
"""Seconds kept clear of the 12-hour cap, since the receive time is only known approximately."""


class JobState(enum.Enum):
    """Where a held message is in its life."""

    QUEUED = "queued"
    """Received, waiting for a free handler (or for its FIFO group's turn)."""
    RUNNING = "running"
    """A handler is working on it."""
    FINISHING = "finishing"
    """The handler returned; the delete or visibility change is on its way."""
    DONE = "done"
    """Deleted or handed back: the worker no longer holds it."""


@dataclass(eq=False)
class Job:
    """One held message and its visibility deadline.

    Attributes:
        message: The message.
        received_at: ``time.monotonic()`` just before the receive call that returned it
            (never later than SQS's own receive time, so deadlines err on the early side).
        visible_until: ``time.monotonic()`` at which SQS may hand it to someone else.
        state: See ``JobState``.
    """

    message: Message
    received_at: float
    visible_until: float
    state: JobState = JobState.QUEUED

    def remaining_cap(self, now: float) -> float:
        """Seconds of visibility SQS still allows before its 12-hour cap, with a margin."""
        return SQS_MAX_VISIBILITY_SECONDS - (now - self.received_at) - CAP_SAFETY_SECONDS
