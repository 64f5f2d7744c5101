"""An SQS queue in virtual time: visible, in-flight and delayed messages, redrive, inactivity.

Semantics modelled (Amazon SQS Developer Guide):

* Visibility timeout: a received message is in flight and hidden until deleted or until its
  visibility timeout lapses, then visible again.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
* Dead-letter queues: when a message's receive count exceeds ``maxReceiveCount`` it is moved
  to the DLQ instead of being delivered.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
* Delay queues: ``DelaySeconds`` hides new messages for that long.
* Inactive queues: a queue with no messages and no API calls for about six hours is inactive
  and sends no CloudWatch metrics; when activated, "a delay of up to 15 minutes occurs in
  CloudWatch metrics". https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/monitoring-using-cloudwatch.html
  Workers that long-poll the queue make API calls, so a queue with a running worker stays active.

Messages are received in arrival order (FIFO queues keep that order; standard queues
roughly do).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template, number
from sqs_scale_to_zero.simulate.template.specs import AlarmSpec, QueueSpec, TaskSpec
from sqs_scale_to_zero.worker import contract

INACTIVE_AFTER_SECONDS = 6 * 3600.0
"""No messages and no API calls for this long makes a queue inactive (SQS guide)."""

WAKE_METRICS_DELAY_MAX = 900.0
"""Up to this many seconds of missing metrics after an inactive queue is activated."""


class MessageState(Enum):
    """Where a message is in the queue."""

    DELAYED = "delayed"
    """Sent, hidden by the delivery delay (``DelaySeconds``)."""
    VISIBLE = "visible"
    """Available for retrieval."""
    IN_FLIGHT = "in_flight"
    """Received, neither deleted nor back to visible."""
    DONE = "done"
    """Deleted after processing."""
    DEAD = "dead"
    """Moved to the dead-letter queue."""


_FINISHED = (MessageState.DONE, MessageState.DEAD)


class Message:
    """One workload message as it travels through the queue.

    Attributes:
        id: Sequence number in the workload.
        sent_at: Enqueue time (seconds).
        work_seconds: Processing time it needs.
        cpu_percent: Task CPU while working on it.
        receive_count: Times it has been received.
        state: Its :class:`MessageState`.
        epoch: Bumped whenever it becomes visible or is received (stale events are ignored).
        started_at: Start of the processing that succeeded (set when done).
    """

    __slots__ = (
        "cpu_percent",
        "epoch",
        "id",
        "receive_count",
        "sent_at",
        "started_at",
        "state",
        "work_seconds",
    )

    def __init__(self, id: int, sent_at: float, work_seconds: float, cpu_percent: float) -> None:
        self.id = id
        self.sent_at = sent_at
        self.work_seconds = work_seconds
        self.cpu_percent = cpu_percent
        self.receive_count = 0
        self.state = MessageState.DELAYED
        self.epoch = 0
        self.started_at: float | None = None


@dataclass
class QueueCounters:
    """Totals reported at the end of a run."""

    dead_lettered: int = 0
    receives: int = 0


@dataclass
class QueueActivity:
    """What happened to the queue since the last :meth:`SqsQueue.take_activity` (one minute).

    Attributes:
        sent: Messages sent (``NumberOfMessagesSent``).
        received: Messages returned by receives (``NumberOfMessagesReceived``).
        deleted: Successful deletions, a repeated deletion of a message included
            (``NumberOfMessagesDeleted``).
    """

    sent: int = 0
    received: int = 0
    deleted: int = 0


class SqsQueue:
    """One source queue (with its redrive policy).

    Args:
        spec: The queue from the template.
        wake_delay: Returns the metrics delay after an activation, in seconds (sampled per
            activation; the run draws it uniformly from 0 to :data:`WAKE_METRICS_DELAY_MAX`).
    """

    def __init__(self, spec: QueueSpec, wake_delay: Callable[[], float]) -> None:
        self.spec = spec
        self._visible: deque[tuple[Message, int]] = deque()
        self.n_visible = 0
        self.n_in_flight = 0
        self.n_delayed = 0
        self.counters = QueueCounters()
        self.activity = QueueActivity()
        self._unfinished: deque[Message] = deque()
        self.last_active = 0.0
        self.metrics_resume_at = 0.0
        self._wake_delay = wake_delay

    # --- activity ------------------------------------------------------------------

    def touch(self, now: float) -> None:
        """Record an API call or the presence of messages at ``now``."""
        self.last_active = now

    def inactive(self, now: float) -> bool:
        """Whether the queue is inactive at ``now``."""
        return now - self.last_active >= INACTIVE_AFTER_SECONDS

    def publishing(self, now: float) -> bool:
        """Whether SQS sends this queue's metrics for the minute ending at ``now``."""
        return not self.inactive(now) and now >= self.metrics_resume_at

    def gauges(self) -> tuple[int, int, int]:
        """``(visible, in_flight, delayed)`` right now."""
        return self.n_visible, self.n_in_flight, self.n_delayed

    def oldest_age(self, now: float) -> float | None:
        """Seconds since the oldest unfinished message was sent, or ``None`` if there is none.

        Unfinished: neither deleted nor dead-lettered. With none, SQS reports no
        ``ApproximateAgeOfOldestMessage``.
        """
        unfinished = self._unfinished
        while unfinished and unfinished[0].state in _FINISHED:
            unfinished.popleft()
        return now - unfinished[0].sent_at if unfinished else None

    def take_activity(self) -> QueueActivity:
        """The activity since the last call, and start counting afresh."""
        activity, self.activity = self.activity, QueueActivity()
        return activity

    # --- messages --------------------------------------------------------------------

    def send(self, msg: Message, now: float) -> float:
        """Enqueue ``msg``; returns when it becomes visible (call :meth:`make_visible` then)."""
        if self.inactive(now):
            self.metrics_resume_at = now + self._wake_delay()
        self.touch(now)
        msg.state = MessageState.DELAYED
        self.n_delayed += 1
        self.activity.sent += 1
        self._unfinished.append(msg)
        return now + self.spec.delay_seconds

    def make_visible(self, msg: Message) -> None:
        """Move a delayed or in-flight message to visible."""
        if msg.state is MessageState.DELAYED:
            self.n_delayed -= 1
        elif msg.state is MessageState.IN_FLIGHT:
            self.n_in_flight -= 1
        else:
            return
        msg.state = MessageState.VISIBLE
        msg.epoch += 1
        self.n_visible += 1
        self._visible.append((msg, msg.epoch))

    def receive(self, now: float) -> Message | None:
        """Receive the oldest visible message (redriving ones over ``maxReceiveCount``)."""
        self.touch(now)
        while self._visible:
            msg, epoch = self._visible.popleft()
            if msg.state is not MessageState.VISIBLE or msg.epoch != epoch:
                continue
            self.n_visible -= 1
            max_rc = self.spec.max_receive_count
            if max_rc is not None and msg.receive_count >= max_rc:
                msg.state = MessageState.DEAD
                self.counters.dead_lettered += 1
                continue
            msg.receive_count += 1
            msg.state = MessageState.IN_FLIGHT
            msg.epoch += 1
            self.n_in_flight += 1
            self.counters.receives += 1
            self.activity.received += 1
            return msg
        return None

    def delete(self, msg: Message, now: float) -> None:
        """Delete a processed message wherever it is (in flight or visible again).

        Deleting a message again (a duplicate delivery finishing late) still counts as a
        deletion, as ``NumberOfMessagesDeleted`` does for every valid receipt handle.
        """
        self.touch(now)
        self.activity.deleted += 1
        if msg.state is MessageState.IN_FLIGHT:
            self.n_in_flight -= 1
        elif msg.state is MessageState.VISIBLE:
            self.n_visible -= 1
        elif msg.state is MessageState.DELAYED:
            self.n_delayed -= 1
        msg.state = MessageState.DONE

    @property
    def empty(self) -> bool:
        """No visible, in-flight or delayed messages."""
        return self.n_visible == 0 and self.n_in_flight == 0 and self.n_delayed == 0


