"""The capacity part: where the tasks run (Fargate, Fargate Spot or GPU instances).

Three rooms: :mod:`.choice` (the public :class:`Capacity` value), :mod:`.settings` (its checks
against the other props) and :mod:`.instances` (the Auto Scaling group and capacity provider of
GPU instances).

**Why an Auto Scaling group capacity provider and not ECS Managed Instances** (issue #25 asked
for the evidence; docs/gpu.md has the table):

* Busy instances: managed termination protection documents that "Amazon ECS only terminates EC2
  instances that don't have any running Amazon ECS tasks" ("Control the instances Amazon ECS
  terminates"). Managed Instances remove idle instances and also consolidate *underutilized*
  ones ("Amazon ECS Managed Instances infrastructure optimization"); the pages read say nothing
  of what that does to a task holding scale-in protection, so, pessimistically, a busy worker
  could be moved mid-message.
* Network: Managed Instances run ``awsvpc``, ``host`` or ``none`` tasks, not ``bridge`` (API
  ``ManagedInstancesNetworkConfiguration``, "Amazon ECS task networking for Managed
  Instances"), and their network configuration takes only subnets and security groups: no
  public IP. An ``awsvpc`` task on EC2 gets no public IP either, so the worker would need a
  private subnet and a NAT gateway (about $33 a month before data) to reach SQS and ECR: a
  price an idle GPU worker at zero instances must not carry.
* Time to first task: both launch an instance for a task waiting in PROVISIONING; with the Auto
  Scaling group the wake function raises the group's desired capacity itself
  (:func:`sqs_scale_to_zero.wake_function.enable_instance_wake`), which Managed Instances
  offer no call for. No GPU launch time is published for either.
* Scale-in of idle instances: Managed Instances' ``scaleInAfter`` (0-3600 s, API
  ``InfrastructureOptimization``) beats the 15 datapoints of managed scaling, but the pinned
  aws-cdk-lib's ``ManagedInstancesCapacityProvider`` (2.275) has no prop for it; only the L1
  ``CfnCapacityProvider.InfrastructureOptimizationProperty`` sets it.
* Cost: the EC2 price plus a Managed Instances management charge (Amazon ECS pricing).

https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instances-infrastructure-optimization.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-networking.html
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedInstancesNetworkConfiguration.html
"""

from __future__ import annotations

from sqs_scale_to_zero.capacity.choice import Capacity, CapacityKind
from sqs_scale_to_zero.capacity.instances import (
    GpuInstances,
    build_gpu_instances,
    capacity_provider_strategy,
    placement_strategies,
)
from sqs_scale_to_zero.capacity.settings import CapacitySettings, resolve_capacity

__all__ = [
    "Capacity",
    "CapacityKind",
    "CapacitySettings",
    "GpuInstances",
    "build_gpu_instances",
    "capacity_provider_strategy",
    "placement_strategies",
    "resolve_capacity",
]
