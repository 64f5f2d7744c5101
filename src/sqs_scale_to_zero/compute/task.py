"""The worker's task definition and container: image, command, environment, size, stop timeout.

Props: ``image``, ``command``, ``environment``, ``secrets``, ``cpu``, ``memory_limit_mib``,
``cpu_architecture``, ``log_retention``, ``stop_timeout`` and ``task_protection``.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.checks import (
    optional_bool,
    optional_duration,
    optional_instance,
    optional_int,
    optional_mapping,
    optional_sequence,
    whole_seconds,
)
from sqs_scale_to_zero.compliance import acknowledge, wildcard_resource_finding
from sqs_scale_to_zero.compute.dead_letters import grant_dead_lettering
from sqs_scale_to_zero.compute.environment import (
    check_user_variables,
    split_variables,
    worker_variables,
)
from sqs_scale_to_zero.delivery import DeliveryMode, DeliverySettings, add_runtime_container
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.worker import contract

DEFAULT_CPU = 256
DEFAULT_MEMORY_LIMIT_MIB = 512
DEFAULT_STOP_TIMEOUT = Duration.seconds(120)
DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
MAX_STOP_TIMEOUT_SECONDS = 120
"""Fargate's longest stop timeout (task definition ``stopTimeout``)."""

CONTAINER_NAME = "Worker"
TASK_PROTECTION_ACTIONS = ("ecs:GetTaskProtection", "ecs:UpdateTaskProtection")

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


@dataclass(frozen=True)
class TaskSettings:
    """The task definition and its container, validated."""

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

    @property
    def shutdown_grace_seconds(self) -> int:
        """How long the worker lets running handlers finish after SIGTERM."""
        return max(int(self.stop_timeout.to_seconds()) - contract.SHUTDOWN_MARGIN_SECONDS, 1)


@dataclass(frozen=True)
class WorkerTask:
    """The composed task definition, its containers and their log group."""

    task_definition: ecs.TaskDefinition
    container: ecs.ContainerDefinition
    """The container of the user's ``image``."""
    log_group: logs.LogGroup
    runtime_container: Optional[ecs.ContainerDefinition]
    """The worker runtime's own container with HTTP delivery; else ``None``."""
    runtime_host: Optional[ecs.ContainerDefinition]
    """The container the worker runtime runs in; ``None`` with the user's own consumer."""


def resolve_task(
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
    on_fargate: bool = True,
) -> TaskSettings:
    """Validate the task props and resolve their defaults.

    ``on_fargate``: check ``cpu`` and ``memory_limit_mib`` against Fargate's task sizes (on
    instances, :mod:`sqs_scale_to_zero.capacity` checks them against the instance type).

    Raises:
        ScaleToZeroValidationError: For the first invalid prop, naming it and the fix.
    """
    if image is None:
        raise ScaleToZeroValidationError(
            "image", "is required: pass e.g. ecs.ContainerImage.from_asset('worker/')"
        )
    if not isinstance(image, ecs.ContainerImage):
        raise ScaleToZeroValidationError(
            "image",
            f"must be an ecs.ContainerImage (got {type(image).__name__} {image!r}): pass e.g. "
            "ecs.ContainerImage.from_asset('worker/')",
        )
    resolved_command = _command(command)
    resolved_environment = optional_mapping("environment", environment, "{'LOG_FORMAT': 'json'}")
    resolved_secrets = optional_mapping(
        "secrets", secrets, "{'API_KEY': ecs.Secret.from_ssm_parameter(parameter)}"
    )
    cpu = optional_int("cpu", cpu)
    memory_limit_mib = optional_int("memory_limit_mib", memory_limit_mib)
    cpu_architecture = optional_instance(
        "cpu_architecture", cpu_architecture, ecs.CpuArchitecture, "ecs.CpuArchitecture.ARM64"
    )
    log_retention = optional_instance(
        "log_retention", log_retention, logs.RetentionDays, "logs.RetentionDays.ONE_WEEK"
    )
    stop_timeout = optional_duration("stop_timeout", stop_timeout)
    task_protection = optional_bool("task_protection", task_protection)
    environment_values, secret_values = check_user_variables(
        resolved_environment or {}, resolved_secrets or {}
    )
    resolved_cpu = DEFAULT_CPU if cpu is None else cpu
    resolved_memory = DEFAULT_MEMORY_LIMIT_MIB if memory_limit_mib is None else memory_limit_mib
    if on_fargate:
        _check_fargate_size(resolved_cpu, resolved_memory)
    resolved_stop = stop_timeout or DEFAULT_STOP_TIMEOUT
    stop_seconds = whole_seconds("stop_timeout", resolved_stop)
    if not 2 <= stop_seconds <= MAX_STOP_TIMEOUT_SECONDS:
        raise ScaleToZeroValidationError(
            "stop_timeout",
            f"must be between 2 and 120 seconds on Fargate (got {stop_seconds:g} s): "
            "use at most Duration.seconds(120)",
        )
    return TaskSettings(
        image=image,
        command=resolved_command,
        environment=environment_values,
        secrets=secret_values,
        cpu=resolved_cpu,
        memory_limit_mib=resolved_memory,
        cpu_architecture=cpu_architecture or ecs.CpuArchitecture.X86_64,
        log_retention=log_retention or DEFAULT_LOG_RETENTION,
        stop_timeout=resolved_stop,
        task_protection=True if task_protection is None else task_protection,
    )


