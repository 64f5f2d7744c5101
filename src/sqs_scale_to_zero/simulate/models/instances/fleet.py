"""EC2 instances under an ECS service: launched for waiting tasks, removed when empty.

Modelled behaviour of an Auto Scaling group capacity provider with managed scaling (Amazon ECS
developer guide, "Automatically manage Amazon ECS capacity with cluster auto scaling"):

* A task that finds no instance with room waits in PROVISIONING
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html).
* Each minute ECS publishes ``CapacityProviderReservation`` = M / N x 100, M the instances all
  tasks need (placed and waiting), N the instances in the group. With N = 0 and a task waiting
  it is 200, so the first scale-out from zero launches two instances (aws/containers-roadmap
  #1716; #961: "the 200% is only for the very first scale out when scaling out from 0").
  Target tracking at ``TargetCapacity`` then sets the group to M; the scale-out alarm needs one
  datapoint, seen here one minute after the minute it describes (pessimistic). One scale-out
  launches between ``MinimumScalingStepSize`` and ``MaximumScalingStepSize`` instances (API
  ``ManagedScaling``), within the group's ``MaxSize``.
* Scale-in: the low alarm needs 15 consecutive one-minute datapoints below the target (about
  15 minutes, aws/containers-roadmap #1928), then the group shrinks to M but never below
  ``MinSize``; with managed termination protection only instances that run no task are
  terminated (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html).
* A wake function may raise the group's desired capacity itself (``SetDesiredCapacity``) when
  it wakes the service (:meth:`InstanceFleet.raise_to`): the instances launch at once, within
  ``MaxSize``, never fewer than the group has. Managed scaling keeps acting on its own metric.
  The ECS documentation is silent on how ``CapacityProviderReservation`` counts an instance
  launched by hand before it registers; a user who sized the group by hand reports
  "unnecessary scale out" (aws/containers-roadmap#945), so, pessimistically, such an instance
  counts in N only once registered: with none registered and a task waiting the datapoint is
  200 and target tracking may add an instance next to it (within ``MaxSize``).
* A warm pool (``AWS::AutoScaling::WarmPool``, stopped) gives its stopped instances first on
  scale-out, and with ``ReuseOnScaleIn`` takes scaled-in instances back (keeping their image);
  a pool below its ``MinSize`` launches an instance that initializes and stops.
* A task placed on an instance starts after the image pull (first task of the image on that
  instance) and the container start; placement packs tasks onto the fullest instance.

Timings and prices: :mod:`.assumptions`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from enum import Enum

from sqs_scale_to_zero.simulate.kernel import Kernel
from sqs_scale_to_zero.simulate.models.instances.assumptions import (
    MINIMUM_BILLED_SECONDS,
    InstanceAssumptions,
)
from sqs_scale_to_zero.simulate.models.instances.spec import InstanceCapacitySpec
from sqs_scale_to_zero.simulate.models.tasks import Task

SCALE_IN_DATAPOINTS = 15
"""Consecutive low datapoints before managed scaling removes instances (see the module: #1928)."""

FIRST_SCALE_OUT_RESERVATION = 200.0
"""``CapacityProviderReservation`` with no instance and a task waiting (see the module: #1716)."""


class InstanceState(Enum):
    """Where an instance is in its life."""

    LAUNCHING = "launching"
    """Launched (or started from the warm pool) and billed, not yet registered with ECS."""
    IN_SERVICE = "in service"
    """Registered: tasks can be placed on it."""
    WARMING = "warming"
    """Launched into the warm pool: initializing, billed, then stopped."""
    STOPPED = "stopped"
    """In the warm pool, stopped: only its volume is billed."""
    TERMINATED = "terminated"


class Instance:
    """One EC2 instance of the group."""

    def __init__(self, id: int, state: InstanceState, now: float) -> None:
        self.id = id
        self.state = state
        self.tasks: list[Task] = []
        self.image_cached = False
        self.since = now
        """When the current billing state (running or stopped) began."""
        self.by_hand = False
        """Launched by a wake's ``SetDesiredCapacity``: counted in N only once registered."""
        self.running_seconds = 0.0
        self.stopped_seconds = 0.0


class InstanceFleet:
    """The instances of one capacity provider, placing one service's tasks.

    Args:
        kernel: The run's clock and event queue.
        spec: The capacity read from the template.
        assumptions: Timings and prices.
        rng: The run's RNG.
        on_ready: Called as a kernel event when a placed task starts polling.
        on_lost: Called when an instance under a task is terminated (no managed termination
            protection): the service stops the task.
    """

    def __init__(
        self,
        kernel: Kernel,
        spec: InstanceCapacitySpec,
        assumptions: InstanceAssumptions,
        rng: random.Random,
        on_ready: Callable[[object, int, float], None],
        on_lost: Callable[[Task, float], None],
    ) -> None:
        self.kernel = kernel
        self.spec = spec
        self.assumptions = assumptions
        self.rng = rng
        self._on_ready = on_ready
        self._on_lost = on_lost
        self.instances: list[Instance] = []
        self.waiting: list[Task] = []
        self._host: dict[int, Instance] = {}
        self._pending_datapoint: float | None = None
        self._low_minutes = 0
        self.launches = 0
        self.warm_starts = 0
        self.max_instances_seen = 0

    # --- tasks ---------------------------------------------------------------------------

    def start(self, now: float, tasks: int) -> None:
        """The group at the run's start: room for ``tasks`` tasks, ``MinSize``, the warm pool."""
        needed = max(self.spec.min_instances, math.ceil(tasks / self.spec.tasks_per_instance))
        for _ in range(needed):
            instance = self._new(InstanceState.IN_SERVICE, now, launched=False)
            instance.image_cached = True
        for _ in range(self.spec.warm_pool_size):
            self._new(InstanceState.STOPPED, now, launched=False)

    def adopt(self, task: Task) -> None:
        """Place ``task``, running at the run's start, on an instance with room."""
        instance = self._room()
        assert instance is not None, "start() made room for the initial tasks"
        self._assign(task, instance)

    def request(self, task: Task, now: float) -> None:
        """Place a new task, or keep it waiting in PROVISIONING until an instance has room."""
        instance = self._room()
        if instance is None:
            self.waiting.append(task)
            return
        self._place(task, instance, now)

    def release(self, task: Task, now: float) -> None:
        """``task`` stopped: free its room (or stop waiting), then place waiting tasks."""
        if task in self.waiting:
            self.waiting.remove(task)
            return
        instance = self._host.pop(task.id, None)
        if instance is not None:
            instance.tasks.remove(task)
            self._place_waiting(now)

    # --- managed scaling -------------------------------------------------------------------

    def raise_to(self, count: int, now: float) -> None:
        """``SetDesiredCapacity`` by a wake: at least ``count`` instances, within ``MaxSize``."""
        group = sum(1 for i in self.instances if i.state in _IN_GROUP)
        wanted = min(count, self.spec.max_instances)
        for instance in self._scale_out(wanted - group, now):
            instance.by_hand = True

    def reservation(self) -> float:
        """``CapacityProviderReservation`` now, in percent."""
        groups = [
            i
            for i in self.instances
            if i.state in _IN_GROUP and not (i.by_hand and i.state is InstanceState.LAUNCHING)
        ]
        per = self.spec.tasks_per_instance
        used = sum(1 for i in groups if i.tasks)
        needed = used + math.ceil(len(self.waiting) / per)
        if not groups:
            return FIRST_SCALE_OUT_RESERVATION if needed else 100.0
        return 100.0 * needed / len(groups)

    def tick(self, now: float) -> None:
        """A minute boundary: act on the datapoint published a minute ago, publish this one."""
        self.max_instances_seen = max(
            self.max_instances_seen, sum(1 for i in self.instances if i.state in _IN_GROUP)
        )
        datapoint = self._pending_datapoint
        if datapoint is not None and self.spec.managed_scaling:
            self._act(datapoint, now)
        self._pending_datapoint = self.reservation()

    def _act(self, datapoint: float, now: float) -> None:
        """Target tracking on one datapoint: set the group to the instances the tasks need."""
        target = float(self.spec.target_capacity)
        self._low_minutes = self._low_minutes + 1 if datapoint < target else 0
        group = [i for i in self.instances if i.state in _IN_GROUP]
        if datapoint > target:
            desired = math.ceil(len(group) * datapoint / target) if group else 2
            step = min(desired, self.spec.max_instances) - len(group)
            if step > 0:  # "the number of instances ECS will scale out at one time"
                step = min(max(step, self.spec.min_scaling_step), self.spec.max_scaling_step)
                step = min(step, self.spec.max_instances - len(group))
            self._scale_out(step, now)
        elif self._low_minutes >= SCALE_IN_DATAPOINTS:
            desired = max(math.ceil(len(group) * datapoint / target), self.spec.min_instances)
            self._scale_in(len(group) - desired, now)

    def _scale_out(self, count: int, now: float) -> list[Instance]:
        """Start ``count`` instances (stopped warm-pool ones first); return them."""
        pool = [i for i in self.instances if i.state is InstanceState.STOPPED]
        started = []
        for _ in range(max(count, 0)):
            if pool:
                instance = pool.pop(0)
                self._bill(instance, now)
                instance.state = InstanceState.LAUNCHING
                self.warm_starts += 1
                delay = self.assumptions.warm_start.sample(self.rng)
            else:
                instance = self._new(InstanceState.LAUNCHING, now)
                delay = self.assumptions.launch.sample(self.rng)
            self.kernel.schedule(now + delay, self._on_registered, instance)
            started.append(instance)
        self._refill_pool(now)
        return started

    def _scale_in(self, count: int, now: float) -> None:
        group = [i for i in self.instances if i.state is InstanceState.IN_SERVICE]
        if self.spec.termination_protection:
            candidates = [i for i in group if not i.tasks]
        else:
            candidates = list(group)
            self.rng.shuffle(candidates)
        for instance in candidates[: max(count, 0)]:
            for task in list(instance.tasks):
                self._on_lost(task, now)
            self._bill(instance, now)
            keep = self.spec.warm_pool_reuse
            instance.state = InstanceState.STOPPED if keep else InstanceState.TERMINATED

    def _refill_pool(self, now: float) -> None:
        pooled = sum(1 for i in self.instances if i.state in _POOLED)
        for _ in range(self.spec.warm_pool_size - pooled):
            instance = self._new(InstanceState.WARMING, now)
            delay = self.assumptions.launch.sample(self.rng)
            self.kernel.schedule(now + delay, self._on_warmed, instance)

    # --- events ----------------------------------------------------------------------------

    def _on_registered(self, obj: object, epoch: int, now: float) -> None:
        assert isinstance(obj, Instance)
        if obj.state is InstanceState.LAUNCHING:
            obj.state = InstanceState.IN_SERVICE
            self._place_waiting(now)

    def _on_warmed(self, obj: object, epoch: int, now: float) -> None:
        assert isinstance(obj, Instance)
        if obj.state is InstanceState.WARMING:
            self._bill(obj, now)
            obj.state = InstanceState.STOPPED

    # --- helpers ---------------------------------------------------------------------------

    def _new(self, state: InstanceState, now: float, *, launched: bool = True) -> Instance:
        """A new instance; ``launched`` counts it (those present at the run's start are not)."""
        instance = Instance(len(self.instances) + 1, state, now)
        self.instances.append(instance)
        self.launches += launched
        return instance

    def _room(self) -> Instance | None:
        """The fullest in-service instance with room (binpack), or ``None``."""
        per = self.spec.tasks_per_instance
        open_ = [
            i for i in self.instances if i.state is InstanceState.IN_SERVICE and len(i.tasks) < per
        ]
        return max(open_, key=lambda i: (len(i.tasks), -i.id), default=None)

    def _assign(self, task: Task, instance: Instance) -> None:
        instance.tasks.append(task)
        self._host[task.id] = instance

    def _place(self, task: Task, instance: Instance, now: float) -> None:
        self._assign(task, instance)
        delay = self.assumptions.container_start.sample(self.rng)
        if not instance.image_cached:
            delay += self.assumptions.image_pull.sample(self.rng)
            instance.image_cached = True
        self.kernel.schedule(now + delay, self._on_ready, task)

    def _place_waiting(self, now: float) -> None:
        while self.waiting:
            instance = self._room()
            if instance is None:
                return
            self._place(self.waiting.pop(0), instance, now)

    def _bill(self, instance: Instance, now: float) -> None:
        """Close the instance's current billing period at ``now``."""
        elapsed = now - instance.since
        if instance.state in _RUNNING:
            instance.running_seconds += max(elapsed, MINIMUM_BILLED_SECONDS)
        elif instance.state is InstanceState.STOPPED:
            instance.stopped_seconds += elapsed
        instance.since = now

    def finish(self, horizon: float) -> tuple[float, float]:
        """``(instance_hours, cost_usd)`` of the run, every instance billed up to ``horizon``."""
        for instance in self.instances:
            if instance.state is not InstanceState.TERMINATED:
                self._bill(instance, horizon)
        running = sum(i.running_seconds for i in self.instances) / 3600.0
        stopped = sum(i.stopped_seconds for i in self.instances) / 3600.0
        hourly = self.spec.hourly_usd * (self.assumptions.spot_factor if self.spec.spot else 1.0)
        volume = self.assumptions.volume_hourly(self.spec.volume_gib)
        return running, running * (hourly + volume) + stopped * volume


_IN_GROUP = frozenset({InstanceState.LAUNCHING, InstanceState.IN_SERVICE})
_RUNNING = frozenset({InstanceState.LAUNCHING, InstanceState.IN_SERVICE, InstanceState.WARMING})
_POOLED = frozenset({InstanceState.WARMING, InstanceState.STOPPED})
