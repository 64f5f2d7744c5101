"""Deployments in virtual time: a new task definition rolled out as the template declares it.

At each deployment time the service's task definition is replaced (tasks launched from then on
run the new one, "revision" ``k`` for the ``k``-th deployment) and ECS's rolling update replaces
the running tasks, bounded by the service's ``DeploymentConfiguration``
(:class:`~sqs_scale_to_zero.simulate.template.specs.DeploymentSpec`). Modelled behaviour (Amazon ECS
Developer Guide, "Deploy Amazon ECS services by replacing tasks"):

* ``minimumHealthyPercent`` of the desired count, rounded up, is the fewest tasks that must stay
  RUNNING and healthy; ``maximumPercent``, rounded down, the most tasks RUNNING or PENDING. With
  no container health check a task counts as healthy
  :data:`HEALTHY_AFTER_RUNNING_SECONDS` after it reaches RUNNING.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
* Each pass of the deployment scheduler stops old tasks still starting, then old running tasks
  (at random, seeded) while the healthy count stays at the minimum, then launches new tasks up
  to the desired count within the maximum. Stopping is SIGTERM and the container's stop
  timeout, as on scale-in (:mod:`..tasks`). Tasks with scale-in protection are never stopped.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html
* The docs do not say how soon the scheduler acts on a new deployment nor how often it retries a
  protected task; the model is pessimistic: a pass :data:`ROLLOUT_PASS_SECONDS` after the
  deployment and every :data:`ROLLOUT_PASS_SECONDS` while one is in progress, and nothing in
  between (a task that becomes healthy or unprotected waits for the next pass).
* Scaling during a rollout applies to the newest (PRIMARY) deployment: the desired count is
  its count, and the service launches and stops only its tasks for scaling.
* The circuit breaker trips on tasks that fail to start; the simulator's tasks always start,
  so it never does (the template's setting is read, see
  :attr:`~sqs_scale_to_zero.simulate.template.specs.DeploymentSpec.rollback`).
* A deployment is complete when no task of an earlier task definition is left and the service
  runs its desired count of tasks; one while the service is at zero completes at once, and the
  next wake runs the new task definition.

The drain, when the template gives the worker what it needs (:mod:`.reader`): each task checks
its service from its first poll, the first check after a uniformly random fraction of the
interval, then at the interval with a uniform jitter of
:data:`~sqs_scale_to_zero.worker.contract.DEPLOY_CHECK_JITTER`, as the worker does. A task is
outdated when it runs an earlier task definition than the PRIMARY deployment's. From that check
on it takes no new message; once the PRIMARY runs at least one task it finishes the message it
holds (releasing its protection) and exits on its own. If the PRIMARY has no running task
:data:`~sqs_scale_to_zero.worker.contract.DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS` after the task paused, it
goes back to work and exits at the first check that finds one. Checks take no virtual time and
draw from an RNG of their own (seeded by the run's seed), as do the scheduler's choices, so a
run without deployments draws exactly as before.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Protocol

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.kernel import Kernel
from sqs_scale_to_zero.simulate.models.tasks import Task, TaskState
from sqs_scale_to_zero.simulate.report import DeploymentResult
from sqs_scale_to_zero.simulate.template.specs import DeploymentSpec
from sqs_scale_to_zero.worker import contract

ROLLOUT_PASS_SECONDS = 60.0
"""Seconds from a deployment to the scheduler's first pass, and between passes (assumed)."""

HEALTHY_AFTER_RUNNING_SECONDS = 40.0
"""A task without a container health check counts as healthy this long after RUNNING (ECS)."""


def checked_deploy_times(times: Sequence[float], horizon: float) -> list[float]:
    """``times`` as seconds in order, each a deployment within the run.

    Raises:
        SimulationArgumentError: A time that is not a finite number from 0 to before the
            horizon.
    """
    values = sorted(float(t) for t in times)
    for value in values:
        if not (math.isfinite(value) and 0.0 <= value < horizon):
            raise SimulationArgumentError(
                f"deploy_at must be a number of seconds from 0 to before the horizon "
                f"({horizon:g}) (got {value:g})"
            )
    return values


