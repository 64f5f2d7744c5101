"""The worker runtime: runs inside the container and hands each SQS message to your code.

This package imports boto3 and the standard library only, never ``aws_cdk``, ``constructs``
or ``jsii``. It only re-exports; see ``consumer.Worker``.

Example::

    from sqs_scale_to_zero.worker import Message, Worker

    def handle(message: Message) -> None:
        print(message.json())

    Worker(handle).run()  # QUEUE_URL from the environment; returns after SIGTERM
"""

from sqs_scale_to_zero.worker.consumer import Worker
from sqs_scale_to_zero.worker.message import Message, RetryLater
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

__all__ = [
    "BackoffPolicy",
    "ConstantBackoff",
    "EcsAgentTaskProtection",
    "ExponentialBackoff",
    "IdleShutdown",
    "MaxMessagesShutdown",
    "Message",
    "NeverShutdown",
    "NoTaskProtection",
    "RetryLater",
    "ShutdownPolicy",
    "TaskProtection",
    "Worker",
    "WorkerStats",
]
