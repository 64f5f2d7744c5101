"""The ECS service in virtual time: it keeps its desired count of tasks and feeds them messages.

The service launches or stops tasks of the current task definition to match its desired count
(its scalable target's, or the template's ``DesiredCount`` without one); its deployments
(:mod:`.deployment`) bound launches while one is in progress. Tasks at time 0 are already
running (deployed before the workload).

Each running task's worker runs up to its concurrency of messages at once
(:attr:`~sqs_scale_to_zero.simulate.template.specs.TaskSpec.concurrency`), each for its
``work_seconds``, and deletes each when done; it receives as :mod:`.receiving` says. One receive
takes as many visible messages as it has room for, up to a batch; a message becomes visible to
the waiting receives at once (a long poll returns when one arrives), and of several tasks
waiting the one that last became ready receives first. Messages received ahead start in order as
handlers free up; they are handed back (made visible again) when the worker stops receiving for
a deploy (pause or drain) or on SIGTERM. Stopping a task is SIGTERM, the worker's shutdown grace
and the container's stop timeout (:mod:`.tasks`): the messages still running then are released
or left to lapse, each counted as interrupted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqs_scale_to_zero.simulate.accounting import task_start_share
from sqs_scale_to_zero.simulate.config import SimulationConfig
from sqs_scale_to_zero.simulate.kernel import Kernel
from sqs_scale_to_zero.simulate.models.deploy_drain.rollout import DeploymentRuntime
from sqs_scale_to_zero.simulate.models.instances.fleet import InstanceFleet
from sqs_scale_to_zero.simulate.models.minute_snapshot import take_task_seconds
from sqs_scale_to_zero.simulate.models.queue import Message, MessageState, SqsQueue
from sqs_scale_to_zero.simulate.models.receiving import note_duration, receive_limit, receiving
from sqs_scale_to_zero.simulate.models.scaling.policies import ScalableTarget
from sqs_scale_to_zero.simulate.models.tasks import Task, TaskState, Work, choose_tasks_to_stop
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.template.specs import ServiceModel
from sqs_scale_to_zero.worker import contract


class EcsService:
    """One ECS service's tasks, working on one queue.

    Args:
        kernel: The run's clock and event queue.
        model: The service read from a template.
        config: Model knobs.
        rng: The run's RNG (start latencies, which tasks scale-in stops).
        queue: The queue its tasks read.
        target: Its scalable target, or None for a fixed desired count.
        result: The run's result, which it counts into.
        deploy_at: Deployment times (:mod:`.deployment`).
        seed: The run's seed (the deployments draw from an RNG of their own).
        horizon: The run's horizon, in seconds.

    Raises:
        SimulationArgumentError: A deployment time outside the run.
    """

    def __init__(
        self,
        kernel: Kernel,
        model: ServiceModel,
        config: SimulationConfig,
        rng: random.Random,
        queue: SqsQueue,
        target: ScalableTarget | None,
        result: Result,
        *,
        deploy_at: Sequence[float],
        seed: int,
        horizon: float,
    ) -> None:
        self.kernel = kernel
        self.model = model
        self.config = config
        self.rng = rng
        self.queue = queue
        self.target = target
        self.result = result
        self._fixed_desired = model.desired_count
        self.deploys = DeploymentRuntime(
            self, kernel, model.deployment, deploy_at, seed=seed, horizon=horizon
        )
        self.live: list[Task] = []
        self.idle: list[Task] = []
        self.finished: list[Task] = []
        self.messages: list[Message] = []
        self.last_done: float | None = None
        """When a task last finished a message (None before the first)."""
        self.fleet = (
            InstanceFleet(
                kernel, model.instances, config.instances, rng, self._on_ready, self.sigterm
            )
            if model.instances is not None
            else None
        )
        """The EC2 instances the tasks wait for and run on; ``None`` on Fargate."""
        self._task_ids = 0
        self._minute_cpu = 0.0
        self._minute_run = 0.0

    @property
    def desired(self) -> int:
        """The service's desired count now."""
        return self.target.desired if self.target is not None else self._fixed_desired

    def start(self, now: float) -> None:
        """The tasks of the desired count, already running at ``now`` (the run's start)."""
        if self.fleet is not None:
            self.fleet.start(now, self.desired)
        for _ in range(self.desired):
            self.launch(now, running=True)
        self.result.max_tasks = self.desired
        self.deploys.start(now)

    def update_desired(self, count: int, now: float) -> None:
        """``UpdateService``: set ECS's desired count (which scaling reads) and act on it."""
        if self.target is not None:
            self.target.desired = count
        else:
            self._fixed_desired = count
        self.reconcile(now)

    def launch(self, now: float, running: bool = False) -> None:
        """Launch a task of the current task definition (``running``: one present at 0)."""
        self._task_ids += 1
        task = Task(self._task_ids, now)
        task.revision = self.deploys.revision
        task.cpu_now = self.config.idle_cpu_percent
        self.live.append(task)
        self.result.task_launches += 1
        if running:
            task.state = TaskState.RUNNING
            task.ready_at = now
            task.initial = True
            self.idle.append(task)
            if self.fleet is not None:
                self.fleet.adopt(task)
        elif self.fleet is not None:
            self.fleet.request(task, now)  # waits in PROVISIONING until an instance has room
        else:
            self.kernel.schedule(
                now + self.config.start_latency.sample(self.rng), self._on_ready, task
            )

    def reconcile(self, now: float) -> None:
        """Launch or stop tasks of the current task definition to match the desired count."""
        active = [t for t in self.live if t.active and t.revision == self.deploys.revision]
        diff = self.desired - len(active)
        total = sum(1 for t in self.live if t.active)
        launches = self.deploys.launch_room(diff, total)
        for _ in range(launches):
            self.launch(now)
        if diff < 0:
            for task in choose_tasks_to_stop(active, -diff, self.rng):
                self.sigterm(task, now)
        self.result.max_tasks = max(self.result.max_tasks, total + launches)
        self.deploys.settle(now)

    def sigterm(self, task: Task, now: float) -> None:
        """Stop ``task``: at once if starting, after its exit or its message otherwise."""
        if task.state is TaskState.PROVISIONING:
            self._stopped(task, now)
            return
        task.accumulate(now)
        task.state = TaskState.STOPPING
        if task in self.idle:
            self.idle.remove(task)
        self._give_back(task, now)
        if not task.running:
            self.kernel.schedule(now + self.config.exit_seconds, self._on_exit, task)
            return
        spec = self.model.task
        self.kernel.schedule(now + spec.stop_timeout, self._on_kill, task, task.work_epoch)
        if spec.shutdown_grace is not None and spec.shutdown_grace < spec.stop_timeout:
            self.kernel.schedule(now + spec.shutdown_grace, self._on_release, task, task.work_epoch)

    def arrive(self, msg: Message, now: float) -> None:
        """``msg`` is sent to the queue at ``now``."""
        self.messages.append(msg)
        visible_at = self.queue.send(msg, now)
        if visible_at <= now:
            self.queue.make_visible(msg)
            self.dispatch(now)
        else:
            self.kernel.schedule(visible_at, self._on_visible, msg)

    def dispatch(self, now: float) -> None:
        """Give visible messages to the tasks whose workers are receiving (one receive each)."""
        if not self.config.tasks_receive:
            return  # tasks that never take a message (SimulationConfig.tasks_receive)
        queue = self.queue
        while self.idle and queue.n_visible:
            msg = queue.receive(now)
            if msg is None:
                break
            task = self.idle.pop()
            batch = min(
                contract.SQS_MAX_BATCH_SIZE, receive_limit(task, self.model.task) - task.held
            )
            self._take(task, msg, now)
            for _ in range(batch - 1):
                if not queue.n_visible:
                    break
                more = queue.receive(now)
                if more is None:
                    break
                self._take(task, more, now)
            if receiving(task, self.model.task):
                self.idle.insert(0, task)

    def stop_receiving(self, task: Task, now: float) -> None:
        """``task``'s worker receives nothing more for now, and hands back what it has not started."""
        if task in self.idle:
            self.idle.remove(task)
        self._give_back(task, now)

    def resume_receiving(self, task: Task, now: float) -> None:
        """``task``'s worker receives again (after a deploy's pause), if it has room."""
        if task not in self.idle and receiving(task, self.model.task):
            self.idle.append(task)
            self.dispatch(now)

    def take_minute_seconds(self, now: float) -> tuple[float, float, int]:
        """``(cpu_seconds, run_seconds, running)`` of the minute ending at ``now``; resets them."""
        cpu, run, running = take_task_seconds(self.live, now, self._minute_cpu, self._minute_run)
        self._minute_cpu = self._minute_run = 0.0
        return cpu, run, running

    def _stopped(self, task: Task, now: float) -> None:
        task.accumulate(now)
        self._minute_cpu += task.cpu_seconds
        self._minute_run += task.run_seconds
        task.cpu_seconds = task.run_seconds = 0.0
        task.state = TaskState.STOPPED
        task.stopped_at = now
        if self.fleet is not None:
            self.fleet.release(task, now)
        if task.served == 0 and not task.initial:
            self.result.wasted_starts += 1
        self.live.remove(task)
        if task in self.idle:
            self.idle.remove(task)
        self.finished.append(task)
        self.deploys.settle(now)

    def _take(self, task: Task, msg: Message, now: float) -> None:
        """``task``'s worker received ``msg``: it starts on a free handler or waits for one."""
        if len(task.running) < self.model.task.concurrency:
            self._start_work(task, msg, now, now)
        else:
            task.waiting.append((msg, now))

    def _start_waiting(self, task: Task, now: float) -> None:
        """Start the messages received ahead on the handlers that are free."""
        while task.waiting and len(task.running) < self.model.task.concurrency:
            msg, received_at = task.waiting.popleft()
            self._start_work(task, msg, received_at, now)

    def _give_back(self, task: Task, now: float) -> None:
        """Hand back the messages ``task`` received ahead: visible again at once."""
        if not task.waiting:
            return
        while task.waiting:
            msg, _ = task.waiting.popleft()
            if msg.state is MessageState.IN_FLIGHT:
                self.queue.make_visible(msg)
        self._set_protection(task)
        self.dispatch(now)

    def _set_protection(self, task: Task) -> None:
        task.protected = self.model.task.task_protection and task.held > 0

    def _start_work(self, task: Task, msg: Message, received_at: float, now: float) -> None:
        task.accumulate(now)
        work = Work(task, msg, received_at, now)
        if not task.running:
            task.busy_since = now
        task.running.append(work)
        task.work_epoch += 1
        task.served += 1
        task.cpu_now = min(100.0, sum(w.message.cpu_percent for w in task.running))
        task.protected = self.model.task.task_protection
        self.deploys.on_start(task, now)
        self.kernel.schedule(now + msg.work_seconds, self._on_done, work)
        vt = self.model.queue.visibility_timeout
        if now - received_at + msg.work_seconds > vt and not self.model.task.extends_visibility:
            self.kernel.schedule(received_at + vt, self._on_lapse, msg, msg.epoch)

    def _end_work(self, task: Task, work: Work, now: float) -> Message:
        task.accumulate(now)
        task.running.remove(work)
        if not task.running:
            assert task.busy_since is not None
            task.busy_seconds += now - task.busy_since
            task.busy_since = None
            task.cpu_now = self.config.idle_cpu_percent
        else:
            task.cpu_now = min(100.0, sum(w.message.cpu_percent for w in task.running))
        self._set_protection(task)
        return work.message

    def _on_done(self, obj: object, epoch: int, now: float) -> None:
        """A handler finishes its message."""
        assert isinstance(obj, Work)
        task = obj.task
        if task.state is TaskState.STOPPED or obj not in task.running:
            return
        msg = self._end_work(task, obj, now)
        note_duration(task, now - obj.started_at)
        if msg.state is MessageState.DONE:
            self.result.duplicate_deliveries += 1
            self.deploys.on_duplicate()
            self.queue.delete(msg, now)  # SQS counts the repeated deletion
        elif msg.state is not MessageState.DEAD:
            msg.started_at = obj.started_at
            self.result.processed += 1
            self.result.waits.append(obj.started_at - msg.sent_at)
            self.result.task_starts.append(task_start_share(task, msg))
            self.last_done = now
            self.queue.delete(msg, now)
        if task.state is TaskState.STOPPING:
            if not task.running:
                self._stopped(task, now)
            return
        self._start_waiting(task, now)
        if task.held:
            if task not in self.idle and receiving(task, self.model.task):
                self.idle.append(task)
                self.dispatch(now)
            return
        if self.deploys.after_work(task, now):
            return
        revision = self.deploys.revision
        active = sum(1 for t in self.live if t.active and t.revision == revision)
        if task.revision == revision and active > self.desired:
            # ECS was waiting for this task's protection to be released.
            self.sigterm(task, now)
            return
        if task in self.idle:
            self.idle.remove(task)
        self.idle.append(task)
        self.dispatch(now)

    def _on_lapse(self, msg: object, epoch: int, now: float) -> None:
        assert isinstance(msg, Message)
        if msg.state is MessageState.IN_FLIGHT and msg.epoch == epoch:
            self.queue.make_visible(msg)
            self.dispatch(now)

    def _interrupt(self, task: Task, now: float, release: bool) -> None:
        """Stop ``task`` with messages still running: each is interrupted."""
        for work in list(task.running):
            msg = self._end_work(task, work, now)
            self.result.interrupted += 1
            self.deploys.on_interrupt(task)
            if release:
                self._on_lapse(msg, msg.epoch, now)
            else:
                # A worker that extended the visibility did so at most one timeout ahead of now.
                vt = self.model.queue.visibility_timeout
                base = now if self.model.task.extends_visibility else work.received_at
                lapse_at = max(now, base + vt)
                self.kernel.schedule(lapse_at, self._on_lapse, msg, msg.epoch)
        self._stopped(task, now)

    def _on_visible(self, obj: object, epoch: int, now: float) -> None:
        assert isinstance(obj, Message)
        self.queue.make_visible(obj)
        self.dispatch(now)

    def _on_ready(self, obj: object, epoch: int, now: float) -> None:
        """A provisioning task starts polling."""
        assert isinstance(obj, Task)
        if obj.state is TaskState.PROVISIONING:
            obj.state = TaskState.RUNNING
            obj.ready_at = now
            obj.last_acc = now
            self.idle.append(obj)
            self.deploys.on_ready(obj, now)
            self.dispatch(now)

    def _on_kill(self, obj: object, epoch: int, now: float) -> None:
        """``stopTimeout`` after SIGTERM: ECS kills a task still working (SIGKILL)."""
        self._stop_deadline(obj, epoch, now, release=False)

    def _on_release(self, obj: object, epoch: int, now: float) -> None:
        """The worker's shutdown grace ends: it releases its unfinished messages and exits."""
        self._stop_deadline(obj, epoch, now, release=True)

    def _stop_deadline(self, obj: object, epoch: int, now: float, *, release: bool) -> None:
        assert isinstance(obj, Task)
        if obj.state is TaskState.STOPPING and obj.running and obj.work_epoch == epoch:
            self._interrupt(obj, now, release=release)

    def _on_exit(self, obj: object, epoch: int, now: float) -> None:
        """An idle task exits after SIGTERM."""
        assert isinstance(obj, Task)
        if obj.state is TaskState.STOPPING and not obj.running:
            self._stopped(obj, now)
