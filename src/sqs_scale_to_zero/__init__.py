"""sqs-scale-to-zero: SQS queue workers on ECS Fargate that cost nothing while idle.

This module only re-exports. The re-exports are resolved lazily (PEP 562) so that
``import sqs_scale_to_zero.worker`` inside a container never imports ``aws_cdk``,
``constructs`` or ``jsii``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqs_scale_to_zero.errors import ScaleToZeroValidationError
    from sqs_scale_to_zero.monitoring import MonitoringOptions
    from sqs_scale_to_zero.service import ScaleToZeroQueueService
    from sqs_scale_to_zero.wake import Wake

__all__ = ["MonitoringOptions", "ScaleToZeroQueueService", "ScaleToZeroValidationError", "Wake"]

_EXPORTS = {
    "ScaleToZeroQueueService": "sqs_scale_to_zero.service",
    "ScaleToZeroValidationError": "sqs_scale_to_zero.errors",
    "MonitoringOptions": "sqs_scale_to_zero.monitoring",
    "Wake": "sqs_scale_to_zero.wake",
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
