"""Fargate tasks in virtual time: their states, start latency, and which ones scale-in stops.

Modelled behaviour (Amazon ECS Developer Guide):

* A new task is billed and provisioning from launch, and starts polling after a start latency
  (image pull, ENI attach, container start) drawn from a triangular distribution.
* Stopping a task sends SIGTERM; the worker stops receiving, hands back the messages it has
  not started, may finish the ones it runs, and is killed (SIGKILL) after the container's
  ``stopTimeout`` (default 30 s on Fargate).
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
* On scale-in the scheduler does not know which tasks are busy: tasks still starting are
  stopped first, then running tasks at random (seeded). Tasks with scale-in protection are
  never chosen; they keep working, and are stopped once protection is released if the service
  still has more tasks than desired.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html
* The worker runtime protects its task while it holds a message when the container sets
  ``SCALE_TO_ZERO_TASK_PROTECTION=enabled``.
* ``CPUUtilization`` counts running tasks only: a task's CPU is the sum of the ``cpu_percent``
  of the messages its handlers run (at most 100) while working, and an idle baseline otherwise.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.delivery import delivery_mode, runs_runtime
from sqs_scale_to_zero.simulate.models.queue import Message
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template, number
from sqs_scale_to_zero.simulate.template.specs import DEFAULT_FARGATE_STOP_TIMEOUT, TaskSpec
from sqs_scale_to_zero.worker import contract


class TaskState(Enum):
    """Where a Fargate task is in its life."""

    PROVISIONING = "provisioning"
    """Launched and billed, not yet polling (image pull, ENI attach, container start)."""
    RUNNING = "running"
    """Polling the queue or working on a message."""
    STOPPING = "stopping"
    """SIGTERM sent: finishing or releasing its message before it exits or is killed."""
    STOPPED = "stopped"
    """Exited or killed; no longer billed."""


@dataclass(frozen=True)
class StartLatency:
    """Triangular distribution of task start latency in seconds.

    Attributes:
        low: Fastest start. Default: 25.
        mode: Most likely start. Default: 40.
        high: Slowest start. Default: 120.
    """

    low: float = 25.0
    mode: float = 40.0
    high: float = 120.0

    def sample(self, rng: random.Random) -> float:
        """Draw one start latency (``low`` when the distribution has no spread)."""
        if self.high <= self.low:
            return self.low
        return rng.triangular(self.low, self.high, self.mode)

    def quantile(self, q: float) -> float:
        """The latency below which a fraction ``q`` (0-1) of starts fall (inverse CDF)."""
        low, mode, high = self.low, self.mode, self.high
        if high <= low:
            return low
        q = min(max(q, 0.0), 1.0)
        if q < (mode - low) / (high - low):
            return low + math.sqrt(q * (high - low) * (mode - low))
        return high - math.sqrt((1.0 - q) * (high - low) * (high - mode))


class Work:
    """One message a task's worker runs on one of its handlers.

    Attributes:
        task: The task whose worker runs it.
        message: The message.
        received_at: When the worker received it.
        started_at: When a handler started on it.
    """

    __slots__ = ("message", "received_at", "started_at", "task")

    def __init__(self, task: Task, message: Message, received_at: float, started_at: float) -> None:
        self.task = task
        self.message = message
        self.received_at = received_at
        self.started_at = started_at


class Task:
    """One Fargate task.

    Attributes:
        id: Sequence number.
        launched_at: When it was launched (billing starts).
        state: Its :class:`TaskState`.
        running: The messages its handlers are working on (at most the worker's concurrency).
        waiting: Messages it received ahead (the worker's prefetch), each with the time it was
            received, in the order they start.
        busy_since: Since when at least one handler has been working (``None``: none is).
        average_seconds: The running average of its handlers' durations, which sizes the
            prefetch (``None`` before the first message finishes).
        protected: Scale-in protection is set.
        stopped_at: When it stopped.
        busy_seconds: Time during which at least one handler was working.
        ready_at: When it started polling (left provisioning), if it did.
        served: Messages it has started working on.
        initial: It existed at time 0 (deployed before the workload started).
        revision: The deployment whose task definition it runs (0: the one deployed before the
            run; ``k``: the ``k``-th deployment of the run).
        draining: It found itself outdated and drains (takes no new message, exits when idle).
        paused_since: Since when it takes no new message because a newer deployment has no
            running task yet (``None``: not paused).
        pause_spent: It already waited :data:`~sqs_scale_to_zero.worker.contract.
            DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS` for the current deployment and went back to work.
        retired_by: The deployment that sent it SIGTERM, if one did (else 0).
    """

    __slots__ = (
        "average_seconds",
        "busy_seconds",
        "busy_since",
        "cpu_now",
        "cpu_seconds",
        "draining",
        "id",
        "initial",
        "last_acc",
        "launched_at",
        "pause_spent",
        "paused_since",
        "protected",
        "ready_at",
        "retired_by",
        "revision",
        "run_seconds",
        "running",
        "served",
        "state",
        "stopped_at",
        "waiting",
        "work_epoch",
    )

    def __init__(self, id: int, now: float) -> None:
        self.id = id
        self.launched_at = now
        self.state = TaskState.PROVISIONING
        self.running: list[Work] = []
        self.waiting: deque[tuple[Message, float]] = deque()
        self.busy_since: float | None = None
        self.average_seconds: float | None = None
        self.work_epoch = 0
        self.protected = False
        self.stopped_at: float | None = None
        self.ready_at: float | None = None
        self.served = 0
        self.initial = False
        self.busy_seconds = 0.0
        self.cpu_now = 0.0
        self.cpu_seconds = 0.0
        self.run_seconds = 0.0
        self.last_acc = now
        self.revision = 0
        self.draining = False
        self.paused_since: float | None = None
        self.pause_spent = False
        self.retired_by = 0

    @property
    def held(self) -> int:
        """Messages it holds: running and received ahead."""
        return len(self.running) + len(self.waiting)

    @property
    def active(self) -> bool:
        """Provisioning or running: the task counts toward the service's desired count."""
        return self.state is TaskState.PROVISIONING or self.state is TaskState.RUNNING

    @property
    def billed_running(self) -> bool:
        """Running or stopping: the container runs and shows in ``CPUUtilization``."""
        return self.state is TaskState.RUNNING or self.state is TaskState.STOPPING

    def accumulate(self, now: float) -> None:
        """Add CPU-seconds and running seconds since the last call (for the minute's CPU metric)."""
        if self.billed_running:
            dt = now - self.last_acc
            self.cpu_seconds += self.cpu_now * dt
            self.run_seconds += dt
        self.last_acc = now


def choose_tasks_to_stop(tasks: list[Task], count: int, rng: random.Random) -> list[Task]:
    """Pick ``count`` tasks for scale-in.

    Starting tasks go first (newest first), then running tasks at random; protected tasks are
    never picked.
    """
    starting = sorted(
        (t for t in tasks if t.state is TaskState.PROVISIONING), key=lambda t: -t.launched_at
    )
    running = [t for t in tasks if t.state is TaskState.RUNNING and not t.protected]
    rng.shuffle(running)
    return (starting + running)[:count]


# --- what the template says ------------------------------------------------------------------


def read_task(template: Template, service_id: str, props: dict[str, Any]) -> TaskSpec:
    """The part of the service's task definition the simulator uses.

    Raises:
        SimulationInputError: The service has no task definition in the template, or a
            concurrency that is not a whole number of handlers.
    """
    ids = referenced_ids(props.get("TaskDefinition"))
    tasks = template.of_type("AWS::ECS::TaskDefinition")
    tid = next((i for i in ids if i in tasks), None)
    if tid is None:
        raise SimulationInputError(
            f"{template.name}: ECS service {service_id} has no task definition in the template"
        )
    tprops = tasks[tid]
    env: dict[str, str] = {}
    stop_timeout = DEFAULT_FARGATE_STOP_TIMEOUT
    for container in tprops.get("ContainerDefinitions") or []:
        for item in container.get("Environment") or []:
            env[str(item.get("Name"))] = str(item.get("Value"))
        if container.get("StopTimeout") is not None:
            stop_timeout = number(container.get("StopTimeout"), stop_timeout)
    platform = tprops.get("RuntimePlatform") or {}
    grace = env.get(contract.SHUTDOWN_GRACE_SECONDS)
    delivery = delivery_mode(env)
    worker_runtime = runs_runtime(delivery)
    return TaskSpec(
        cpu_units=int(number(tprops.get("Cpu"), 256)),
        memory_mib=int(number(tprops.get("Memory"), 512)),
        arm64=str(platform.get("CpuArchitecture", "")).upper() == "ARM64",
        stop_timeout=stop_timeout,
        task_protection=env.get(contract.TASK_PROTECTION) == "enabled",
        shutdown_grace=number(grace, 0.0) if grace is not None else None,
        extends_visibility=worker_runtime,
        concurrency=_concurrency(template, service_id, env),
        prefetch_seconds=contract.DEFAULT_PREFETCH_SECONDS if worker_runtime else 0.0,
        delivery=delivery,
        environment=env,
    )


def _concurrency(template: Template, service_id: str, env: dict[str, str]) -> int:
    """The worker's handlers, as its CLI reads them from the container's environment."""
    value = env.get(contract.CONCURRENCY)
    if value is None:
        return 1
    try:
        count = int(value.strip())
    except ValueError:
        count = 0
    if count < 1:
        raise SimulationInputError(
            f"{template.name}: ECS service {service_id}: {contract.CONCURRENCY} must be a whole "
            f"number of handlers, at least 1 (got {value!r})"
        )
    return count
