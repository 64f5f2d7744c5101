"""A run minute by minute: what each minute boundary's snapshot recorded, and every message.

Each :class:`MinuteRow` is read from the minute's
:class:`~sqs_scale_to_zero.simulate.models.metrics.Snapshot` (the figures CloudWatch gets) and
the alarms' states after that boundary's evaluation; nothing is counted a second time. The
queue's ``visible`` and ``in_flight`` are SQS's one sample of the minute (see
:mod:`..models.metrics`), not the counts at the boundary. ``started`` and ``finished`` come
from the messages' own records at the end of the run: the successful processing of each
processed message, in the minute ``(end - 60 s, end]`` that holds its start or end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqs_scale_to_zero.simulate.models.metrics import Snapshot
from sqs_scale_to_zero.simulate.models.queue import Message, MessageState
from sqs_scale_to_zero.simulate.template.specs import ServiceModel

MINUTE = 60.0

PROCESSED, DEAD_LETTERED, UNPROCESSED = "processed", "dead-lettered", "unprocessed"
"""A message's outcome at the horizon."""


@dataclass
class MinuteRow:
    """One minute of a run, as its boundary's snapshot recorded it.

    Attributes:
        minute: The minute's number from 0.
        end: The boundary in seconds (the horizon for a last, partial minute).
        visible: Messages available, at SQS's sample of the minute.
        in_flight: Messages received and not yet deleted, at the sample.
        queue_publishing: SQS sent the queue's metrics this minute (False while inactive).
        sent: Messages sent during the minute.
        received: Messages received during the minute (each receive of each message).
        deleted: Deletions during the minute.
        tasks_desired: The desired count at the boundary, before scaling acts on it.
        tasks_running: Tasks running at the boundary.
        cpu_percent: The service's average CPU over the minute; ``None`` with no task running.
        alarms: Each alarm's state after the boundary's evaluation, in template order.
        started: Processed messages whose successful processing began in the minute.
            Default: 0 (set when the run ends).
        finished: Processed messages finished in the minute. Default: 0 (set when the run ends).
    """

    minute: int
    end: float
    visible: int
    in_flight: int
    queue_publishing: bool
    sent: int
    received: int
    deleted: int
    tasks_desired: int
    tasks_running: int
    cpu_percent: float | None
    alarms: tuple[str, ...]
    started: int = 0
    finished: int = 0


@dataclass(frozen=True)
class MessageRecord:
    """One workload message at the end of a run.

    Attributes:
        message: Its number in the workload, in send order.
        sent: When it was sent, in seconds.
        started: When its successful processing began; ``None`` unless processed.
        finished: When that processing ended; ``None`` unless processed.
        outcome: :data:`PROCESSED`, :data:`DEAD_LETTERED` or :data:`UNPROCESSED`.
        receives: Times it was received.
    """

    message: int
    sent: float
    started: float | None
    finished: float | None
    outcome: str
    receives: int

    @property
    def wait(self) -> float | None:
        """Seconds from send to the start of its successful processing; ``None`` unless processed."""
        return None if self.started is None else self.started - self.sent


def _minute_of(at: float) -> int:
    """The minute ``(end - 60 s, end]`` holding ``at``: an action at a boundary ends its minute."""
    return max(0, math.ceil(at / MINUTE) - 1)


@dataclass
class Timeline:
    """A run minute by minute, and every message (see the module's docstring).

    Attributes:
        alarm_ids: The logical IDs of the alarms of :attr:`MinuteRow.alarms`, in order.
        rows: One per minute boundary, and one for a partial minute before the horizon.
        messages: One per workload message, in send order (set when the run ends).
    """

    alarm_ids: tuple[str, ...]
    rows: list[MinuteRow] = field(default_factory=list)
    messages: list[MessageRecord] = field(default_factory=list)

    def record(self, snapshot: Snapshot, model: ServiceModel, alarm_states: Sequence[str]) -> None:
        """Add the row of the minute ending at ``snapshot.now``."""
        queue = snapshot.queues[model.queue.logical_id]
        service = snapshot.services[model.logical_id]
        self.rows.append(
            MinuteRow(
                minute=len(self.rows),
                end=snapshot.now,
                visible=queue.visible,
                in_flight=queue.in_flight,
                queue_publishing=queue.publishing,
                sent=queue.sent,
                received=queue.received,
                deleted=queue.deleted,
                tasks_desired=service.desired,
                tasks_running=service.running,
                cpu_percent=service.cpu_percent,
                alarms=tuple(alarm_states),
            )
        )

    def close(self, messages: Sequence[Message]) -> None:
        """Record every message and count each minute's starts and finishes."""
        for msg in messages:
            done = msg.state is MessageState.DONE and msg.started_at is not None
            started = msg.started_at if done else None
            finished = started + msg.work_seconds if started is not None else None
            outcome = (
                PROCESSED
                if done
                else DEAD_LETTERED
                if msg.state is MessageState.DEAD
                else UNPROCESSED
            )
            self.messages.append(
                MessageRecord(msg.id, msg.sent_at, started, finished, outcome, msg.receive_count)
            )
            if started is not None and finished is not None and self.rows:
                last = len(self.rows) - 1
                self.rows[min(_minute_of(started), last)].started += 1
                self.rows[min(_minute_of(finished), last)].finished += 1