class Fleet(Protocol):
    """What the deployment model needs of the service (:class:`..service.EcsService`)."""

    live: list[Task]

    @property
    def desired(self) -> int:
        """The service's desired count now."""
        ...

    def launch(self, now: float, running: bool = False) -> None:
        """Launch a task of the current task definition."""
        ...

    def sigterm(self, task: Task, now: float) -> None:
        """Stop ``task`` (SIGTERM; it exits at once when idle)."""
        ...

    def stop_receiving(self, task: Task, now: float) -> None:
        """``task``'s worker receives nothing more, and hands back what it has not started."""
        ...

    def resume_receiving(self, task: Task, now: float) -> None:
        """``task``'s worker receives again, if it has room."""
        ...


class DeploymentRuntime:
    """The deployments of one run.

    Args:
        fleet: The service whose tasks it replaces.
        kernel: The run's clock and event queue.
        spec: The service's rollout and drain.
        times: Deployment times in seconds, any order.
        seed: The run's seed.
        horizon: The run's horizon, in seconds.

    Raises:
        SimulationArgumentError: A time outside the run (:func:`checked_deploy_times`).
    """

    def __init__(
        self,
        fleet: Fleet,
        kernel: Kernel,
        spec: DeploymentSpec,
        times: Sequence[float],
        *,
        seed: int,
        horizon: float,
    ) -> None:
        self.fleet = fleet
        self._kernel = kernel
        self.spec = spec
        self.records = [DeploymentResult(at) for at in checked_deploy_times(times, horizon)]
        self.revision = 0
        self._rng = random.Random(f"deployments:{seed}")
        self._open: list[int] = []
        self._pass_due = False
        self._old_starts: dict[int, int] = {}
        self._checks = bool(self.records) and spec.drain_check_seconds is not None

    # --- the run's start and its tasks ----------------------------------------------------

    def start(self, now: float) -> None:
        """Schedule the deployments and the first check of the tasks already running."""
        for index, record in enumerate(self.records):
            self._kernel.schedule(record.at, self.on_deploy, None, index)
        for task in self.fleet.live:
            if task.state is TaskState.RUNNING:
                self.on_ready(task, now)

    def on_ready(self, task: Task, now: float) -> None:
        """``task`` started polling: its first check; a deployment may now be complete."""
        interval = self.spec.drain_check_seconds
        if self._checks and interval is not None:
            self._kernel.schedule(now + self._rng.uniform(0.0, interval), self.on_check, task)
        self.settle(now)

    def on_start(self, task: Task, now: float) -> None:
        """``task`` starts on a message: count it when it runs old code."""
        if task.revision >= self.revision:
            return
        record = self.records[self.revision - 1]
        record.started_on_old_code += 1
        record.last_old_start_after = now - record.at
        count = self._old_starts[task.id] = self._old_starts.get(task.id, 0) + 1
        record.most_old_starts_per_task = max(record.most_old_starts_per_task, count)

    def after_work(self, task: Task, now: float) -> bool:
        """``task`` finished its message; True when it takes no new one (drains or paused)."""
        if task.paused_since is not None:
            return True
        if not task.draining:
            return False
        self.fleet.sigterm(task, now)  # the worker exits 0 on its own, as an idle task does
        return True

    def on_interrupt(self, task: Task) -> None:
        """``task`` was stopped mid-message: count it for the deployment that stopped it."""
        if task.retired_by:
            self.records[task.retired_by - 1].interrupted += 1

    def on_duplicate(self) -> None:
        """A duplicate delivery finished: count it for the newest deployment in progress."""
        if self._open:
            self.records[self._open[-1]].duplicates += 1

    def launch_room(self, wanted: int, active: int) -> int:
        """How many of ``wanted`` new tasks scaling may launch with ``active`` tasks now."""
        if not self._open:
            return max(0, wanted)
        cap = self.fleet.desired * self.spec.max_percent // 100
        return max(0, min(wanted, cap - active))

    # --- events ---------------------------------------------------------------------------

    def on_deploy(self, obj: object, index: int, now: float) -> None:
        """The ``index``-th deployment begins: its task definition replaces the service's."""
        self.revision = index + 1
        record = self.records[index]
        old = list(self.fleet.live)
        record.old_tasks = len(old)
        record.longest_job_in_progress = max(
            (float(w.message.work_seconds) for t in old for w in t.running), default=0.0
        )
        for task in old:
            task.pause_spent = False  # it may wait for this deployment's first task again
        self._old_starts = {}
        self._open.append(index)
        self._schedule_pass(now)
        self.settle(now)

    def on_pass(self, obj: object, epoch: int, now: float) -> None:
        """A pass of the deployment scheduler."""
        self._pass_due = False
        if not self._open:
            return
        self._rollout(now)
        self.settle(now)
        if self._open:
            self._schedule_pass(now)

    def on_check(self, obj: object, epoch: int, now: float) -> None:
        """A task's worker checks its service's PRIMARY deployment."""
        assert isinstance(obj, Task)
        task, interval = obj, self.spec.drain_check_seconds
        if task.state is not TaskState.RUNNING or task.draining or interval is None:
            return
        if task.revision < self.revision:
            if self._primary_running() >= 1:
                task.draining = True
                task.paused_since = None
                self.fleet.stop_receiving(task, now)
                if not task.running:
                    self.fleet.sigterm(task, now)
                return
            if task.paused_since is None and not task.pause_spent:
                task.paused_since = now
                self.fleet.stop_receiving(task, now)
            elif (
                task.paused_since is not None
                and now - task.paused_since >= contract.DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS
            ):
                task.paused_since = None
                task.pause_spent = True
                self.fleet.resume_receiving(task, now)
        jitter = self._rng.uniform(
            1.0 - contract.DEPLOY_CHECK_JITTER, 1.0 + contract.DEPLOY_CHECK_JITTER
        )
        self._kernel.schedule(now + interval * jitter, self.on_check, task)

    def settle(self, now: float) -> None:
        """Mark the deployments in progress that are complete at ``now``."""
        if not self._open:
            return
        live = self.fleet.live
        desired = self.fleet.desired
        for index in list(self._open):
            revision = index + 1
            if any(t.revision < revision for t in live):
                continue
            if sum(1 for t in live if t.state is TaskState.RUNNING) == desired:
                record = self.records[index]
                record.completed_after_seconds = now - record.at
                self._open.remove(index)

    # --- the rolling update ---------------------------------------------------------------

    def _schedule_pass(self, now: float) -> None:
        if not self._pass_due:
            self._pass_due = True
            self._kernel.schedule(now + ROLLOUT_PASS_SECONDS, self.on_pass)

    def _primary_running(self) -> int:
        return sum(
            1
            for t in self.fleet.live
            if t.revision == self.revision and t.state is TaskState.RUNNING
        )

    @staticmethod
    def _healthy(task: Task, now: float) -> bool:
        return (
            task.state is TaskState.RUNNING
            and task.ready_at is not None
            and (task.initial or now - task.ready_at >= HEALTHY_AFTER_RUNNING_SECONDS)
        )

    def _retire(self, task: Task, now: float) -> None:
        task.retired_by = self.revision
        self.fleet.sigterm(task, now)

    def _rollout(self, now: float) -> None:
        desired = self.fleet.desired
        active = [t for t in self.fleet.live if t.active]
        old = [t for t in active if t.revision < self.revision]
        new = len(active) - len(old)
        minimum = math.ceil(desired * self.spec.min_healthy_percent / 100)
        maximum = desired * self.spec.max_percent // 100
        healthy = sum(1 for t in active if self._healthy(t, now))
        stoppable = [t for t in old if not t.protected]
        self._rng.shuffle(stoppable)
        stoppable.sort(key=lambda t: t.state is TaskState.RUNNING)  # starting ones first
        for task in stoppable:
            if self._healthy(task, now):
                if healthy - 1 < minimum:
                    continue
                healthy -= 1
            self._retire(task, now)
            old.remove(task)
        for _ in range(max(0, min(desired - new, maximum - len(old) - new))):
            self.fleet.launch(now)
