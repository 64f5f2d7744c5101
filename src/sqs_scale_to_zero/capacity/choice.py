"""``Capacity``: where the worker's tasks run, as a value passed to the construct's ``capacity``.

Three choices: Fargate (the default), Fargate Spot, and GPU instances of an Auto Scaling group
that ECS scales to zero instances (:meth:`Capacity.gpu_instances`). Why an Auto Scaling group
capacity provider and not ECS Managed Instances is in :mod:`sqs_scale_to_zero.capacity` and
docs/gpu.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from aws_cdk import aws_ec2 as ec2

from sqs_scale_to_zero.checks import optional_bool, optional_instance, optional_int
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.instance_types import GPU_INSTANCE_TYPES

DEFAULT_GPU_INSTANCE_TYPE = "g5.xlarge"
"""The instance type of ``Capacity.gpu_instances()``: one NVIDIA A10G GPU, 4 vCPUs, 16 GiB."""

MAX_MIN_INSTANCES = 10
"""The most instances ``min_instances`` may keep running: it is a cold-start cutter, not a fleet."""


MAX_SCALING_STEP = 10000
"""ECS managed scaling's largest ``maximumScalingStepSize`` (API ``ManagedScaling``)."""


class CapacityKind(Enum):
    """What runs the tasks."""

    FARGATE = "FARGATE"
    FARGATE_SPOT = "FARGATE_SPOT"
    GPU_INSTANCES = "GPU_INSTANCES"


