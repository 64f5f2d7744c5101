"""The worker runtime: runs inside the container and hands each SQS message to your code.

This package imports boto3 and the standard library only, never ``aws_cdk``, ``constructs``
or ``jsii``. It only re-exports (see ``consumer.Worker``), lazily (PEP 562): the construct
reads ``sqs_scale_to_zero.worker.contract`` at synthesis without importing boto3.

Example::

    from sqs_scale_to_zero.worker import Message, Worker

    def handle(message: Message) -> None:
        print(message.json())

    Worker(handle).run()  # QUEUE_URL from the environment; returns after SIGTERM
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqs_scale_to_zero.worker.config import ConfigurationError, WorkerConfig
    from sqs_scale_to_zero.worker.consumer import Worker
    from sqs_scale_to_zero.worker.deploy_drain.verdict import Outdated
    from sqs_scale_to_zero.worker.deploy_drain.watch import (
        DeployDrainWatch,
        EcsDeployDrainWatch,
        NoDeployDrainWatch,
    )
    from sqs_scale_to_zero.worker.message import DeadLetter, Message, RetryLater
    from sqs_scale_to_zero.worker.policies import (
        BackoffPolicy,
        ConstantBackoff,
        ExponentialBackoff,
        IdleShutdown,
        MaxMessagesShutdown,
        NeverShutdown,
        ShutdownPolicy,
    )
    from sqs_scale_to_zero.worker.protection import (
        EcsAgentTaskProtection,
        NoTaskProtection,
        TaskProtection,
    )
    from sqs_scale_to_zero.worker.stats import WorkerStats

_EXPORTS = {
    "BackoffPolicy": "policies",
    "ConfigurationError": "config",
    "ConstantBackoff": "policies",
    "DeadLetter": "message",
    "DeployDrainWatch": "deploy_drain.watch",
    "EcsAgentTaskProtection": "protection",
    "EcsDeployDrainWatch": "deploy_drain.watch",
    "ExponentialBackoff": "policies",
    "IdleShutdown": "policies",
    "MaxMessagesShutdown": "policies",
    "Message": "message",
    "NeverShutdown": "policies",
    "NoDeployDrainWatch": "deploy_drain.watch",
    "NoTaskProtection": "protection",
    "Outdated": "deploy_drain.verdict",
    "RetryLater": "message",
    "ShutdownPolicy": "policies",
    "TaskProtection": "protection",
    "Worker": "consumer",
    "WorkerConfig": "config",
    "WorkerStats": "stats",
}

__all__ = [
    "BackoffPolicy",
    "ConfigurationError",
    "ConstantBackoff",
    "DeadLetter",
    "DeployDrainWatch",
    "EcsAgentTaskProtection",
    "EcsDeployDrainWatch",
    "ExponentialBackoff",
    "IdleShutdown",
    "MaxMessagesShutdown",
    "Message",
    "NeverShutdown",
    "NoDeployDrainWatch",
    "NoTaskProtection",
    "Outdated",
    "RetryLater",
    "ShutdownPolicy",
    "TaskProtection",
    "Worker",
    "WorkerConfig",
    "WorkerStats",
]

_DEPRECATED = {
    "DeploymentWatch": "DeployDrainWatch",
    "EcsDeploymentWatch": "EcsDeployDrainWatch",
    "NoDeploymentWatch": "NoDeployDrainWatch",
}
"""Old names of the deploy drain's watches, deprecated: each still imports, with a
``DeprecationWarning`` that names its new name, and is left out of ``__all__``."""


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:
        new = _DEPRECATED[name]
        warnings.warn(
            f"sqs_scale_to_zero.worker.{name} is deprecated: use {new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return __getattr__(new)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sqs_scale_to_zero.worker' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sqs_scale_to_zero.worker.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
