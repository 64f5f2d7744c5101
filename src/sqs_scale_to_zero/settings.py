"""Props in, validated settings out: every default is resolved and every check made here, once.

``ScaleToZeroQueueService`` calls :func:`resolve_settings` before it creates any child
construct, so an invalid prop never leaves a half-built tree behind. The parts of the construct
(queue, task, scaling) read only the frozen settings objects defined here and never repeat a
default or a check.
"""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union, cast

from aws_cdk import App, Duration, Stack, Token
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.worker import contract

# Defaults, documented on the construct's props.
DEFAULT_MAX_RECEIVE_COUNT = 3
DEFAULT_VISIBILITY_TIMEOUT = Duration.minutes(5)
DEFAULT_RETENTION_PERIOD = Duration.days(4)
DEAD_LETTER_RETENTION_PERIOD = Duration.days(14)
RECEIVE_WAIT_TIME = Duration.seconds(20)
DEFAULT_CPU = 256
DEFAULT_MEMORY_LIMIT_MIB = 512
DEFAULT_STOP_TIMEOUT = Duration.seconds(120)
DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
DEFAULT_MAX_CAPACITY = 4
DEFAULT_IDLE_TIMEOUT = Duration.minutes(5)
DEFAULT_IDLE_CPU_THRESHOLD_PERCENT = 5.0
DEFAULT_SCALE_OUT_COOLDOWN = Duration.minutes(3)
"""Covers a Fargate task start plus the SQS metric delay, so one message starts one task
(measured with `sqs-scale-to-zero simulate`: 2 minutes started a second task after a wake)."""
DEFAULT_GRADUAL_SCALE_IN_COOLDOWN = Duration.minutes(5)
SHUTDOWN_MARGIN_SECONDS = 10
"""Seconds between the worker's shutdown grace and SIGKILL, left for releasing messages."""

EXPECTED_WAKE = Duration.minutes(5)
"""How long a wake from zero should take at most: SQS metric delay (1-2 minutes), one alarm
evaluation (1 minute), and a Fargate task start (1-2 minutes)."""
LEAK_WINDOW_FACTOR = 3
"""Tasks on an empty queue for this many ``idle_timeout`` windows count as a leak."""

MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 60 * 60
MAX_STOP_TIMEOUT_SECONDS = 120
MAX_ALARM_WINDOW_MINUTES = 24 * 60
"""CloudWatch caps EvaluationPeriods x Period at one day for 1-minute alarms."""


def default_scale_out_steps() -> list[appscaling.ScalingInterval]:
    """The default scale-out steps: more tasks for bigger backlogs.

    Returns:
        ``[1, 10) -> +1``, ``[10, 50) -> +2``, ``[50, inf) -> +4`` visible messages, each
        step re-applied once per cooldown while the backlog lasts, up to ``max_capacity``.
        Simulated against ``[1, 100) +1, [100, 500) +2``: bursts of 20-50 messages start work
        about 3 minutes sooner (p95), at the same cost on quiet and daily workloads.
    """
    return [
        appscaling.ScalingInterval(lower=1, upper=10, change=1),
        appscaling.ScalingInterval(lower=10, upper=50, change=2),
        appscaling.ScalingInterval(lower=50, change=4),
    ]


# Fargate task sizes: CPU units -> allowed memory in MiB (Amazon ECS developer guide,
# "Task CPU and memory" for the Fargate launch type).
FARGATE_TASK_SIZES: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

RESERVED_ENVIRONMENT = (
    contract.QUEUE_URL,
    contract.QUEUE_NAME,
    contract.VISIBILITY_TIMEOUT_SECONDS,
    contract.TASK_PROTECTION,
    contract.SHUTDOWN_GRACE_SECONDS,
)

QUEUE_SHAPING_PROPS = (
    "queue_name",
    "fifo",
    "content_based_deduplication",
    "encryption_key",
    "visibility_timeout",
    "retention_period",
    "max_receive_count",
)

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


