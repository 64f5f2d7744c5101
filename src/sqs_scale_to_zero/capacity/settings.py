"""The capacity props checked together: ``capacity`` and ``gpu_count``.

And what they must agree with: ``cpu_architecture``, ``cpu``, ``memory_limit_mib``, ``cluster``
and ``capacity_provider_strategies``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero.capacity.choice import Capacity, CapacityKind
from sqs_scale_to_zero.checks import optional_int
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.instance_types import (
    ECS_RESERVED_MEMORY_MIB,
    GPU_INSTANCE_TYPES,
    GpuInstanceType,
)

MIN_TASK_CPU = 128
"""The fewest CPU units an EC2 task may reserve (task definition parameters, ``cpu``)."""

MIN_TASK_MEMORY_MIB = 128
"""The least memory this construct lets an EC2 task reserve: a worker needs more than ECS's
6 MiB minimum."""

_GPU_EXAMPLE = 'Capacity.gpu_instances(instance_type=ec2.InstanceType("g5.xlarge"))'


@dataclass(frozen=True)
class CapacitySettings:
    """The resolved capacity: what runs the tasks and how many GPUs each task takes."""

    capacity: Capacity
    gpu_count: int

    @property
    def on_instances(self) -> bool:
        """True when tasks run on the construct's GPU instances."""
        return self.capacity.on_instances

    @property
    def instance_type(self) -> GpuInstanceType:
        """The GPU instance type (GPU instances only)."""
        assert self.capacity.instance_type is not None
        return GPU_INSTANCE_TYPES[self.capacity.instance_type]

    @property
    def tasks_per_instance(self) -> int:
        """Tasks one instance holds: its GPUs over a task's (1 off instances)."""
        if not self.on_instances:
            return 1
        return self.instance_type.gpus // self.gpu_count

    def max_instances(self, max_tasks: int) -> int:
        """The Auto Scaling group's maximum: as given, or room for ``max_tasks`` tasks."""
        if self.capacity.max_instances is not None:
            return self.capacity.max_instances
        per = self.tasks_per_instance
        return max(math.ceil(max_tasks / per), self.capacity.min_instances, 1)


def resolve_capacity(
    *,
    capacity: Optional[Capacity],
    gpu_count: Optional[int],
    architecture: str,
    cpu: int,
    memory_limit_mib: int,
    cluster: Optional[ecs.ICluster],
    capacity_provider_strategies: Optional[Sequence[ecs.CapacityProviderStrategy]],
) -> CapacitySettings:
    """Check ``capacity`` and ``gpu_count`` against each other and the task and cluster props.

    Args:
        capacity: The ``capacity`` prop.
        gpu_count: The ``gpu_count`` prop.
        architecture: The task's CPU architecture, ``X86_64`` or ``ARM64``.
        cpu: The task's CPU units.
        memory_limit_mib: The task's memory.
        cluster: The ``cluster`` prop.
        capacity_provider_strategies: The ``capacity_provider_strategies`` prop.

    Raises:
        ScaleToZeroValidationError: For the first invalid combination, naming the prop and fix.
    """
    if capacity is not None and not isinstance(capacity, Capacity):
        raise ScaleToZeroValidationError(
            "capacity",
            f"must be a Capacity (got {type(capacity).__name__} {capacity!r}): pass e.g. "
            f"Capacity.fargate_spot() or {_GPU_EXAMPLE}",
        )
    gpus = optional_int("gpu_count", gpu_count)
    if capacity is not None and capacity_provider_strategies:
        raise ScaleToZeroValidationError(
            "capacity_provider_strategies",
            "can't be combined with capacity, which sets the strategy: pass only capacity",
        )
    resolved = capacity or Capacity.fargate()
    strategy_spot = any(
        s.capacity_provider == "FARGATE_SPOT" for s in capacity_provider_strategies or ()
    )
    if architecture == "ARM64" and (resolved.kind is CapacityKind.FARGATE_SPOT or strategy_spot):
        raise ScaleToZeroValidationError(
            "capacity_provider_strategies" if strategy_spot else "capacity",
            "FARGATE_SPOT runs only X86_64 Linux tasks (Amazon ECS developer guide, Fargate "
            "capacity providers): use FARGATE with cpu_architecture=ARM64, or X86_64 on Spot",
        )
    if not resolved.on_instances:
        if gpus is not None:
            raise ScaleToZeroValidationError(
                "gpu_count",
                f"needs GPU instances: Fargate runs no GPU; pass capacity={_GPU_EXAMPLE}",
            )
        return CapacitySettings(capacity=resolved, gpu_count=0)
    assert resolved.instance_type is not None
    instance = GPU_INSTANCE_TYPES[resolved.instance_type]
    resolved_gpus = 1 if gpus is None else gpus
    if resolved_gpus < 1:
        raise ScaleToZeroValidationError(
            "gpu_count",
            f"must be at least 1 on GPU instances (got {resolved_gpus}): omit it for 1, or use "
            "Capacity.fargate() for work without a GPU",
        )
    if resolved_gpus > instance.gpus:
        raise ScaleToZeroValidationError(
            "gpu_count",
            f"{instance.name} has {instance.gpus} GPU(s), fewer than {resolved_gpus}: lower "
            "gpu_count or choose a larger instance type, e.g. g5.12xlarge (4 GPUs)",
        )
    if architecture != instance.architecture:
        raise ScaleToZeroValidationError(
            "cpu_architecture",
            f"{instance.name} is {instance.architecture} and the ECS GPU-optimized AMI is "
            f"x86_64 only: use ecs.CpuArchitecture.X86_64 and an image built for it",
        )
    _check_task_fits(instance, resolved_gpus, cpu, memory_limit_mib)
    if cluster is not None and not isinstance(cluster, ecs.Cluster):
        raise ScaleToZeroValidationError(
            "cluster",
            "GPU instances need a capacity provider on the cluster, and the construct can add "
            "one only to an ecs.Cluster defined in this app, not to an imported cluster: pass "
            "the ecs.Cluster construct, or omit cluster",
        )
    return CapacitySettings(capacity=resolved, gpu_count=resolved_gpus)


def _check_task_fits(instance: GpuInstanceType, gpus: int, cpu: int, memory_mib: int) -> None:
    """The task's share of the instance must fit it, leaving the agent its memory."""
    if cpu < MIN_TASK_CPU or memory_mib < MIN_TASK_MEMORY_MIB:
        raise ScaleToZeroValidationError(
            "cpu" if cpu < MIN_TASK_CPU else "memory_limit_mib",
            f"an EC2 task needs at least {MIN_TASK_CPU} CPU units and {MIN_TASK_MEMORY_MIB} MiB "
            f"(got {cpu} and {memory_mib}): raise it",
        )
    tasks = instance.gpus // gpus
    vcpu_units = instance.vcpus * 1024
    if cpu * tasks > vcpu_units:
        raise ScaleToZeroValidationError(
            "cpu",
            f"{tasks} task(s) of {cpu} CPU units don't fit {instance.name} ({vcpu_units} units, "
            f"one task per {gpus} GPU(s)): use at most {vcpu_units // tasks}",
        )
    usable = instance.memory_gib * 1024 - ECS_RESERVED_MEMORY_MIB
    if memory_mib * tasks > usable:
        raise ScaleToZeroValidationError(
            "memory_limit_mib",
            f"{tasks} task(s) of {memory_mib} MiB don't fit {instance.name} ({usable} MiB left "
            f"after the OS and the ECS agent): use at most {usable // tasks}",
        )
