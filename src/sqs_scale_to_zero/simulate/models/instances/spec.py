"""The EC2 instance capacity of a service, as read from a template (a frozen dataclass)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceCapacitySpec:
    """The EC2 instances an Auto Scaling group capacity provider gives the service's tasks.

    Read from the service's ``CapacityProviderStrategy``, its ``AWS::ECS::CapacityProvider``, the
    Auto Scaling group, its launch template and warm pool, and the task definition's GPU
    requirement (:mod:`~sqs_scale_to_zero.simulate.models.instances.reader`).

    Attributes:
        provider_logical_id: The capacity provider's logical ID.
        instance_type: The launch template's ``InstanceType``.
        hourly_usd: That type's on-demand price per hour.
        tasks_per_instance: Tasks one instance holds (its GPUs over a task's; 1 without GPUs).
        min_instances: The group's ``MinSize``.
        max_instances: The group's ``MaxSize``.
        target_capacity: Managed scaling's ``TargetCapacity`` (percent).
        managed_scaling: ``ManagedScaling.Status`` is ``ENABLED``.
        termination_protection: ``ManagedTerminationProtection`` is ``ENABLED``.
        spot: The launch template asks for the Spot market.
        warm_pool_size: ``MinSize`` of the group's ``AWS::AutoScaling::WarmPool`` (0: none).
        warm_pool_reuse: The warm pool takes instances back on scale-in.
        volume_gib: The root volume, billed while the instance runs and while it is stopped.
        min_scaling_step: ``MinimumScalingStepSize``: fewest instances one scale-out launches.
        max_scaling_step: ``MaximumScalingStepSize``: most instances one scale-out launches.
    """

    provider_logical_id: str
    instance_type: str
    hourly_usd: float
    tasks_per_instance: int
    min_instances: int
    max_instances: int
    target_capacity: int = 100
    managed_scaling: bool = True
    termination_protection: bool = True
    spot: bool = False
    warm_pool_size: int = 0
    warm_pool_reuse: bool = False
    volume_gib: int = 30
    min_scaling_step: int = 1
    max_scaling_step: int = 10000


@dataclass(frozen=True)
class InstanceWakeSpec:
    """What a wake function may do to the instances: raise their Auto Scaling group at a wake.

    Read from its environment (the contract's ``SIGNAL_AUTO_SCALING_GROUP`` and
    ``SIGNAL_TASKS_PER_INSTANCE``) and its role (``autoscaling:DescribeAutoScalingGroups`` and
    ``autoscaling:SetDesiredCapacity`` on that group: without both, no raise).

    Attributes:
        group_logical_id: The ``AWS::AutoScaling::AutoScalingGroup`` it names.
        tasks_per_instance: Its literal ``TASKS_PER_INSTANCE``.
    """

    group_logical_id: str
    tasks_per_instance: int

    def instances(self, tasks: int) -> int:
        """Instances ``tasks`` woken tasks need, as the handler asks for them."""
        return -(-tasks // self.tasks_per_instance)