@dataclass(frozen=True)
class QueueSettings:
    """How to get the queue: adopt ``existing`` or create one (with a DLQ) from the rest."""

    existing: Optional[sqs.IQueue]
    queue_name: Optional[str]
    fifo: bool
    content_based_deduplication: bool
    encryption_key: Optional[kms.IKey]
    visibility_timeout: Duration
    retention_period: Duration
    max_receive_count: int


@dataclass(frozen=True)
class TaskSettings:
    """The task definition, its container and where the service runs."""

    image: ecs.ContainerImage
    command: Optional[Sequence[str]]
    environment: Mapping[str, str]
    secrets: Mapping[str, ecs.Secret]
    cpu: int
    memory_limit_mib: int
    cpu_architecture: ecs.CpuArchitecture
    log_retention: logs.RetentionDays
    stop_timeout: Duration
    task_protection: bool
    cluster: Optional[ecs.ICluster]
    vpc: Optional[ec2.IVpc]
    vpc_subnets: Optional[ec2.SubnetSelection]
    security_groups: Optional[Sequence[ec2.ISecurityGroup]]
    assign_public_ip: bool
    capacity_provider_strategies: Optional[Sequence[ecs.CapacityProviderStrategy]]
    platform_version: Optional[ecs.FargatePlatformVersion]
    container_insights: bool

    @property
    def shutdown_grace_seconds(self) -> int:
        """How long the worker lets running handlers finish after SIGTERM."""
        return max(int(self.stop_timeout.to_seconds()) - SHUTDOWN_MARGIN_SECONDS, 1)


@dataclass(frozen=True)
class ScaleOutStep:
    """One validated scale-out step in absolute visible-message counts: ``[lower, upper)``."""

    lower: int
    upper: Optional[int]
    change: int


@dataclass(frozen=True)
class ScalingSettings:
    """Capacity bounds, scale-out steps and the scale-in-to-zero condition."""

    max_capacity: int
    scale_out_steps: tuple[ScaleOutStep, ...]
    scale_out_cooldown: Duration
    idle_timeout_minutes: int
    idle_cpu_threshold_percent: Optional[float]
    scale_in_on_cpu_only: bool
    gradual_scale_in: bool
    gradual_scale_in_cooldown: Duration


@dataclass(frozen=True)
class MonitoringOptions:
    """Tunes the dashboard and the operational alarms ``ScaleToZeroQueueService`` adds.

    Attributes:
        alarm_topic: An SNS topic for the alarm and OK actions of the operational alarms.
            Default: no actions (add your own to the alarm attributes).
        oldest_message_age_threshold: Age of the oldest message above which the service is
            considered not to be waking. The age counts messages being worked on too, so raise
            it above your longest job. Whole minutes. Default: ``idle_timeout`` plus three
            expected wakes (5 minutes each), 20 minutes with the defaults.
        tasks_on_empty_queue_alarm: Alarm when tasks keep running while the queue has been
            empty for three ``idle_timeout`` windows. Default: True.
        dashboard_name: Name of the CloudWatch dashboard. Default: generated by CloudFormation.
    """

    alarm_topic: Optional[sns.ITopic] = None
    oldest_message_age_threshold: Optional[Duration] = None
    tasks_on_empty_queue_alarm: bool = True
    dashboard_name: Optional[str] = None


@dataclass(frozen=True)
class MonitoringSettings:
    """Validated monitoring settings."""

    alarm_topic: Optional[sns.ITopic]
    oldest_message_age_threshold_seconds: int
    tasks_on_empty_queue_alarm: bool
    dashboard_name: Optional[str]


@dataclass(frozen=True)
class ServiceSettings:
    """Everything ``ScaleToZeroQueueService`` builds from, validated."""

    queue: QueueSettings
    task: TaskSettings
    scaling: ScalingSettings
    monitoring: Optional[MonitoringSettings]
    """``None`` when monitoring is off."""
    backlog_signal: bool
    """Scale on the fresh backlog signal instead of SQS's own metrics."""