# --- what the template says ------------------------------------------------------------------


def read_queues(template: Template) -> dict[str, QueueSpec]:
    """Every queue of the template, by logical ID."""
    out: dict[str, QueueSpec] = {}
    for qid, qprops in template.of_type("AWS::SQS::Queue").items():
        redrive = qprops.get("RedrivePolicy") or {}
        if isinstance(redrive, str):
            redrive = json.loads(redrive)
        dlq_ids = referenced_ids(redrive.get("deadLetterTargetArn"))
        name = qprops.get("QueueName")
        out[qid] = QueueSpec(
            logical_id=qid,
            name=name if isinstance(name, str) and "{" not in name else qid,
            visibility_timeout=number(
                qprops.get("VisibilityTimeout"), contract.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS
            ),
            delay_seconds=number(qprops.get("DelaySeconds"), 0.0),
            max_receive_count=int(redrive["maxReceiveCount"])
            if "maxReceiveCount" in redrive
            else None,
            dlq_logical_id=dlq_ids[0] if dlq_ids else None,
        )
    return out


def read_service_queue(
    template: Template, service_id: str, task: TaskSpec, alarms: list[AlarmSpec]
) -> QueueSpec:
    """The queue the service consumes: named in its environment, watched by its alarms, or the only one.

    Raises:
        SimulationInputError: Several candidate queues and no link to tell them apart.
    """
    queues = read_queues(template)
    dlqs = {q.dlq_logical_id for q in queues.values() if q.dlq_logical_id}
    for value in task.environment.values():
        for rid in referenced_ids(value):
            if rid in queues:
                return queues[rid]
    for alarm in alarms:
        for q in alarm.queries:
            if q.metric and q.metric.subject in queues and q.metric.subject not in dlqs:
                return queues[q.metric.subject]
    candidates = [q for qid, q in queues.items() if qid not in dlqs]
    if len(candidates) == 1:
        return candidates[0]
    raise SimulationInputError(
        f"{template.name}: cannot tell which SQS queue ECS service {service_id} consumes "
        f"({len(candidates)} candidate queues and no QUEUE_NAME/QUEUE_URL environment link)"
    )