@dataclass(frozen=True)
class Capacity:
    """Where the worker's tasks run.

    Make one with :meth:`fargate`, :meth:`fargate_spot` or :meth:`gpu_instances`.

    Attributes:
        kind: Fargate, Fargate Spot or GPU instances.
        instance_type: The EC2 instance type (GPU instances only), e.g. ``g5.xlarge``.
        max_instances: The most instances the Auto Scaling group runs; ``None`` derives it from
            ``max_capacity`` and ``gpu_count`` (GPU instances only).
        min_instances: Instances kept running while no task runs (GPU instances only).
        spot: Launch Spot instances (GPU instances only).
        warm_pool: Keep stopped, pre-initialized instances in a warm pool (GPU instances only).
        instances_per_scale_out: The most instances one managed scale-out launches; ``None``
            leaves ECS's default (GPU instances only).
    """

    kind: CapacityKind
    instance_type: Optional[str] = None
    max_instances: Optional[int] = None
    min_instances: int = 0
    spot: bool = False
    warm_pool: bool = False
    instances_per_scale_out: Optional[int] = None

    @staticmethod
    def fargate() -> Capacity:
        """Fargate tasks (the default): no instance to manage, no GPU."""
        return Capacity(CapacityKind.FARGATE)

    @staticmethod
    def fargate_spot() -> Capacity:
        """Fargate Spot tasks: up to 70 % cheaper, X86_64 only, interruptible.

        AWS gives two minutes' notice; the worker's SIGTERM handling releases the message.
        """
        return Capacity(CapacityKind.FARGATE_SPOT)

    @staticmethod
    def gpu_instances(
        *,
        instance_type: Optional[ec2.InstanceType] = None,
        max_instances: Optional[int] = None,
        min_instances: Optional[int] = None,
        spot: Optional[bool] = None,
        warm_pool: Optional[bool] = None,
        instances_per_scale_out: Optional[int] = None,
    ) -> Capacity:
        """GPU instances of an Auto Scaling group capacity provider that ECS scales to zero.

        ECS managed scaling (target capacity 100 %) launches instances for tasks waiting in
        PROVISIONING and removes instances that run no task; managed termination protection keeps
        an instance that runs a task from being terminated by scale-in. Instances run the ECS
        GPU-optimized Amazon Linux 2023 AMI, and tasks ask for their GPUs (``gpu_count``).

        Args:
            instance_type: An NVIDIA GPU instance type, e.g. ``ec2.InstanceType("g6.xlarge")``:
                g4dn, g5 and g6 (xlarge, 2xlarge, 12xlarge; g5.48xlarge) and p3 (2xlarge,
                8xlarge). Default: ``g5.xlarge`` (1 A10G GPU, 4 vCPUs, 16 GiB).
            max_instances: The most instances, at least ``min_instances`` and 1.
                Default: enough for ``max_capacity`` tasks of ``gpu_count`` GPUs.
            min_instances: Instances kept running with no task, 0 to 10: 1 removes the instance
                launch from a wake at the price of one instance around the clock.
                Default: 0 (no instance while idle).
            spot: Launch Spot instances (cheaper, interruptible; ECS drains a task on an
                instance AWS reclaims). Can't be combined with ``warm_pool``. Default: False.
            warm_pool: Keep one stopped, pre-initialized instance (its image already pulled
                after its first use) in an Auto Scaling warm pool: starting it is faster than a
                launch, and a stopped instance costs only its EBS volume. Default: False.
            instances_per_scale_out: The most instances one scale-out of ECS managed scaling
                launches (its ``maximumScalingStepSize``), 1 to 10000. 1 keeps managed scaling's
                scale-out from zero to one instance, where ECS otherwise asks for two
                (aws/containers-roadmap#1716), at the price of adding one instance a minute to
                a growing backlog; it may still add one beside the instance the wake function
                launches (#945).
                Default: ECS's (10000).

        Raises:
            ScaleToZeroValidationError: An argument of the wrong type or out of range.
        """
        instance_type = optional_instance(
            "capacity", instance_type, ec2.InstanceType, 'ec2.InstanceType("g5.xlarge")'
        )
        name = DEFAULT_GPU_INSTANCE_TYPE if instance_type is None else instance_type.to_string()
        if name not in GPU_INSTANCE_TYPES:
            raise ScaleToZeroValidationError(
                "capacity",
                f"Capacity.gpu_instances(instance_type={name!r}) is not a known NVIDIA GPU "
                f"instance type: use one of {', '.join(GPU_INSTANCE_TYPES)}",
            )
        max_instances = optional_int("capacity", max_instances)
        resolved_min = optional_int("capacity", min_instances) or 0
        if not 0 <= resolved_min <= MAX_MIN_INSTANCES:
            raise ScaleToZeroValidationError(
                "capacity",
                f"Capacity.gpu_instances(min_instances=...) must be 0 to {MAX_MIN_INSTANCES} "
                f"(got {resolved_min}): 0 scales to zero instances",
            )
        if max_instances is not None and max_instances < max(resolved_min, 1):
            raise ScaleToZeroValidationError(
                "capacity",
                f"Capacity.gpu_instances(max_instances=...) must be at least 1 and at least "
                f"min_instances (got {max_instances}): raise it or omit it",
            )
        step = optional_int("capacity", instances_per_scale_out)
        if step is not None and not 1 <= step <= MAX_SCALING_STEP:
            raise ScaleToZeroValidationError(
                "capacity",
                f"Capacity.gpu_instances(instances_per_scale_out=...) must be 1 to "
                f"{MAX_SCALING_STEP} (got {step}): 1 launches one instance per wake from zero",
            )
        resolved_spot = bool(optional_bool("capacity", spot))
        resolved_warm_pool = bool(optional_bool("capacity", warm_pool))
        if resolved_spot and resolved_warm_pool:
            raise ScaleToZeroValidationError(
                "capacity",
                "Capacity.gpu_instances(spot=True, warm_pool=True): an Auto Scaling warm pool "
                "can't hold Spot instances (EC2 Auto Scaling user guide, warm pools); choose one",
            )
        return Capacity(
            CapacityKind.GPU_INSTANCES,
            instance_type=name,
            max_instances=max_instances,
            min_instances=resolved_min,
            spot=resolved_spot,
            warm_pool=resolved_warm_pool,
            instances_per_scale_out=step,
        )

    @property
    def on_instances(self) -> bool:
        """True when tasks run on EC2 instances the construct's capacity provider launches."""
        return self.kind is CapacityKind.GPU_INSTANCES