def resolve_settings(props: Mapping[str, Any]) -> ServiceSettings:
    """Validate the construct's props and resolve their defaults.

    Args:
        props: The props of ``ScaleToZeroQueueService`` by name, as documented there; ``None``
            means "use the default", except for ``idle_cpu_threshold_percent``, whose ``None``
            turns the CPU condition off. Each group's resolver below takes the props it names.

    Returns:
        The validated settings.

    Raises:
        ScaleToZeroValidationError: For the first invalid prop found, naming it and the fix.
    """
    queue_settings = _resolve_queue(**_props_of(_resolve_queue, props))
    task_settings = _resolve_task(**_props_of(_resolve_task, props))
    scaling_settings = _resolve_scaling(
        **_props_of(_resolve_scaling, props), task_protection_enabled=task_settings.task_protection
    )
    return ServiceSettings(
        queue=queue_settings,
        task=task_settings,
        scaling=scaling_settings,
        monitoring=_resolve_monitoring(props["monitoring"], scaling_settings.idle_timeout_minutes),
        backlog_signal=bool(props["backlog_signal"]),
    )


def _props_of(resolver: Callable[..., object], props: Mapping[str, Any]) -> dict[str, Any]:
    """The props that ``resolver`` takes, by its keyword parameters' names."""
    return {name: props[name] for name in inspect.signature(resolver).parameters if name in props}


def _seconds(prop: str, value: Duration) -> float:
    try:
        return value.to_seconds(integral=False)
    except RuntimeError as error:  # jsii: a Duration built from a token can't be converted
        raise ScaleToZeroValidationError(
            prop, "must be a concrete Duration, not a token: pass e.g. Duration.minutes(5)"
        ) from error


