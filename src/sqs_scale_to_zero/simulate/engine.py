"""The event loop: a virtual clock, an event heap, minute ticks and seeded RNGs.

The heap holds message and task events; minute ticks record metrics, evaluate alarms and
apply scaling (of the policies invoked in one minute the largest proposal wins, Application
Auto Scaling's precedence rule, :mod:`.autoscaling`); each run has one seeded RNG (and one of
its own for SQS's gauge samples).

Within each minute SQS samples the queue's gauges once, at a seeded moment (see
:mod:`.metrics`). At each minute boundary: every event up to it is processed (a message *sent*
exactly at it belongs to the minute it starts, as CloudWatch's periods start on the minute);
the minute's datapoints are recorded (gauges as sampled, sums as counted); alarms are evaluated
in template order and their policies invoked, then target tracking; then ECS launches or stops
tasks to match the desired count.

Scheduled functions that read the queue (:mod:`.poller`) run between the boundaries; what they
read is recorded with the next boundary's samples. One that may wake the service (:mod:`.wake`)
raises the desired count from 0 at its run, and ECS launches the task then.

Tasks at time 0 are already running (deployed before the workload); later deployments
(``deploy_at``) are :mod:`.deployments`.
"""

from __future__ import annotations

import functools
import heapq
import math
import random
from collections.abc import Sequence

from sqs_scale_to_zero.simulate.accounting import bill_tasks, task_start_share
from sqs_scale_to_zero.simulate.alarms import AlarmRuntime
from sqs_scale_to_zero.simulate.autoscaling import (
    StepPolicyRuntime,
    apply_scaling,
    scalable_target,
    tracking_runtimes,
)
from sqs_scale_to_zero.simulate.config import SimulationConfig, check_config, checked_horizon
from sqs_scale_to_zero.simulate.deployments import DeploymentRuntime
from sqs_scale_to_zero.simulate.ecs import Task, TaskState, choose_tasks_to_stop
from sqs_scale_to_zero.simulate.events import EventKind, Handler
from sqs_scale_to_zero.simulate.metrics import (
    GaugeSample,
    MetricStore,
    QueueGauges,
    SampleMoments,
)
from sqs_scale_to_zero.simulate.minute import minute_snapshot, take_task_seconds
from sqs_scale_to_zero.simulate.poller import PollerRuntime, poller_publish_delays
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.specs import ServiceModel
from sqs_scale_to_zero.simulate.sqs import Message, MessageState, SqsQueue
from sqs_scale_to_zero.simulate.wake import wake_runtimes
from sqs_scale_to_zero.simulate.workload import WorkItem


