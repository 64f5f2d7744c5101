"""The capacity part: where the tasks run (Fargate, Fargate Spot or GPU instances).

Three rooms: :mod:`.choice` (the public :class:`Capacity` value), :mod:`.settings` (its checks
against the other props) and :mod:`.instances` (the Auto Scaling group and capacity provider of
GPU instances).
"""

from __future__ import annotations

from sqs_scale_to_zero.capacity.choice import Capacity, CapacityKind
from sqs_scale_to_zero.capacity.instances import (
    GpuInstances,
    build_gpu_instances,
    capacity_provider_strategy,
    placement_strategies,
)
from sqs_scale_to_zero.capacity.settings import CapacitySettings, resolve_capacity

__all__ = [
    "Capacity",
    "CapacityKind",
    "CapacitySettings",
    "GpuInstances",
    "build_gpu_instances",
    "capacity_provider_strategy",
    "placement_strategies",
    "resolve_capacity",
]
