"""A wake that raises the instances' Auto Scaling group itself, in the simulator: read from the
template (the function's environment and its role), the instance launched at the wake instead
of after managed scaling's datapoint and alarm, within ``MaxSize`` and never lowering the group,
and, pessimistically (aws/containers-roadmap#945), managed scaling may still add an instance
beside the one launched by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, load_service, simulate
from sqs_scale_to_zero.simulate.models.instances.spec import InstanceCapacitySpec, InstanceWakeSpec
from sqs_scale_to_zero.simulate.models.tasks import Task
from sqs_scale_to_zero.simulate.models.wake_function.fast_wake import FastWakeRuntime, WakeOutcome
from sqs_scale_to_zero.simulate.template.specs import WakeSpec
from test.simulate.models.instances.test_fleet import FIXED, SPEC, fleet, in_group, run


@pytest.fixture(scope="module")
def templates(
    gpu_templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The default GPU service (g5.xlarge, at most 4), two 2-GPU tasks an instance (g5.12xlarge),
    and the default one with the wake's SetDesiredCapacity statement taken out of its role."""
    paths = {name: gpu_templates[name] for name in ("Gpu", "TwoAnInstance")}
    template = json.loads(paths["Gpu"].read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if s["Action"] != "autoscaling:SetDesiredCapacity"
            ]
    paths["NoRaise"] = tmp_path_factory.mktemp("wake_raise") / "NoRaise.template.json"
    paths["NoRaise"].write_text(json.dumps(template))
    return paths


def wake_of(path: Path) -> WakeSpec:
    (poller,) = load_service(path).pollers
    assert poller.wake is not None
    return poller.wake


def group_id(path: Path) -> str:
    resources: dict[str, Any] = json.loads(path.read_text())["Resources"]
    (found,) = [
        k for k, r in resources.items() if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"
    ]
    return found


def test_the_reader_finds_the_group_the_wake_may_raise(templates: dict[str, Path]) -> None:
    assert wake_of(templates["Gpu"]).instances == InstanceWakeSpec(group_id(templates["Gpu"]), 1)
    two = templates["TwoAnInstance"]
    assert wake_of(two).instances == InstanceWakeSpec(group_id(two), 2)


def test_a_role_without_set_desired_capacity_raises_nothing(templates: dict[str, Path]) -> None:
    assert wake_of(templates["NoRaise"]).instances is None


def test_a_wake_asks_for_the_instances_its_tasks_need() -> None:
    spec = WakeSpec("Svc", None, True, True, messages_per_task=1, max_capacity=5)
    raising = WakeSpec(**{**spec.__dict__, "instances": InstanceWakeSpec("Asg", 2)})
    assert FastWakeRuntime(raising, None).run(visible=3, desired=0) == WakeOutcome(3, True, 2)
    assert FastWakeRuntime(spec, None).run(visible=3, desired=0) == WakeOutcome(3, True, None)


def test_the_raise_launches_at_once_instead_of_after_the_alarm() -> None:
    kernel, instances, recorder = fleet(
        InstanceCapacitySpec(**{**SPEC.__dict__, "max_instances": 1})
    )
    instances.start(0.0, tasks=0)
    instances.request(Task(1, 10.0), 10.0)
    instances.raise_to(1, 10.0)
    run(kernel, instances, 600.0)
    # Launch 150 s, pull 100 s, start 10 s, from the wake: not from the alarm at 120 s.
    assert recorder.ready == {1: 10.0 + 150.0 + 100.0 + 10.0}
    assert instances.launches == 1


def test_the_raise_never_lowers_the_group_nor_passes_its_maximum() -> None:
    _, instances, _ = fleet()  # MaxSize 4
    instances.start(0.0, tasks=2)
    instances.raise_to(1, 0.0)
    assert (in_group(instances), instances.launches) == (2, 0)
    instances.raise_to(9, 0.0)
    assert (in_group(instances), instances.launches) == (4, 2)


def test_managed_scaling_may_still_add_one_beside_the_hand_launched_instance() -> None:
    """#945: until it registers, the instance launched by hand is not in N; the datapoint
    reads 200 and target tracking asks for 2 (room for them: MaxSize 4)."""
    kernel, instances, _ = fleet()
    instances.start(0.0, tasks=0)
    instances.request(Task(1, 10.0), 10.0)
    instances.raise_to(1, 10.0)
    run(kernel, instances, 600.0)
    assert instances.launches == 2


def test_a_wake_from_zero_waits_for_the_launch_not_the_alarm(templates: dict[str, Path]) -> None:
    """One message after two idle hours: with the raise the wait is the poll (under a minute)
    and the chain; without it (the same template, the permission taken out) at least another
    minute of managed scaling's datapoint and alarm."""
    items = [WorkItem(at=2 * 3600.0, work_seconds=180.0, cpu_percent=80.0)]
    config = SimulationConfig(instances=FIXED)
    chain = FIXED.launch.low + FIXED.image_pull.low + FIXED.container_start.low

    def wait(name: str) -> float:
        (result,) = simulate([str(templates[name])], items, seed=3, config=config)
        assert (result.processed, result.interrupted, result.fast_wakes) == (1, 0, 1)
        (waited,) = result.waits
        return waited

    assert chain < wait("Gpu") < chain + 60.0 <= wait("NoRaise")
