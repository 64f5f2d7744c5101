"""The simulator's model knobs and the default horizon of a run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.models.cost import FargatePricing
from sqs_scale_to_zero.simulate.models.instances.assumptions import InstanceAssumptions
from sqs_scale_to_zero.simulate.models.metrics import DEFAULT_PUBLISH_DELAY
from sqs_scale_to_zero.simulate.models.queue import WAKE_METRICS_DELAY_MAX
from sqs_scale_to_zero.simulate.models.tasks import StartLatency
from sqs_scale_to_zero.simulate.models.wake_function.runs import PUBLISH_AFTER_RUN_SECONDS
from sqs_scale_to_zero.simulate.workload.items import WorkItem


@dataclass(frozen=True)
class SimulationConfig:
    """Knobs of the models, all with documented defaults.

    Attributes:
        start_latency: Task start latency distribution. Default: triangular 25/40/120 s.
        idle_cpu_percent: CPU of a polling, idle worker. Default: 0.005.
        publish_delay: Metric publishing delay in seconds by namespace. Default: 60 for AWS/SQS
            and AWS/ECS; a scheduled function's namespace gets the delay of its runs' phase
            (:meth:`.models.wake_function.runs.PollerRuntime.publish_delay`) unless set here; 0 for others.
        wake_metrics_delay_max: Upper bound of the metrics delay after an inactive queue is
            activated, drawn uniformly from 0. Default: 900.
        exit_seconds: Time an idle worker takes to exit after SIGTERM. Default: 2.
        pricing: Fargate prices. Default: us-east-1 on-demand.
        poll_publish_seconds: Seconds from a scheduled function's run until its datapoint is
            visible to alarms. Default: 15.
        gauge_sample_second: Second within each minute (0-60) at which SQS samples the queue
            for its gauge datapoint; 60 is the minute's end. Default: None, a moment drawn
            uniformly per minute from an RNG seeded by the run's seed.
        tasks_receive: False models tasks that run but never take a message (a crash at
            start, a wrong queue URL, access denied to the queue): what the tasks-not-receiving
            alarm is for. Default: True.
        instances: Timings and prices of EC2 instances under an Auto Scaling group capacity
            provider. Default: :class:`~.models.instances.assumptions.InstanceAssumptions`.
    """

    start_latency: StartLatency = field(default_factory=StartLatency)
    idle_cpu_percent: float = 0.005
    publish_delay: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PUBLISH_DELAY))
    wake_metrics_delay_max: float = WAKE_METRICS_DELAY_MAX
    exit_seconds: float = 2.0
    pricing: FargatePricing = field(default_factory=FargatePricing)
    poll_publish_seconds: float = PUBLISH_AFTER_RUN_SECONDS
    gauge_sample_second: float | None = None
    tasks_receive: bool = True
    instances: InstanceAssumptions = field(default_factory=InstanceAssumptions)


def checked_horizon(horizon: float | None, workload: Sequence[WorkItem]) -> float:
    """``horizon`` as seconds, or :func:`default_horizon` when ``None``.

    Raises:
        SimulationArgumentError: A horizon that is not a positive, finite number.
    """
    value = float(horizon) if horizon is not None else default_horizon(workload)
    if not (math.isfinite(value) and value > 0):
        raise SimulationArgumentError(
            f"horizon must be a positive number of seconds (got {value:g})"
        )
    return value


def check_config(config: SimulationConfig) -> None:
    """Raise unless ``config``'s knobs are in range.

    Raises:
        SimulationArgumentError: ``gauge_sample_second`` outside 0-60.
    """
    second = config.gauge_sample_second
    if second is not None and not 0.0 <= second <= 60.0:
        raise SimulationArgumentError(
            f"gauge_sample_second must be between 0 and 60 (got {second:g})"
        )


def default_horizon(workload: Sequence[WorkItem]) -> float:
    """Last arrival plus the longest job plus one hour, rounded up to a minute (at least 1 h)."""
    if not workload:
        return 3600.0
    end = max(w.at for w in workload) + max(w.work_seconds for w in workload) + 3600.0
    return float(math.ceil(end / 60.0) * 60)
