"""What a run costs and how long its messages waited: the accounting done at the end of a run.

Billing follows Fargate's per-second model over each task's life (launch to stop, or the
horizon); the busy part is the time a task spent working on at least one message. The split of a wait
into the task's start and the rest is :func:`task_start_share`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqs_scale_to_zero.simulate.models.cost import FargatePricing
from sqs_scale_to_zero.simulate.models.instances.fleet import InstanceFleet
from sqs_scale_to_zero.simulate.models.queue import Message
from sqs_scale_to_zero.simulate.models.tasks import Task
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.template.specs import ServiceModel


def task_start_share(task: Task, msg: Message) -> float:
    """The part of ``msg``'s wait spent while ``task``, which then served it, was starting.

    From the later of the task's launch and the message's send to the task's first poll
    (``ready_at``); 0 for a task that was already running (or present at time 0). The rest of
    the wait (:attr:`.report.Result.waits` minus this) is the part the scaling path controls:
    seeing the message and asking for a task, or waiting behind other messages.
    """
    if task.initial or task.ready_at is None:
        return 0.0
    return max(0.0, task.ready_at - max(task.launched_at, msg.sent_at))


def bill_tasks(
    result: Result,
    tasks: Iterable[Task],
    model: ServiceModel,
    pricing: FargatePricing,
    horizon: float,
) -> None:
    """Add every task's billed hours, idle hours and cost to ``result``.

    Args:
        result: The run's result, updated in place.
        tasks: Every task of the run, each stopped (``stopped_at`` set) or still alive (then
            set to stop at the horizon).
        model: The service (its task size, architecture and capacity provider).
        pricing: Fargate prices.
        horizon: The end of the run: a task still alive is billed up to it.
    """
    spec = model.task
    busy = 0.0
    for task in tasks:
        if task.stopped_at is None:  # alive at the horizon: billed up to it, busy until then
            if task.busy_since is not None:
                task.busy_seconds += horizon - task.busy_since
            task.stopped_at = horizon
        alive = (task.stopped_at if task.stopped_at is not None else horizon) - task.launched_at
        result.task_hours += alive / 3600.0
        busy += task.busy_seconds
        if model.instances is None:  # on EC2 the instances are billed, not the tasks
            result.cost_usd += pricing.task_cost(
                alive, spec.cpu_units, spec.memory_mib, arm64=spec.arm64, spot=model.spot
            )
    result.idle_task_hours = max(0.0, result.task_hours - busy / 3600.0)


def bill_instances(result: Result, fleet: InstanceFleet, horizon: float) -> None:
    """Add the instances' launches, hours and cost (running and stopped) to ``result``."""
    hours, cost = fleet.finish(horizon)
    result.instance_launches = fleet.launches
    result.instance_warm_starts = fleet.warm_starts
    result.instance_hours = hours
    result.instance_cost_usd = cost
    result.cost_usd += cost
