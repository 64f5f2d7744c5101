"""The simulator's EC2 instance model against the behaviour ECS documents: tasks wait in
PROVISIONING for an instance, the first scale-out from zero launches two instances, scale-in
waits 15 one-minute datapoints and never removes an instance that runs a task, and the
instances' hours and cost are in the result. Read from a synthesized template only."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, load_service, simulate
from sqs_scale_to_zero.simulate.kernel import Kernel
from sqs_scale_to_zero.simulate.models.instances.assumptions import InstanceAssumptions
from sqs_scale_to_zero.simulate.models.instances.fleet import (
    SCALE_IN_DATAPOINTS,
    InstanceFleet,
    InstanceState,
)
from sqs_scale_to_zero.simulate.models.instances.spec import InstanceCapacitySpec
from sqs_scale_to_zero.simulate.models.tasks import StartLatency, Task

FIXED = InstanceAssumptions(
    launch=StartLatency(150.0, 150.0, 150.0),
    warm_start=StartLatency(60.0, 60.0, 60.0),
    image_pull=StartLatency(100.0, 100.0, 100.0),
    container_start=StartLatency(10.0, 10.0, 10.0),
)
"""Timings without spread, so each test can name the second things happen."""

SPEC = InstanceCapacitySpec(
    provider_logical_id="Provider",
    instance_type="g5.xlarge",
    hourly_usd=1.006,
    tasks_per_instance=1,
    min_instances=0,
    max_instances=4,
)


class Recorder:
    """The service's side of the fleet: when tasks became ready, which were lost."""

    def __init__(self) -> None:
        self.ready: dict[int, float] = {}
        self.lost: list[int] = []

    def on_ready(self, task: object, epoch: int, now: float) -> None:
        assert isinstance(task, Task)
        self.ready[task.id] = now

    def on_lost(self, task: Task, now: float) -> None:
        self.lost.append(task.id)


def fleet(spec: InstanceCapacitySpec = SPEC) -> tuple[Kernel, InstanceFleet, Recorder]:
    kernel, recorder = Kernel(), Recorder()
    return (
        kernel,
        InstanceFleet(kernel, spec, FIXED, random.Random(1), recorder.on_ready, recorder.on_lost),
        recorder,
    )


def run(kernel: Kernel, instances: InstanceFleet, until: float) -> None:
    kernel.run(until, arrivals=[], arrive=lambda i, now: None, tick=instances.tick)


def one_busy_one_empty(instances: InstanceFleet) -> Task:
    """Two instances at the start, one running the returned task, the other empty."""
    instances.start(0.0, tasks=2)
    busy, done = Task(1, 0.0), Task(2, 0.0)
    instances.adopt(busy)
    instances.adopt(done)
    instances.release(done, 0.0)
    return busy


def in_group(instances: InstanceFleet) -> int:
    return sum(
        1
        for i in instances.instances
        if i.state in (InstanceState.LAUNCHING, InstanceState.IN_SERVICE)
    )


def test_the_reader_finds_the_capacity_provider_and_its_group(
    gpu_templates: dict[str, Path],
) -> None:
    spec = load_service(gpu_templates["Gpu"]).instances
    assert spec is not None
    assert (spec.instance_type, spec.hourly_usd, spec.tasks_per_instance) == ("g5.xlarge", 1.006, 1)
    assert (spec.min_instances, spec.max_instances, spec.target_capacity) == (0, 4, 100)
    assert spec.managed_scaling and spec.termination_protection and not spec.spot
    assert (spec.warm_pool_size, spec.volume_gib) == (0, 100)
    pooled = load_service(gpu_templates["GpuWarmPool"]).instances
    assert pooled is not None
    assert (pooled.tasks_per_instance, pooled.max_instances) == (4, 1)
    assert (pooled.warm_pool_size, pooled.warm_pool_reuse) == (1, True)


def test_a_fargate_service_has_no_instances(ours_template: Path) -> None:
    assert load_service(ours_template).instances is None


def test_a_task_waits_in_provisioning_until_an_instance_is_in_service() -> None:
    kernel, instances, recorder = fleet()
    instances.start(0.0, tasks=0)
    task = Task(1, 10.0)
    instances.request(task, 10.0)
    assert instances.waiting == [task]
    # Datapoint at 60 s (200 %), acted on at 120 s; launch 150 s; pull 100 s; start 10 s.
    run(kernel, instances, 600.0)
    assert recorder.ready == {1: 120.0 + 150.0 + 100.0 + 10.0}
    assert instances.waiting == []


def test_the_first_scale_out_from_zero_launches_two_instances() -> None:
    kernel, instances, _ = fleet()
    instances.start(0.0, tasks=0)
    instances.request(Task(1, 10.0), 10.0)
    run(kernel, instances, 600.0)
    assert instances.launches == 2
    assert in_group(instances) == 2


def test_an_instance_with_its_image_starts_the_next_task_without_a_pull() -> None:
    kernel, instances, recorder = fleet()
    instances.start(0.0, tasks=1)
    first = Task(1, 0.0)
    instances.adopt(first)
    instances.release(first, 30.0)
    instances.request(Task(2, 40.0), 40.0)
    run(kernel, instances, 120.0)
    assert recorder.ready == {2: 50.0}
    assert instances.launches == 0


def test_scale_in_waits_fifteen_low_datapoints_then_removes_the_empty_instances() -> None:
    kernel, instances, _ = fleet()
    one_busy_one_empty(instances)  # 50 % each minute
    # The datapoint of minute k is acted on at minute k+1; the 15th low one at 16 minutes.
    run(kernel, instances, (SCALE_IN_DATAPOINTS + 1) * 60.0 - 1.0)
    assert in_group(instances) == 2
    run(kernel, instances, (SCALE_IN_DATAPOINTS + 1) * 60.0 + 1.0)
    assert in_group(instances) == 1