def _check_fargate_size(resolved_cpu: int, resolved_memory: int) -> None:
    """``cpu`` and ``memory_limit_mib`` must be a task size Fargate offers."""
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


def _command(command: object) -> Optional[list[str]]:
    """``command`` as a list of strings; one string is refused, not split into characters."""
    if isinstance(command, str):
        raise ScaleToZeroValidationError(
            "command",
            f"must be a list of strings, one per argument (got the string {command!r}): pass "
            f"{shlex.split(command)!r}, e.g. shlex.split({command!r})",
        )
    resolved = optional_sequence("command", command, "['python', '-m', 'app']")
    if resolved is not None and not all(isinstance(part, str) for part in resolved):
        raise ScaleToZeroValidationError(
            "command", f"must be a list of strings (got {resolved!r}): convert each with str()"
        )
    return resolved


def build_task(
    scope: Construct,
    settings: TaskSettings,
    *,
    cluster: ecs.ICluster,
    queue: sqs.IQueue,
    visibility_timeout_seconds: Optional[int],
    dead_letter_queue: Optional[sqs.IQueue],
    delivery: DeliverySettings,
    gpu_count: int = 0,
) -> WorkerTask:
    """Create the task definition, its containers and log group, and the task role's grants.

    The worker runtime's variables go to the container it runs in (the app's, or with HTTP
    delivery its own); with the user's own consumer the app gets only the queue's URL and name.
    The task role may consume ``queue``, send to ``dead_letter_queue`` when the worker runtime
    runs (only ``sqs:SendMessage``, plus ``kms:GenerateDataKey`` and ``kms:Decrypt`` on its key
    if it has one: what ``raise DeadLetter`` needs) and, with ``task_protection``, set task
    scale-in protection on the tasks of ``cluster``. With ``gpu_count`` the task runs on EC2
    instances (:mod:`sqs_scale_to_zero.capacity`) in bridge mode, on the instance's network, and its
    container reserves that many GPUs; the instance type fixes its architecture (EC2 task
    definitions take no runtime platform).
    """
    task_definition: ecs.TaskDefinition
    if gpu_count:
        task_definition = ecs.TaskDefinition(
            scope,
            "TaskDefinition",
            compatibility=ecs.Compatibility.EC2,
            network_mode=ecs.NetworkMode.BRIDGE,
            cpu=str(settings.cpu),
            memory_mib=str(settings.memory_limit_mib),
        )
    else:
        task_definition = ecs.FargateTaskDefinition(
            scope,
            "TaskDefinition",
            cpu=settings.cpu,
            memory_limit_mib=settings.memory_limit_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=settings.cpu_architecture,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
    log_group = logs.LogGroup(scope, "Logs", retention=settings.log_retention)
    app_variables, runtime_variables = split_variables(
        delivery.mode,
        settings.environment,
        worker_variables(
            queue,
            task_protection=settings.task_protection,
            shutdown_grace_seconds=settings.shutdown_grace_seconds,
            visibility_timeout_seconds=visibility_timeout_seconds,
            dead_letter_queue=dead_letter_queue,
        ),
        queue,
    )
    container = task_definition.add_container(
        CONTAINER_NAME,
        image=settings.image,
        command=list(settings.command) if settings.command is not None else None,
        environment=app_variables or None,
        secrets=dict(settings.secrets) or None,
        logging=ecs.LogDrivers.aws_logs(stream_prefix="worker", log_group=log_group),
        stop_timeout=settings.stop_timeout,
        gpu_count=gpu_count or None,
    )
    runtime_container = None
    if delivery.http is not None:
        runtime_container = add_runtime_container(
            task_definition,
            delivery.http,
            app=container,
            environment=runtime_variables,
            log_group=log_group,
            stop_timeout=settings.stop_timeout,
        )
    queue.grant_consume_messages(task_definition.task_role)
    if dead_letter_queue is not None and delivery.mode is not DeliveryMode.OWN_CONSUMER:
        grant_dead_lettering(task_definition, dead_letter_queue)
    if task_definition.execution_role is not None:
        acknowledge(
            task_definition.execution_role,
            "AwsSolutions-IAM5[Resource::*]",
            "Pulling an image from ECR needs ecr:GetAuthorizationToken, which supports no "
            "resource-level permissions; the repository actions stay scoped to the repository.",
        )
    acknowledge(
        task_definition,
        "AwsSolutions-ECS2",
        "The construct sets non-secret worker configuration (queue URL and name, shutdown "
        "grace, visibility timeout) as environment variables; secrets go through `secrets`.",
    )
    if settings.task_protection:
        cluster_tasks = Stack.of(scope).format_arn(
            service="ecs", resource="task", resource_name=f"{cluster.cluster_name}/*"
        )
        task_definition.add_to_task_role_policy(
            iam.PolicyStatement(actions=list(TASK_PROTECTION_ACTIONS), resources=[cluster_tasks])
        )
        acknowledge(
            task_definition.task_role,
            wildcard_resource_finding(scope, cluster_tasks),
            "A task protects itself through the ECS agent; task IDs are not known at deploy "
            "time, so task protection is scoped to the tasks of this service's cluster.",
        )
    return WorkerTask(
        task_definition=task_definition,
        container=container,
        log_group=log_group,
        runtime_container=runtime_container,
        runtime_host=(
            None if delivery.mode is DeliveryMode.OWN_CONSUMER else runtime_container or container
        ),
    )
