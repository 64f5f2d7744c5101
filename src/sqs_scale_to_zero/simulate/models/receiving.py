"""How a task's worker receives: how many messages it holds, and when it asks for more.

As our worker's receive loop does (``sqs_scale_to_zero.worker``), with the values it shares
through the contract:

* It holds at most its handlers (the concurrency) plus the prefetch: the messages the handlers
  are expected to start within ``prefetch_seconds``, judged by the running average of their
  durations (weight :data:`~sqs_scale_to_zero.worker.contract.PREFETCH_DURATION_WEIGHT` for the
  newest), at most :data:`~sqs_scale_to_zero.worker.contract.SQS_MAX_BATCH_SIZE` more; no
  prefetch before a first message has finished. A consumer other than ours has no prefetch.
* While messages it received ahead still wait for a handler, it receives again only once half
  of the prefetch is free, rather than one message at a time.
* It receives nothing while it is paused or drains for a deploy, or once it is stopping.
* The worker's short wait for a fuller batch before a receive (50 ms) is left out.
"""

from __future__ import annotations

from sqs_scale_to_zero.simulate.models.tasks import Task, TaskState
from sqs_scale_to_zero.simulate.template.specs import TaskSpec
from sqs_scale_to_zero.worker import contract


def receive_limit(task: Task, spec: TaskSpec) -> int:
    """The most messages ``task``'s worker holds: its handlers plus the prefetch."""
    average = task.average_seconds
    prefetch = 0
    if average is not None and spec.prefetch_seconds > 0:
        expected = spec.concurrency * spec.prefetch_seconds / max(average, 1e-3)
        prefetch = min(contract.SQS_MAX_BATCH_SIZE, int(expected))
    return spec.concurrency + prefetch


def receiving(task: Task, spec: TaskSpec) -> bool:
    """Whether ``task``'s worker receives now (its receive would take a visible message)."""
    if task.state is not TaskState.RUNNING or task.draining or task.paused_since is not None:
        return False
    held, limit, handlers = task.held, receive_limit(task, spec), spec.concurrency
    if held >= limit:
        return False
    return held <= handlers or limit - held >= (limit - handlers + 1) // 2


def note_duration(task: Task, seconds: float) -> None:
    """Fold one handler's duration into the running average that sizes the prefetch."""
    average = task.average_seconds
    weight = contract.PREFETCH_DURATION_WEIGHT
    task.average_seconds = seconds if average is None else average * (1 - weight) + seconds * weight