def test_an_instance_running_a_task_is_never_terminated() -> None:
    kernel, instances, recorder = fleet()
    busy = one_busy_one_empty(instances)
    run(kernel, instances, 6 * 3600.0)
    (left,) = [i for i in instances.instances if i.state is InstanceState.IN_SERVICE]
    assert left.tasks == [busy]
    assert recorder.lost == []


def test_without_managed_termination_protection_scale_in_may_take_a_busy_instance() -> None:
    spec = InstanceCapacitySpec(**{**SPEC.__dict__, "termination_protection": False})
    lost = []
    for seed in range(6):
        kernel, instances, recorder = fleet(spec)
        instances.rng = random.Random(seed)
        one_busy_one_empty(instances)
        run(kernel, instances, 3600.0)
        lost.append(recorder.lost)
    assert [1] in lost


def test_instances_are_billed_per_second_with_their_volume() -> None:
    _, instances, _ = fleet()
    instances.start(0.0, tasks=1)
    instances.adopt(Task(1, 0.0))
    hours, cost = instances.finish(3600.0)
    assert hours == pytest.approx(1.0)
    assert cost == pytest.approx(1.006 + FIXED.volume_hourly(SPEC.volume_gib))


def test_a_warm_pool_instance_starts_faster_and_goes_back_stopped() -> None:
    spec = InstanceCapacitySpec(**{**SPEC.__dict__, "warm_pool_size": 1, "warm_pool_reuse": True})
    kernel, instances, recorder = fleet(spec)
    instances.start(0.0, tasks=0)
    instances.request(Task(1, 10.0), 10.0)
    run(kernel, instances, 400.0)
    assert instances.warm_starts == 1
    assert recorder.ready[1] == 120.0 + 60.0 + 100.0 + 10.0  # the pool's instance, not a launch
    assert instances.launches == 2  # ECS's second instance from zero, and the pool's refill


def test_one_wake_from_zero_on_gpu_instances(gpu_templates: dict[str, Path]) -> None:
    """A message after two idle hours: nothing interrupted, two instances launched, and the wait
    is the chain of the fast wake, the capacity provider, the launch and the pull."""
    items = [WorkItem(at=2 * 3600.0, work_seconds=180.0, cpu_percent=80.0)]
    config = SimulationConfig(instances=FIXED)
    (result,) = simulate([str(gpu_templates["Gpu"])], items, seed=3, config=config)
    assert (result.processed, result.interrupted) == (1, 0)
    entry = result.to_json()
    assert entry["instance_launches"] == 2
    assert entry["instance_hours"] > 0 and entry["instance_cost_usd"] > 0
    assert entry["cost_usd"] >= entry["instance_cost_usd"]
    (wait,) = result.waits
    chain = FIXED.launch.low + FIXED.image_pull.low + FIXED.container_start.low
    assert chain < wait <= chain + 60.0 + 120.0 + 15.0  # poll, datapoint and alarm, publish


def test_the_synth_summary_names_the_instances_not_a_fargate_price(
    gpu_templates: dict[str, Path],
) -> None:
    from sqs_scale_to_zero.simulate.describe import describe

    task_line = describe(load_service(gpu_templates["Gpu"]))[1]
    assert "g5.xlarge instances, 1 task(s) each, 0-4 instances, $1.006/hour" in task_line
    assert "per task" not in task_line


def test_the_plain_summary_prices_the_instances_not_a_task(
    gpu_templates: dict[str, Path],
) -> None:
    from sqs_scale_to_zero.simulate.plain_summary import Wakes, sections

    def costs(name: str) -> str:
        model = load_service(gpu_templates[name])
        return next(s.text for s in sections(model, wakes=Wakes((), ())) if s.heading == "costs")

    assert costs("Gpu") == (
        "$1.006 an hour per running g5.xlarge instance (on demand), 1 task each, none while idle"
    )
    assert costs("GpuWarmPool").endswith(", none while idle, 1 stopped in a warm pool")
    assert costs("GpuKept").endswith(", 1 kept running")


def test_the_idle_bill_counts_kept_and_pooled_instances(gpu_templates: dict[str, Path]) -> None:
    from sqs_scale_to_zero.simulate.idle_bill import idle_bill

    def instances(name: str) -> float:
        (line,) = [ln for ln in idle_bill(gpu_templates[name]).lines if "instances" in ln.item]
        return line.usd

    def volume_month(name: str) -> float:
        spec = load_service(gpu_templates[name]).instances
        assert spec is not None
        return spec.volume_gib * InstanceAssumptions().ebs_gb_month

    assert instances("Gpu") == 0.0
    assert instances("GpuWarmPool") == pytest.approx(volume_month("GpuWarmPool"))
    assert instances("GpuKept") == pytest.approx(730.0 * 1.006 + volume_month("GpuKept"))


def test_a_maximum_scaling_step_of_one_launches_one_instance_from_zero() -> None:
    kernel, instances, recorder = fleet(
        InstanceCapacitySpec(**{**SPEC.__dict__, "max_scaling_step": 1})
    )
    instances.start(0.0, tasks=0)
    instances.request(Task(1, 10.0), 10.0)
    run(kernel, instances, 600.0)
    assert instances.launches == 1
    assert recorder.ready == {1: 120.0 + 150.0 + 100.0 + 10.0}
