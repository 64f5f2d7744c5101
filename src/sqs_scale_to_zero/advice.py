"""Warnings, not errors, for values that are legal but surprising.

Each is a CDK warning annotation (``Annotations.of(construct).add_warning_v2``): ``cdk synth``
prints it, ``cdk synth --strict`` fails on it, and
``Annotations.of(construct).acknowledge_warning(id)`` silences it where it is intended.
"""

from __future__ import annotations

from aws_cdk import Annotations
from constructs import Construct

from sqs_scale_to_zero.architecture import architecture_name
from sqs_scale_to_zero.compute import ComputeSettings
from sqs_scale_to_zero.compute.task import TaskSettings
from sqs_scale_to_zero.queue import QueueSettings
from sqs_scale_to_zero.simulate.models.cost import FargatePricing

FULL_SCALE_WARNING_USD_PER_HOUR = 10.0
"""A ``max_capacity`` whose tasks cost at least this much an hour, all running, is said."""

MAX_CAPACITY_COST_WARNING = "sqs-scale-to-zero:maxCapacityCost"
FIFO_DEDUPLICATION_WARNING = "sqs-scale-to-zero:fifoWithoutContentBasedDeduplication"


def full_scale_hourly_usd(
    max_capacity: int, cpu: int, memory_limit_mib: int, *, arm64: bool, spot: bool
) -> float:
    """USD an hour for ``max_capacity`` tasks, at the simulator's Fargate prices."""
    return max_capacity * FargatePricing().hourly(cpu, memory_limit_mib, arm64=arm64, spot=spot)


def warn_max_capacity_cost(
    scope: Construct, *, max_capacity: int, task: TaskSettings, spot: bool
) -> None:
    """Warn when ``max_capacity`` tasks would cost ``FULL_SCALE_WARNING_USD_PER_HOUR`` or more."""
    cpu, memory_limit_mib = task.cpu, task.memory_limit_mib
    x86 = full_scale_hourly_usd(max_capacity, cpu, memory_limit_mib, arm64=False, spot=spot)
    if x86 < FULL_SCALE_WARNING_USD_PER_HOUR:  # ARM64 costs less: no need to render it
        return
    arm64 = architecture_name(task.cpu_architecture) == "ARM64"
    hourly = full_scale_hourly_usd(max_capacity, cpu, memory_limit_mib, arm64=arm64, spot=spot)
    if hourly < FULL_SCALE_WARNING_USD_PER_HOUR:
        return
    kind = ("ARM64" if arm64 else "X86_64") + (" on Fargate Spot" if spot else "")
    Annotations.of(scope).add_warning_v2(
        MAX_CAPACITY_COST_WARNING,
        f"max_capacity={max_capacity}: at full scale the tasks cost about ${hourly:,.2f} an "
        f"hour (${hourly * 24:,.0f} a day; {cpu} CPU units, {memory_limit_mib} MiB, {kind}, "
        "at US East on-demand Fargate prices). A backlog of "
        "max_capacity x messages_per_task messages starts them all in one step; lower "
        "max_capacity if that is not intended.",
    )


def warn_fifo_without_deduplication(scope: Construct) -> None:
    """Warn that producers of a FIFO queue without content-based deduplication send an ID.

    SQS refuses a message to such a queue that carries no ``MessageDeduplicationId`` (Amazon
    SQS developer guide, "Using the message deduplication ID in Amazon SQS").
    """
    Annotations.of(scope).add_warning_v2(
        FIFO_DEDUPLICATION_WARNING,
        "fifo=True without content_based_deduplication: every producer must send a "
        "MessageDeduplicationId with each message (besides the MessageGroupId every FIFO queue "
        "needs), or SQS rejects the message. Set content_based_deduplication=True to have SQS "
        "deduplicate by a SHA-256 hash of the body instead.",
    )


def warn_surprising_values(
    scope: Construct,
    queue: QueueSettings,
    task: TaskSettings,
    compute: ComputeSettings,
    max_capacity: int,
) -> None:
    """Add every warning the resolved settings call for to ``scope``."""
    if not compute.capacity.on_instances:  # the Fargate price; GPU instances bill per instance
        warn_max_capacity_cost(
            scope, max_capacity=max_capacity, task=task, spot=compute.on_fargate_spot
        )
    if queue.existing is None and queue.fifo and not queue.content_based_deduplication:
        warn_fifo_without_deduplication(scope)