def _whole_minutes(prop: str, value: Duration) -> int:
    """``value`` in minutes, which must be whole and fit a one-minute alarm's one-day window."""
    seconds = _seconds(prop, value)
    if seconds < 60 or seconds % 60:
        raise ScaleToZeroValidationError(
            prop,
            f"must be a whole number of minutes, at least 1 (got {seconds:g} s): the alarm "
            "evaluates one-minute periods; use e.g. Duration.minutes(5)",
        )
    minutes = int(seconds // 60)
    if minutes > MAX_ALARM_WINDOW_MINUTES:
        raise ScaleToZeroValidationError(
            prop,
            f"must be at most 24 hours, CloudWatch's window for one-minute alarms "
            f"(got {minutes} minutes)",
        )
    return minutes


def _architecture_name(architecture: ecs.CpuArchitecture) -> str:
    """The CloudFormation name of ``architecture`` (the class exposes none), rendered in a
    throwaway app so that nothing is added to the user's construct tree."""
    probe = Stack(App(), "ArchitectureProbe")
    task = ecs.FargateTaskDefinition(
        probe,
        "Task",
        runtime_platform=ecs.RuntimePlatform(
            cpu_architecture=architecture,
            operating_system_family=ecs.OperatingSystemFamily.LINUX,
        ),
    )
    rendered = probe.resolve(cast(ecs.CfnTaskDefinition, task.node.default_child).runtime_platform)
    return str(rendered["cpuArchitecture"])


def _require_int(prop: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScaleToZeroValidationError(
            prop, f"must be a whole number (got {value!r}): pass an int"
        )


def _resolve_queue(
    *,
    queue: Optional[sqs.IQueue],
    queue_name: Optional[str],
    fifo: Optional[bool],
    content_based_deduplication: Optional[bool],
    encryption_key: Optional[kms.IKey],
    visibility_timeout: Optional[Duration],
    retention_period: Optional[Duration],
    max_receive_count: Optional[int],
) -> QueueSettings:
    if queue is not None:
        provided = locals()
        given = [name for name in QUEUE_SHAPING_PROPS if provided[name] is not None]
        if given:
            raise ScaleToZeroValidationError(
                given[0],
                f"cannot be set together with queue (also given: {', '.join(given)}): configure "
                "the queue you bring where you create it, or omit queue to let the construct "
                "create one",
            )
    resolved_fifo = bool(fifo)
    if queue_name is not None and Token.is_unresolved(queue_name) and resolved_fifo:
        raise ScaleToZeroValidationError(
            "queue_name",
            "must be a literal string for a FIFO queue (got a token): the construct derives the "
            "dead-letter queue's '.fifo' name from it; pass a literal or omit queue_name",
        )
    if queue_name is not None and not Token.is_unresolved(queue_name):
        base = queue_name[: -len(".fifo")] if queue_name.endswith(".fifo") else queue_name
        if resolved_fifo and not queue_name.endswith(".fifo"):
            raise ScaleToZeroValidationError(
                "queue_name",
                f"a FIFO queue's name must end in '.fifo' (got {queue_name!r}): "
                f"use {queue_name + '.fifo'!r}",
            )
        if not resolved_fifo and queue_name.endswith(".fifo"):
            raise ScaleToZeroValidationError(
                "queue_name",
                f"only FIFO queues may end in '.fifo' (got {queue_name!r}): set fifo=True or "
                f"use {base!r}",
            )
        # The DLQ is named after the queue with a '-dlq' suffix, which must fit in 80 chars.
        if (
            not _QUEUE_NAME.match(base)
            or len(base) + len("-dlq") + (5 if resolved_fifo else 0) > 80
        ):
            raise ScaleToZeroValidationError(
                "queue_name",
                f"{queue_name!r} is not a valid queue name: use up to "
                f"{76 - (5 if resolved_fifo else 0)} letters, digits, '-' or '_' before any "
                "'.fifo' (room is kept for the dead-letter queue's '-dlq' suffix)",
            )
    if content_based_deduplication and not resolved_fifo:
        raise ScaleToZeroValidationError(
            "content_based_deduplication",
            "applies only to FIFO queues: set fifo=True or drop content_based_deduplication",
        )
    resolved_visibility = visibility_timeout or DEFAULT_VISIBILITY_TIMEOUT
    visibility_seconds = _seconds("visibility_timeout", resolved_visibility)
    if (
        not 1 <= visibility_seconds <= MAX_VISIBILITY_TIMEOUT_SECONDS
        or visibility_seconds % 1
    ):
        raise ScaleToZeroValidationError(
            "visibility_timeout",
            f"must be whole seconds between 1 second and 12 hours (got {visibility_seconds:g} s): "
            "the worker's heartbeat extends visibility for longer jobs, so a few minutes is enough",
        )
    resolved_retention = retention_period or DEFAULT_RETENTION_PERIOD
    retention_seconds = _seconds("retention_period", resolved_retention)
    if not 60 <= retention_seconds <= 14 * 24 * 3600:
        raise ScaleToZeroValidationError(
            "retention_period",
            f"must be between 1 minute and 14 days, SQS's limits (got {retention_seconds:g} s)",
        )
    resolved_receives = (
        DEFAULT_MAX_RECEIVE_COUNT if max_receive_count is None else max_receive_count
    )
    _require_int("max_receive_count", resolved_receives)
    if not 1 <= resolved_receives <= 1000:
        raise ScaleToZeroValidationError(
            "max_receive_count",
            f"must be between 1 and 1000 (got {resolved_receives}): it is how many times a message "
            "is received before it moves to the dead-letter queue",
        )
    return QueueSettings(
        existing=queue,
        queue_name=queue_name,
        fifo=resolved_fifo,
        content_based_deduplication=bool(content_based_deduplication),
        encryption_key=encryption_key,
        visibility_timeout=resolved_visibility,
        retention_period=resolved_retention,
        max_receive_count=resolved_receives,
    )


def _resolve_task(
    *,
    image: ecs.ContainerImage,
    command: Optional[Sequence[str]],
    environment: Optional[Mapping[str, str]],
    secrets: Optional[Mapping[str, ecs.Secret]],
    cpu: Optional[int],
    memory_limit_mib: Optional[int],
    cpu_architecture: Optional[ecs.CpuArchitecture],
    log_retention: Optional[logs.RetentionDays],
    stop_timeout: Optional[Duration],
    task_protection: Optional[bool],
    cluster: Optional[ecs.ICluster],
    vpc: Optional[ec2.IVpc],
    vpc_subnets: Optional[ec2.SubnetSelection],
    security_groups: Optional[Sequence[ec2.ISecurityGroup]],
    assign_public_ip: Optional[bool],
    capacity_provider_strategies: Optional[Sequence[ecs.CapacityProviderStrategy]],
    platform_version: Optional[ecs.FargatePlatformVersion],
    container_insights: Optional[bool],
) -> TaskSettings:
    if image is None:
        raise ScaleToZeroValidationError(
            "image", "is required: pass e.g. ecs.ContainerImage.from_asset('worker/')"
        )
    resolved_environment = dict(environment or {})
    resolved_secrets = dict(secrets or {})
    for name, value in resolved_environment.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ScaleToZeroValidationError(
                "environment",
                f"names and values must be strings (got {name!r}: {value!r}): "
                "convert them, e.g. str(value)",
            )
    for prop, names in (("environment", resolved_environment), ("secrets", resolved_secrets)):
        reserved = sorted(set(names) & set(RESERVED_ENVIRONMENT))
        if reserved:
            raise ScaleToZeroValidationError(
                prop,
                f"{', '.join(reserved)} is set by the construct for the worker runtime: "
                "rename your variable",
            )
    both = sorted(set(resolved_environment) & set(resolved_secrets))
    if both:
        raise ScaleToZeroValidationError(
            "secrets",
            f"{', '.join(both)} is also in environment: give each variable one source",
        )
    resolved_cpu = DEFAULT_CPU if cpu is None else cpu
    resolved_memory = DEFAULT_MEMORY_LIMIT_MIB if memory_limit_mib is None else memory_limit_mib
    _require_int("cpu", resolved_cpu)
    _require_int("memory_limit_mib", resolved_memory)
    if resolved_cpu not in FARGATE_TASK_SIZES:
        raise ScaleToZeroValidationError(
            "cpu",
            f"Fargate offers {', '.join(map(str, FARGATE_TASK_SIZES))} CPU units (got {resolved_cpu})",
        )
    allowed_memory = FARGATE_TASK_SIZES[resolved_cpu]
    if resolved_memory not in allowed_memory:
        raise ScaleToZeroValidationError(
            "memory_limit_mib",
            f"Fargate does not offer {resolved_memory} MiB with cpu={resolved_cpu}: use "
            f"{allowed_memory[0]} to {allowed_memory[-1]} MiB in steps of "
            f"{allowed_memory[1] - allowed_memory[0]}, or change cpu",
        )
    resolved_stop = stop_timeout or DEFAULT_STOP_TIMEOUT
    stop_seconds = _seconds("stop_timeout", resolved_stop)
    if not 2 <= stop_seconds <= MAX_STOP_TIMEOUT_SECONDS:
        raise ScaleToZeroValidationError(
            "stop_timeout",
            f"must be between 2 and 120 seconds on Fargate (got {stop_seconds:g} s): "
            "use at most Duration.seconds(120)",
        )
    if cluster is not None and vpc is not None:
        raise ScaleToZeroValidationError(
            "vpc",
            "cannot be set together with cluster: the cluster's VPC is used; pass only one",
        )
    if cluster is not None and container_insights is not None:
        raise ScaleToZeroValidationError(
            "container_insights",
            "applies only to a cluster the construct creates: enable Container Insights on the "
            "cluster you pass, or omit cluster",
        )
    creates_vpc = cluster is None and vpc is None
    if creates_vpc and vpc_subnets is not None:
        raise ScaleToZeroValidationError(
            "vpc_subnets",
            "needs a vpc or cluster: the VPC the construct creates has public subnets only",
        )
    if creates_vpc and assign_public_ip is False:
        raise ScaleToZeroValidationError(
            "assign_public_ip",
            "must stay True in the VPC the construct creates: it has no NAT gateway, so a task "
            "without a public IP can't reach ECR or SQS; pass your own vpc to run tasks privately",
        )
    architecture = cpu_architecture or ecs.CpuArchitecture.X86_64
    uses_spot = any(
        strategy.capacity_provider == "FARGATE_SPOT"
        for strategy in capacity_provider_strategies or ()
    )
    if uses_spot and _architecture_name(architecture) == "ARM64":
        raise ScaleToZeroValidationError(
            "capacity_provider_strategies",
            "FARGATE_SPOT runs only X86_64 Linux tasks (Amazon ECS developer guide, Fargate "
            "capacity providers): use FARGATE with cpu_architecture=ARM64, or X86_64 on Spot",
        )
    return TaskSettings(
        image=image,
        command=list(command) if command is not None else None,
        environment=resolved_environment,
        secrets=resolved_secrets,
        cpu=resolved_cpu,
        memory_limit_mib=resolved_memory,
        cpu_architecture=architecture,
        log_retention=log_retention or DEFAULT_LOG_RETENTION,
        stop_timeout=resolved_stop,
        task_protection=True if task_protection is None else task_protection,
        cluster=cluster,
        vpc=vpc,
        vpc_subnets=vpc_subnets,
        security_groups=list(security_groups) if security_groups is not None else None,
        assign_public_ip=creates_vpc if assign_public_ip is None else assign_public_ip,
        capacity_provider_strategies=(
            list(capacity_provider_strategies) if capacity_provider_strategies is not None else None
        ),
        platform_version=platform_version,
        container_insights=True if container_insights is None else container_insights,
    )


def _resolve_scaling(
    *,
    max_capacity: Optional[int],
    scale_out_steps: Optional[Sequence[appscaling.ScalingInterval]],
    scale_out_cooldown: Optional[Duration],
    idle_timeout: Optional[Duration],
    idle_cpu_threshold_percent: Optional[float],
    scale_in_on_cpu_only: Optional[bool],
    gradual_scale_in: Optional[bool],
    gradual_scale_in_cooldown: Optional[Duration],
    task_protection_enabled: bool,
) -> ScalingSettings:
    resolved_max = DEFAULT_MAX_CAPACITY if max_capacity is None else max_capacity
    _require_int("max_capacity", resolved_max)
    if resolved_max < 1:
        raise ScaleToZeroValidationError(
            "max_capacity",
            f"must be at least 1 (got {resolved_max}): raise it, or omit it for the default "
            f"{DEFAULT_MAX_CAPACITY}",
        )
    steps = _resolve_scale_out_steps(
        default_scale_out_steps() if scale_out_steps is None else scale_out_steps
    )
    resolved_cooldown = scale_out_cooldown or DEFAULT_SCALE_OUT_COOLDOWN
    if _seconds("scale_out_cooldown", resolved_cooldown) < 0:
        raise ScaleToZeroValidationError("scale_out_cooldown", "must not be negative")
    resolved_idle = idle_timeout or DEFAULT_IDLE_TIMEOUT
    idle_minutes = _whole_minutes("idle_timeout", resolved_idle)
    if idle_cpu_threshold_percent is not None and not 0 <= idle_cpu_threshold_percent <= 100:
        raise ScaleToZeroValidationError(
            "idle_cpu_threshold_percent",
            f"must be between 0 and 100 (got {idle_cpu_threshold_percent:g}), or None to scale "
            "in on the backlog alone",
        )
    cpu_only = bool(scale_in_on_cpu_only)
    if cpu_only and idle_cpu_threshold_percent is None:
        raise ScaleToZeroValidationError(
            "idle_cpu_threshold_percent",
            "must be set when scale_in_on_cpu_only=True: the CPU threshold is then the only "
            "scale-in condition (the seed blog used 0.01)",
        )
    gradual = bool(gradual_scale_in)
    if gradual and not task_protection_enabled:
        raise ScaleToZeroValidationError(
            "gradual_scale_in",
            "needs task_protection=True: without ECS task scale-in protection a gradual scale-in "
            "stops tasks in the middle of a message",
        )
    resolved_gradual_cooldown = gradual_scale_in_cooldown or DEFAULT_GRADUAL_SCALE_IN_COOLDOWN
    _whole_minutes("gradual_scale_in_cooldown", resolved_gradual_cooldown)
    return ScalingSettings(
        max_capacity=resolved_max,
        scale_out_steps=steps,
        scale_out_cooldown=resolved_cooldown,
        idle_timeout_minutes=idle_minutes,
        idle_cpu_threshold_percent=idle_cpu_threshold_percent,
        scale_in_on_cpu_only=cpu_only,
        gradual_scale_in=gradual,
        gradual_scale_in_cooldown=resolved_gradual_cooldown,
    )


def _resolve_scale_out_steps(
    intervals: Sequence[appscaling.ScalingInterval],
) -> tuple[ScaleOutStep, ...]:
    prop = "scale_out_steps"
    if not intervals:
        raise ScaleToZeroValidationError(
            prop, "needs at least one step, e.g. [ScalingInterval(lower=1, change=1)]"
        )
    steps = []
    for index, interval in enumerate(intervals):
        lower, upper, change = interval.lower, interval.upper, interval.change
        if lower is None:
            raise ScaleToZeroValidationError(
                prop,
                f"step {index} has no lower bound: give every step a lower bound in visible "
                "messages (the first one 1)",
            )
        for name, value in (("lower", lower), ("upper", upper), ("change", change)):
            if value is not None and value != int(value):
                raise ScaleToZeroValidationError(
                    prop, f"step {index}'s {name} must be a whole number (got {value:g})"
                )
        if change <= 0:
            raise ScaleToZeroValidationError(
                prop,
                f"step {index} has change {change:g}: scale-out steps must add tasks (change >= 1); "
                "scale-in to zero is the idle alarm's job",
            )
        if upper is not None and upper <= lower:
            raise ScaleToZeroValidationError(
                prop, f"step {index} has upper {upper:g} <= lower {lower:g}: make upper larger"
            )
        steps.append(
            ScaleOutStep(
                lower=int(lower), upper=None if upper is None else int(upper), change=int(change)
            )
        )
    steps.sort(key=lambda step: step.lower)
    if steps[0].lower != 1:
        raise ScaleToZeroValidationError(
            prop,
            f"the lowest step starts at {steps[0].lower} visible messages: start it at lower=1 so "
            "that a single message wakes the service from zero",
        )
    for previous, following in itertools.pairwise(steps):
        if previous.upper is None or previous.upper > following.lower:
            raise ScaleToZeroValidationError(
                prop,
                f"steps starting at {previous.lower} and {following.lower} overlap: end each step "
                "where the next one starts (upper == next lower)",
            )
        if previous.upper < following.lower:
            raise ScaleToZeroValidationError(
                prop,
                f"gap between {previous.upper} and {following.lower} visible messages: end each "
                "step where the next one starts (upper == next lower)",
            )
    if steps[-1].upper is not None:
        raise ScaleToZeroValidationError(
            prop,
            f"the highest step ends at {steps[-1].upper} visible messages: leave its upper unset "
            "so that every backlog matches a step",
        )
    return tuple(steps)


def _resolve_monitoring(
    monitoring: Union[bool, MonitoringOptions, None], idle_timeout_minutes: int
) -> Optional[MonitoringSettings]:
    if monitoring is False:
        return None
    if monitoring is None or monitoring is True:
        options = MonitoringOptions()
    elif isinstance(monitoring, MonitoringOptions):
        options = monitoring
    else:
        raise ScaleToZeroValidationError(
            "monitoring",
            f"must be True, False or a MonitoringOptions (got {type(monitoring).__name__})",
        )
    if options.oldest_message_age_threshold is None:
        age_seconds = idle_timeout_minutes * 60 + 3 * int(EXPECTED_WAKE.to_seconds())
    else:
        age_seconds_float = _seconds(
            "oldest_message_age_threshold", options.oldest_message_age_threshold
        )
        if age_seconds_float < 60 or age_seconds_float % 60:
            raise ScaleToZeroValidationError(
                "oldest_message_age_threshold",
                f"must be a whole number of minutes, at least 1 (got {age_seconds_float:g} s): "
                "use e.g. Duration.minutes(30), above your longest job",
            )
        age_seconds = int(age_seconds_float)
    name = options.dashboard_name
    if name is not None and not Token.is_unresolved(name) and not _DASHBOARD_NAME.match(name):
        raise ScaleToZeroValidationError(
            "dashboard_name",
            f"{name!r} is not a valid dashboard name: use up to 255 letters, digits, '-' or '_'",
        )
    return MonitoringSettings(
        alarm_topic=options.alarm_topic,
        oldest_message_age_threshold_seconds=age_seconds,
        tasks_on_empty_queue_alarm=options.tasks_on_empty_queue_alarm,
        dashboard_name=options.dashboard_name,
    )
