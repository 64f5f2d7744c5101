"""sqs-scale-to-zero: SQS queue workers on ECS Fargate that cost nothing while idle.

The public API is ``__all__`` of this package (the construct, its options and the types of its
attributes), of ``sqs_scale_to_zero.worker`` (the worker runtime, run in the container) and of
``sqs_scale_to_zero.simulate`` (the simulator), and the command lines. Every other module and
name is internal and may change in any release. API.md documents exactly this surface.

This module only re-exports. The re-exports are resolved lazily (PEP 562) so that
``import sqs_scale_to_zero.worker`` inside a container never imports ``aws_cdk``,
``constructs`` or ``jsii``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqs_scale_to_zero.backlog import BacklogMetrics, QueueActivity
    from sqs_scale_to_zero.capacity.choice import Capacity
    from sqs_scale_to_zero.delivery import HttpDelivery
    from sqs_scale_to_zero.errors import ScaleToZeroValidationError
    from sqs_scale_to_zero.monitoring import MonitoringOptions
    from sqs_scale_to_zero.scaling.steps import fixed_scale_out_steps
    from sqs_scale_to_zero.schedules.cron_yaml import schedules_from_cron_yaml
    from sqs_scale_to_zero.schedules.schedule import QueueSchedule
    from sqs_scale_to_zero.service import ScaleToZeroQueueService
    from sqs_scale_to_zero.topics.subscriptions import TopicSubscription
    from sqs_scale_to_zero.wake import Wake

__all__ = [
    "BacklogMetrics",
    "Capacity",
    "HttpDelivery",
    "MonitoringOptions",
    "QueueActivity",
    "QueueSchedule",
    "ScaleToZeroQueueService",
    "ScaleToZeroValidationError",
    "TopicSubscription",
    "Wake",
    "fixed_scale_out_steps",
    "schedules_from_cron_yaml",
]

_EXPORTS = {
    # The construct, and what every invalid prop raises.
    "ScaleToZeroQueueService": "sqs_scale_to_zero.service",
    "ScaleToZeroValidationError": "sqs_scale_to_zero.errors",
    # Values for its props.
    "MonitoringOptions": "sqs_scale_to_zero.monitoring",
    "Capacity": "sqs_scale_to_zero.capacity.choice",
    "Wake": "sqs_scale_to_zero.wake",
    "HttpDelivery": "sqs_scale_to_zero.delivery",
    "fixed_scale_out_steps": "sqs_scale_to_zero.scaling.steps",
    "QueueSchedule": "sqs_scale_to_zero.schedules.schedule",
    "TopicSubscription": "sqs_scale_to_zero.topics.subscriptions",
    "schedules_from_cron_yaml": "sqs_scale_to_zero.schedules.cron_yaml",
    # Types of its attributes.
    "BacklogMetrics": "sqs_scale_to_zero.backlog",
    "QueueActivity": "sqs_scale_to_zero.backlog",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'sqs_scale_to_zero' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
