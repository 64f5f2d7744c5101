"""ECS service and Fargate tasks in virtual time.

Modelled behaviour (Amazon ECS Developer Guide):

* A new task is billed and provisioning from launch, and starts polling after a start latency
  (image pull, ENI attach, container start) drawn from a triangular distribution.
* Stopping a task sends SIGTERM; the worker stops receiving, may finish its message, and is
  killed (SIGKILL) after the container's ``stopTimeout`` (default 30 s on Fargate).
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
* On scale-in the scheduler does not know which tasks are busy: tasks still starting are
  stopped first, then running tasks at random (seeded). Tasks with scale-in protection are
  never chosen; they keep working, and are stopped once protection is released if the service
  still has more tasks than desired.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html
* The worker runtime protects its task while it works on a message when the container sets
  ``SCALE_TO_ZERO_TASK_PROTECTION=enabled``.
* ``CPUUtilization`` counts running tasks only: a task's CPU is the message's ``cpu_percent``
  while working and an idle baseline otherwise.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import Enum

from sqs_scale_to_zero.simulate.models.queue import Message


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


class Task:
    """One Fargate task.

    Attributes:
        id: Sequence number.
        launched_at: When it was launched (billing starts).
        state: Its :class:`TaskState`.
        message: The message it is working on, if any.
        work_started: When it started on ``message``.
        protected: Scale-in protection is set.
        stopped_at: When it stopped.
        busy_seconds: Time spent working on messages.
        ready_at: When it started polling (left provisioning), if it did.
        served: Messages it has started working on.
        initial: It existed at time 0 (deployed before the workload started).
        revision: The deployment whose task definition it runs (0: the one deployed before the
            run; ``k``: the ``k``-th deployment of the run).
        draining: It found itself outdated and drains (takes no new message, exits when idle).
        paused_since: Since when it takes no new message because a newer deployment has no
            running task yet (``None``: not paused).
        pause_spent: It already waited :data:`~sqs_scale_to_zero.worker.contract.
            DEPLOY_PAUSE_LIMIT_SECONDS` for the current deployment and went back to work.
        retired_by: The deployment that sent it SIGTERM, if one did (else 0).
    """

    __slots__ = (
        "busy_seconds",
        "cpu_now",
        "cpu_seconds",
        "draining",
        "id",
        "initial",
        "last_acc",
        "launched_at",
        "message",
        "pause_spent",
        "paused_since",
        "protected",
        "ready_at",
        "retired_by",
        "revision",
        "run_seconds",
        "served",
        "state",
        "stopped_at",
        "work_epoch",
        "work_started",
    )

    def __init__(self, id: int, now: float) -> None:
        self.id = id
        self.launched_at = now
        self.state = TaskState.PROVISIONING
        self.message: Message | None = None
        self.work_started = 0.0
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
