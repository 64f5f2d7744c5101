"""What a minute boundary records: the queue's and the service's figures for the minute.

SQS's gauges come from the minute's seeded sample, its activity sums from the minute's count;
the DLQ's depth and the service's CPU, running and desired counts are read at the boundary.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqs_scale_to_zero.simulate.models.metrics import (
    GaugeSample,
    QueueGauges,
    ServiceGauges,
    Snapshot,
)
from sqs_scale_to_zero.simulate.models.queue import SqsQueue
from sqs_scale_to_zero.simulate.models.tasks import Task
from sqs_scale_to_zero.simulate.template.specs import ServiceModel


def take_task_seconds(
    tasks: Iterable[Task], now: float, cpu: float, run: float
) -> tuple[float, float, int]:
    """``(cpu_seconds, run_seconds, running)``: ``cpu`` and ``run`` plus the running tasks'.

    Each task's counters are taken (reset to 0), so that the next minute counts afresh.
    """
    running = 0
    for task in tasks:
        if task.billed_running:
            running += 1
            task.accumulate(now)
            cpu += task.cpu_seconds
            run += task.run_seconds
            task.cpu_seconds = task.run_seconds = 0.0
    return cpu, run, running


def minute_snapshot(
    now: float,
    model: ServiceModel,
    queue: SqsQueue,
    sample: GaugeSample | None,
    polled: dict[tuple[str, str], QueueGauges],
    *,
    cpu_seconds: float,
    run_seconds: float,
    running: int,
    desired: int,
) -> Snapshot:
    """The snapshot of the minute ending at ``now``; takes the queue's activity counts.

    Args:
        now: The minute boundary.
        model: The service.
        queue: The simulated queue.
        sample: SQS's gauge sample of the minute (read now if the minute had none).
        polled: What scheduled functions read during the minute.
        cpu_seconds: CPU-weighted running time of the service's tasks during the minute.
        run_seconds: Running time of the service's tasks during the minute.
        running: Tasks running at the boundary.
        desired: The desired count at the boundary.

    Returns:
        The snapshot, for :meth:`.metrics.MetricStore.record_minute`.
    """
    snapshot = Snapshot(now, polled=polled)
    if sample is None:  # only a partial last minute, which a timeline records at the horizon
        sample = GaugeSample(*queue.gauges(), queue.oldest_age(now))
    activity = queue.take_activity()
    snapshot.queues[model.queue.logical_id] = QueueGauges(
        sample.visible,
        sample.in_flight,
        sample.delayed,
        queue.publishing(now),
        oldest_age=sample.oldest_age,
        sent=activity.sent,
        received=activity.received,
        deleted=activity.deleted,
    )
    if model.dlq is not None:
        dead = queue.counters.dead_lettered
        snapshot.queues[model.dlq.logical_id] = QueueGauges(dead, 0, 0, dead > 0)
    snapshot.services[model.logical_id] = ServiceGauges(
        cpu_seconds / run_seconds if run_seconds > 0 else None,
        running,
        desired,
        model.container_insights,
    )
    return snapshot
