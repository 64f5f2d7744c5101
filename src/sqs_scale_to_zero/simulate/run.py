"""One run: the models of one service wired to the kernel, with minute ticks and seeded RNGs.

The kernel (:mod:`.kernel`) holds the models' events and sends the workload's messages to the
service (:mod:`.models.service`); minute ticks record metrics, evaluate alarms and
apply scaling (of the policies invoked in one minute the largest proposal wins, Application
Auto Scaling's precedence rule, :mod:`.models.scaling.policies`); each run has one seeded RNG (and one of
its own for SQS's gauge samples).

Within each minute SQS samples the queue's gauges once, at a seeded moment (see
:mod:`.models.metrics`). At each minute boundary: every event up to it is processed (a message *sent*
exactly at it belongs to the minute it starts, as CloudWatch's periods start on the minute);
the minute's datapoints are recorded (gauges as sampled, sums as counted); alarms are evaluated
in template order and their policies invoked, then target tracking; then ECS launches or stops
tasks to match the desired count.

Scheduled functions that read the queue (:mod:`.models.wake_function.runs`) run between the
boundaries; what they read is recorded with the next boundary's samples. One that may wake the
service (:mod:`.models.wake_function.fast_wake`) raises the desired count from 0 at its run, and
ECS launches the task then; on instances it may also raise their Auto Scaling group then.

Tasks at time 0 are already running (deployed before the workload); later deployments
(``deploy_at``) are :mod:`.models.deploy_drain`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqs_scale_to_zero.simulate.accounting import bill_instances, bill_tasks
from sqs_scale_to_zero.simulate.config import SimulationConfig, check_config, checked_horizon
from sqs_scale_to_zero.simulate.kernel import Kernel
from sqs_scale_to_zero.simulate.models.alarm_evaluation import AlarmRuntime
from sqs_scale_to_zero.simulate.models.message_sources.delivery import delivered
from sqs_scale_to_zero.simulate.models.metrics import (
    GaugeSample,
    MetricStore,
    QueueGauges,
    SampleMoments,
    Snapshot,
)
from sqs_scale_to_zero.simulate.models.minute_snapshot import minute_snapshot
from sqs_scale_to_zero.simulate.models.queue import Message, SqsQueue
from sqs_scale_to_zero.simulate.models.scaling.policies import (
    StepPolicyRuntime,
    apply_scaling,
    scalable_target,
    tracking_runtimes,
)
from sqs_scale_to_zero.simulate.models.service import EcsService
from sqs_scale_to_zero.simulate.models.wake_function.fast_wake import wake_runtimes
from sqs_scale_to_zero.simulate.models.wake_function.runs import (
    PollerRuntime,
    poller_publish_delays,
)
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.template.specs import ServiceModel
from sqs_scale_to_zero.simulate.timeline.record import Timeline
from sqs_scale_to_zero.simulate.workload.items import WorkItem


class Simulation:
    """One run of one service against one workload.

    Args:
        model: The service read from a template.
        workload: Messages, any order.
        seed: RNG seed. Default: 0.
        horizon: Seconds to simulate. Default: :func:`default_horizon`.
        config: Model knobs. Default: :class:`SimulationConfig`.
        deploy_at: Seconds at which a new task definition is deployed
            (:mod:`.models.deploy_drain`). Default: none.
        timeline: Record the run minute by minute into :attr:`Result.timeline`
            (:mod:`.timeline`). Default: False.

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
        timeline: bool = False,
    ) -> None:
        self.model = model
        self.config = config or SimulationConfig()
        self.rng = random.Random(seed)
        direct = [w for w in workload if w.schedule is None]
        self.horizon = checked_horizon(horizon, direct)
        # What reaches the queue: direct sends, topic messages, each schedule's runs.
        self.workload = delivered(model.sources, workload, self.horizon, self.rng, model.template)
        check_config(self.config)
        self.kernel = Kernel()
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
        self.result = Result(model.template, model.logical_id, messages=len(self.workload))
        self.service = EcsService(
            self.kernel,
            model,
            self.config,
            self.rng,
            self.queue,
            self.target,
            self.result,
            deploy_at=deploy_at,
            seed=seed,
            horizon=self.horizon,
        )
        self.result.deployments = self.service.deploys.records
        self._polled: dict[int, dict[tuple[str, str], QueueGauges]] = {}
        if timeline:
            self.result.timeline = Timeline(tuple(a.spec.logical_id for a in self.alarms))

    def _on_sample(self, obj: object, epoch: int, now: float) -> None:
        """SQS samples the queue's gauges for the current minute (see :mod:`.models.metrics`)."""
        self._gauge_sample = GaugeSample(*self.queue.gauges(), self.queue.oldest_age(now))

    def _on_poll(self, poller: object, epoch: int, now: float) -> None:
        """A scheduled function reads the queue, and may wake the service."""
        assert isinstance(poller, PollerRuntime)
        gauges = poller.run(self.queue, now)
        wake = self.wakes.get(poller.spec.rule_logical_id)
        service = self.service
        if wake is not None:
            outcome = wake.run(gauges.visible, service.desired)
            gauges.desired = outcome.desired
            if outcome.woke:
                self.result.fast_wakes += 1
                service.update_desired(outcome.desired or 1, now)
                if outcome.instances is not None and service.fleet is not None:
                    service.fleet.raise_to(outcome.instances, now)
        key, published = poller.sample_key, poller.published(gauges)
        if key is not None and published is not None:
            self._polled.setdefault(int(now // 60), {})[key] = published
        self.kernel.schedule(now + poller.spec.period, self._on_poll, poller)

    def _arrive(self, index: int, now: float) -> None:
        item = self.workload[index]
        msg = Message(len(self.service.messages), item.at, item.work_seconds, item.cpu_percent)
        self.service.arrive(msg, now)

    def _snapshot(self, now: float) -> Snapshot:
        """The snapshot of the minute ending at ``now`` (takes the minute's counts)."""
        cpu, run, running = self.service.take_minute_seconds(now)
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
            desired=self.service.desired,
        )
        self._gauge_sample = None
        return snapshot

    def _tick(self, now: float) -> None:
        """A minute boundary: record the minute's datapoints, then alarms and scaling act."""
        snapshot = self._snapshot(now)
        self.kernel.schedule(self._sample_moments.next(now), self._on_sample)
        self.store.record_minute(snapshot)
        if self.service.fleet is not None:
            self.service.fleet.tick(now)
        target = self.target
        if target is not None:
            before = target.desired
            apply_scaling(target, self.alarms, self.policies, self.tracking, self.store, now)
            if target.desired != before:
                self.service.reconcile(now)
        self._record(snapshot)

    def _record(self, snapshot: Snapshot) -> None:
        """Add the minute to the timeline, when the run records one."""
        timeline = self.result.timeline
        if timeline is not None:
            timeline.record(snapshot, self.model, [a.state for a in self.alarms])

    def run(self) -> Result:
        """Simulate up to the horizon and return the result."""
        self.service.start(0.0)
        for poller in self.pollers:
            self.kernel.schedule(poller.phase, self._on_poll, poller)
        self.kernel.schedule(self._sample_moments.next(0.0), self._on_sample)
        self.kernel.run(
            self.horizon,
            arrivals=[w.at for w in self.workload],
            arrive=self._arrive,
            tick=self._tick,
        )
        return self._finish(self.horizon)

    def _finish(self, horizon: float) -> Result:
        r = self.result
        service = self.service
        timeline = r.timeline
        if timeline is not None:
            if horizon > (timeline.rows[-1].end if timeline.rows else 0.0):
                self._record(self._snapshot(horizon))  # the partial last minute
            timeline.close(service.messages)
        service.finished.extend(service.live)
        bill_tasks(r, service.finished, self.model, self.config.pricing, horizon)
        if service.fleet is not None:
            bill_instances(r, service.fleet, horizon)
        r.dead_lettered = self.queue.counters.dead_lettered
        r.unprocessed = r.messages - r.processed - r.dead_lettered
        r.scaling_activities = self.target.activities if self.target is not None else 0
        r.horizon_seconds = horizon
        if r.messages and r.processed == r.messages and service.last_done is not None:
            r.drain_seconds = service.last_done - self.workload[0].at
        return r


def run_simulation(
    model: ServiceModel,
    workload: Sequence[WorkItem],
    *,
    seed: int = 0,
    horizon: float | None = None,
    config: SimulationConfig | None = None,
    deploy_at: Sequence[float] = (),
    timeline: bool = False,
) -> Result:
    """Simulate ``model`` against ``workload`` (see :class:`Simulation`)."""
    return Simulation(
        model,
        workload,
        seed=seed,
        horizon=horizon,
        config=config,
        deploy_at=deploy_at,
        timeline=timeline,
    ).run()