class Simulation:
    """One run of one service against one workload.

    Args:
        model: The service read from a template.
        workload: Messages, any order.
        seed: RNG seed. Default: 0.
        horizon: Seconds to simulate. Default: :func:`default_horizon`.
        config: Model knobs. Default: :class:`SimulationConfig`.
        deploy_at: Seconds at which a new task definition is deployed (:mod:`.deployments`).
            Default: none.

    Raises:
        SimulationInputError: An alarm or policy the simulator cannot model.
        SimulationArgumentError: A horizon that is not a positive, finite number, or a
            deployment time outside it.
    """

    def __init__(
        self,
        model: ServiceModel,
        workload: Sequence[WorkItem],
        *,
        seed: int = 0,
        horizon: float | None = None,
        config: SimulationConfig | None = None,
        deploy_at: Sequence[float] = (),
    ) -> None:
        self.model = model
        self.config = config or SimulationConfig()
        self.rng = random.Random(seed)
        self.workload = sorted(workload, key=lambda w: w.at)
        self.horizon = checked_horizon(horizon, self.workload)
        check_config(self.config)
        self._sample_moments = SampleMoments(seed, self.config.gauge_sample_second)
        self._gauge_sample: GaugeSample | None = None
        wake_max = self.config.wake_metrics_delay_max
        self.queue = SqsQueue(model.queue, lambda: self.rng.uniform(0.0, wake_max))
        self.pollers = [PollerRuntime(p, self.rng.uniform(0.0, p.period)) for p in model.pollers]
        self.store = MetricStore(
            poller_publish_delays(
                self.config.publish_delay, self.pollers, self.config.poll_publish_seconds
            )
        )
        self.alarms = [AlarmRuntime(a, self.store) for a in model.alarms]
        self.wakes = wake_runtimes(self.pollers, self.alarms, model.logical_id)
        self.policies = {pid: StepPolicyRuntime(p) for pid, p in model.step_policies.items()}
        self.tracking = tracking_runtimes(model, self.store)
        self.target = scalable_target(model)
        self._fixed_desired = model.desired_count
        self.result = Result(model.template, model.logical_id, messages=len(self.workload))
        self.deploys = DeploymentRuntime(
            self, model.deployment, deploy_at, seed=seed, horizon=self.horizon
        )
        self.result.deployments = self.deploys.records
        self._heap: list[tuple[float, int, EventKind, object, int]] = []
        self._seq = 0
        self.live: list[Task] = []
        self.idle: list[Task] = []
        self.finished: list[Task] = []
        self._task_ids = 0
        self._last_done: float | None = None
        self._minute_cpu = 0.0
        self._minute_run = 0.0
        self.messages: list[Message] = []
        self._polled: dict[int, dict[tuple[str, str], QueueGauges]] = {}
        self._handlers: dict[EventKind, Handler] = {
            EventKind.VISIBLE: self._on_visible,
            EventKind.READY: self._on_ready,
            EventKind.DONE: self._on_done,
            EventKind.LAPSE: self._on_lapse,
            EventKind.KILL: functools.partial(self._on_stop_deadline, release=False),
            EventKind.RELEASE: functools.partial(self._on_stop_deadline, release=True),
            EventKind.EXIT: self._on_exit,
            EventKind.POLL: self._on_poll,
            EventKind.SAMPLE: self._on_sample,
            EventKind.DEPLOY: self.deploys.on_deploy,
            EventKind.ROLLOUT: self.deploys.on_pass,
            EventKind.DEPLOY_CHECK: self.deploys.on_check,
        }

    @property
    def desired(self) -> int:
        """The service's desired count now."""
        return self.target.desired if self.target is not None else self._fixed_desired

    def push(self, at: float, kind: EventKind, obj: object, epoch: int = 0) -> None:
        """Schedule an event of ``kind`` on ``obj`` at ``at``."""
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, obj, epoch))

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
        else:
            self.push(now + self.config.start_latency.sample(self.rng), EventKind.READY, task)

    def _reconcile(self, now: float) -> None:
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
        if task.message is None:
            self.push(now + self.config.exit_seconds, EventKind.EXIT, task)
            return
        spec = self.model.task
        self.push(now + spec.stop_timeout, EventKind.KILL, task, task.work_epoch)
        if spec.shutdown_grace is not None and spec.shutdown_grace < spec.stop_timeout:
            self.push(now + spec.shutdown_grace, EventKind.RELEASE, task, task.work_epoch)

    def _stopped(self, task: Task, now: float) -> None:
        task.accumulate(now)
        self._minute_cpu += task.cpu_seconds
        self._minute_run += task.run_seconds
        task.cpu_seconds = task.run_seconds = 0.0
        task.state = TaskState.STOPPED
        task.stopped_at = now
        if task.served == 0 and not task.initial:
            self.result.wasted_starts += 1
        self.live.remove(task)
        if task in self.idle:
            self.idle.remove(task)
        self.finished.append(task)
        self.deploys.settle(now)

    def dispatch(self, now: float) -> None:
        """Give visible messages to idle tasks."""
        queue = self.queue
        while self.idle and queue.n_visible:
            msg = queue.receive(now)
            if msg is None:
                break
            self._start_work(self.idle.pop(), msg, now)

    def _start_work(self, task: Task, msg: Message, now: float) -> None:
        task.accumulate(now)
        task.message = msg
        task.work_started = now
        task.work_epoch += 1
        task.served += 1
        task.cpu_now = msg.cpu_percent
        task.protected = self.model.task.task_protection
        self.deploys.on_start(task, now)
        self.push(now + msg.work_seconds, EventKind.DONE, task, task.work_epoch)
        if (
            msg.work_seconds > self.model.queue.visibility_timeout
            and not self.model.task.extends_visibility
        ):
            self.push(now + self.model.queue.visibility_timeout, EventKind.LAPSE, msg, msg.epoch)

    def _end_work(self, task: Task, now: float) -> Message | None:
        msg = task.message
        task.accumulate(now)
        task.busy_seconds += now - task.work_started
        task.message = None
        task.cpu_now = self.config.idle_cpu_percent
        task.protected = False
        return msg

    def _on_done(self, task: object, epoch: int, now: float) -> None:
        assert isinstance(task, Task)
        if task.state is TaskState.STOPPED or epoch != task.work_epoch or task.message is None:
            return
        msg = self._end_work(task, now)
        assert msg is not None
        if msg.state is MessageState.DONE:
            self.result.duplicate_deliveries += 1
            self.deploys.on_duplicate()
            self.queue.delete(msg, now)  # SQS counts the repeated deletion
        elif msg.state is not MessageState.DEAD:
            msg.started_at = task.work_started
            self.result.processed += 1
            self.result.waits.append(task.work_started - msg.sent_at)
            self.result.task_starts.append(task_start_share(task, msg))
            self._last_done = now
            self.queue.delete(msg, now)
        if task.state is TaskState.STOPPING:
            self._stopped(task, now)
            return
        if self.deploys.after_work(task, now):
            return
        revision = self.deploys.revision
        active = sum(1 for t in self.live if t.active and t.revision == revision)
        if task.revision == revision and active > self.desired:
            # ECS was waiting for this task's protection to be released.
            self.sigterm(task, now)
            return
        self.idle.append(task)
        self.dispatch(now)

    def _on_lapse(self, msg: object, epoch: int, now: float) -> None:
        assert isinstance(msg, Message)
        if msg.state is MessageState.IN_FLIGHT and msg.epoch == epoch:
            self.queue.make_visible(msg)
            self.dispatch(now)

    def _interrupt(self, task: Task, now: float, release: bool) -> None:
        msg = self._end_work(task, now)
        assert msg is not None
        self.result.interrupted += 1
        self.deploys.on_interrupt(task)
        if release:
            self._on_lapse(msg, msg.epoch, now)
        else:
            # A worker that extended the visibility did so at most one timeout ahead of now.
            vt = self.model.queue.visibility_timeout
            base = now if self.model.task.extends_visibility else task.work_started
            lapse_at = max(now, base + vt)
            self.push(lapse_at, EventKind.LAPSE, msg, msg.epoch)
        self._stopped(task, now)

    def _on_visible(self, obj: object, epoch: int, now: float) -> None:
        assert isinstance(obj, Message)
        self.queue.make_visible(obj)
        self.dispatch(now)

    def _on_ready(self, obj: object, epoch: int, now: float) -> None:
        assert isinstance(obj, Task)
        if obj.state is TaskState.PROVISIONING:
            obj.state = TaskState.RUNNING
            obj.ready_at = now
            obj.last_acc = now
            self.idle.append(obj)
            self.deploys.on_ready(obj, now)
            self.dispatch(now)

    def _on_stop_deadline(self, obj: object, epoch: int, now: float, *, release: bool) -> None:
        """SIGKILL (``release=False``) or the worker's grace ending (``release=True``)."""
        assert isinstance(obj, Task)
        if obj.state is TaskState.STOPPING and obj.message is not None and obj.work_epoch == epoch:
            self._interrupt(obj, now, release=release)

    def _on_exit(self, obj: object, epoch: int, now: float) -> None:
        assert isinstance(obj, Task)
        if obj.state is TaskState.STOPPING and obj.message is None:
            self._stopped(obj, now)

    def _on_sample(self, obj: object, epoch: int, now: float) -> None:
        self._gauge_sample = GaugeSample(*self.queue.gauges(), self.queue.oldest_age(now))

    def _on_poll(self, poller: object, epoch: int, now: float) -> None:
        assert isinstance(poller, PollerRuntime)
        gauges = poller.run(self.queue, now)
        wake = self.wakes.get(poller.spec.rule_logical_id)
        if wake is not None:
            outcome = wake.run(gauges.visible, self.desired)
            gauges.desired = outcome.desired
            if outcome.woke:
                self.result.fast_wakes += 1
                if self.target is not None:
                    self.target.desired = 1  # UpdateService: ECS's count, which AAS reads
                else:
                    self._fixed_desired = 1
                self._reconcile(now)
        key = poller.sample_key
        if key is not None:
            self._polled.setdefault(int(now // 60), {})[key] = gauges
        self.push(now + poller.spec.period, EventKind.POLL, poller)

    def _arrive(self, item: WorkItem, now: float) -> None:
        msg = Message(len(self.messages), item.at, item.work_seconds, item.cpu_percent)
        self.messages.append(msg)
        visible_at = self.queue.send(msg, now)
        if visible_at <= now:
            self.queue.make_visible(msg)
            self.dispatch(now)
        else:
            self.push(visible_at, EventKind.VISIBLE, msg)

    # --- minute ticks -------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        cpu, run, running = take_task_seconds(self.live, now, self._minute_cpu, self._minute_run)
        self._minute_cpu = self._minute_run = 0.0
        queue = self.queue
        if running or not queue.empty:
            queue.touch(now)
        snapshot = minute_snapshot(
            now,
            self.model,
            queue,
            self._gauge_sample,
            self._polled.pop(int(now // 60) - 1, {}),
            cpu_seconds=cpu,
            run_seconds=run,
            running=running,
            desired=self.desired,
        )
        self._gauge_sample = None
        self.push(self._sample_moments.next(now), EventKind.SAMPLE, None)
        self.store.record_minute(snapshot)
        target = self.target
        if target is None:
            return
        before = target.desired
        apply_scaling(target, self.alarms, self.policies, self.tracking, self.store, now)
        if target.desired != before:
            self._reconcile(now)

    def run(self) -> Result:
        """Simulate up to the horizon and return the result."""
        for _ in range(self.desired):
            self.launch(0.0, running=True)
        self.result.max_tasks = self.desired
        self.deploys.start(0.0)
        for poller in self.pollers:
            self.push(poller.phase, EventKind.POLL, poller)
        self.push(self._sample_moments.next(0.0), EventKind.SAMPLE, None)
        heap = self._heap
        work = self.workload
        i, n = 0, len(work)
        horizon = self.horizon
        minute = 60.0
        while True:
            boundary = min(minute, horizon)
            # a message sent at a minute boundary belongs to the minute it starts
            last_arrival = boundary if boundary >= horizon else math.nextafter(boundary, 0.0)
            while True:
                next_event = heap[0][0] if heap else math.inf
                next_arrival = work[i].at if i < n else math.inf
                if next_arrival > last_arrival:
                    next_arrival = math.inf
                if next_arrival <= next_event:
                    if next_arrival == math.inf:
                        break
                    self._arrive(work[i], next_arrival)
                    i += 1
                else:
                    if next_event > boundary:
                        break
                    at, _, kind, obj, epoch = heapq.heappop(heap)
                    self._handlers[kind](obj, epoch, at)
            if boundary >= horizon:
                break
            self._tick(minute)
            minute += 60.0
        return self._finish(horizon)

    def _finish(self, horizon: float) -> Result:
        r = self.result
        self.finished.extend(self.live)
        bill_tasks(r, self.finished, self.model, self.config.pricing, horizon)
        r.dead_lettered = self.queue.counters.dead_lettered
        r.unprocessed = r.messages - r.processed - r.dead_lettered
        r.scaling_activities = self.target.activities if self.target is not None else 0
        r.horizon_seconds = horizon
        if r.messages and r.processed == r.messages and self._last_done is not None:
            r.drain_seconds = self._last_done - self.workload[0].at
        return r


def run_simulation(
    model: ServiceModel,
    workload: Sequence[WorkItem],
    *,
    seed: int = 0,
    horizon: float | None = None,
    config: SimulationConfig | None = None,
    deploy_at: Sequence[float] = (),
) -> Result:
    """Simulate ``model`` against ``workload`` (see :class:`Simulation`)."""
    return Simulation(
        model, workload, seed=seed, horizon=horizon, config=config, deploy_at=deploy_at
    ).run()
