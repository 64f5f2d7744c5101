"""What a template declares about the EC2 instances under an ECS service.

The reader builds :class:`~sqs_scale_to_zero.simulate.models.instances.spec.InstanceCapacitySpec` from
the service's ``CapacityProviderStrategy``: the ``AWS::ECS::CapacityProvider`` it names (an Auto
Scaling group provider), that provider's ``AWS::AutoScaling::AutoScalingGroup`` (``MinSize``,
``MaxSize``, its launch template's ``InstanceType``, Spot market and root volume) and any
``AWS::AutoScaling::WarmPool`` of the group. A task's share of an instance is the instance type's
GPUs over the task definition's ``ResourceRequirements`` of type ``GPU``. Managed scaling's
step sizes default as the ECS API documents them (1 and 10000).
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedScaling.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-capacityprovider.html
"""

from __future__ import annotations

from typing import Any

from sqs_scale_to_zero.instance_types import GPU_INSTANCE_TYPES
from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.instances.spec import InstanceCapacitySpec
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template

DEFAULT_ROOT_VOLUME_GIB = 30
"""Root volume of the ECS-optimized AMIs when the launch template sets none (pessimistic)."""


def _int(value: Any, default: int) -> int:
    try:
        return int(float(value)) if value is not None else default
    except (TypeError, ValueError):
        return default


def task_gpus(task_definition: dict[str, Any]) -> int:
    """GPUs a task reserves: the sum of its containers' ``GPU`` resource requirements."""
    return sum(
        _int(requirement.get("Value"), 0)
        for container in task_definition.get("ContainerDefinitions") or []
        for requirement in container.get("ResourceRequirements") or []
        if requirement.get("Type") == "GPU"
    )


def read_instance_capacity(
    reader: Template, service_props: dict[str, Any]
) -> InstanceCapacitySpec | None:
    """The instances of the service's Auto Scaling group capacity provider, or ``None``.

    ``None`` for Fargate (a launch type, or only ``FARGATE``/``FARGATE_SPOT`` providers).

    Raises:
        SimulationInputError: The provider's group, launch template or instance type is not in
            the template, or the instance type has no known price.
    """
    providers = reader.of_type("AWS::ECS::CapacityProvider")
    named = [
        pid
        for strategy in service_props.get("CapacityProviderStrategy") or []
        for pid in referenced_ids(strategy.get("CapacityProvider"))
        if pid in providers
    ]
    if not named:
        return None
    provider_id = named[0]
    asg_provider = providers[provider_id].get("AutoScalingGroupProvider") or {}
    groups = reader.of_type("AWS::AutoScaling::AutoScalingGroup")
    group_id = next(
        (g for g in referenced_ids(asg_provider.get("AutoScalingGroupArn")) if g in groups), None
    )
    if group_id is None:
        raise SimulationInputError(
            f"{reader.name}: capacity provider {provider_id} has no Auto Scaling group in the "
            "template"
        )
    group = groups[group_id]
    data = _launch_template_data(reader, group_id, group)
    instance_type = str(data.get("InstanceType", ""))
    known = GPU_INSTANCE_TYPES.get(instance_type)
    if known is None:
        raise SimulationInputError(
            f"{reader.name}: no price known for instance type {instance_type!r} of {group_id} "
            f"(known: {', '.join(GPU_INSTANCE_TYPES)})"
        )
    gpus = _task_gpus_of_service(reader, service_props)
    scaling = asg_provider.get("ManagedScaling") or {}
    pool = next(
        (
            p
            for p in reader.of_type("AWS::AutoScaling::WarmPool").values()
            if group_id in referenced_ids(p.get("AutoScalingGroupName"))
        ),
        None,
    )
    volumes = [
        _int((m.get("Ebs") or {}).get("VolumeSize"), DEFAULT_ROOT_VOLUME_GIB)
        for m in data.get("BlockDeviceMappings") or []
    ]
    return InstanceCapacitySpec(
        provider_logical_id=provider_id,
        instance_type=instance_type,
        hourly_usd=known.hourly_usd,
        tasks_per_instance=max(known.gpus // gpus, 1) if gpus else 1,
        min_instances=_int(group.get("MinSize"), 0),
        max_instances=_int(group.get("MaxSize"), 1),
        target_capacity=_int(scaling.get("TargetCapacity"), 100),
        managed_scaling=scaling.get("Status") == "ENABLED",
        termination_protection=asg_provider.get("ManagedTerminationProtection") == "ENABLED",
        spot=(data.get("InstanceMarketOptions") or {}).get("MarketType") == "spot",
        warm_pool_size=_int(pool.get("MinSize"), 0) if pool is not None else 0,
        warm_pool_reuse=bool(
            pool is not None and (pool.get("InstanceReusePolicy") or {}).get("ReuseOnScaleIn")
        ),
        volume_gib=sum(volumes) or DEFAULT_ROOT_VOLUME_GIB,
        min_scaling_step=_int(scaling.get("MinimumScalingStepSize"), 1),
        max_scaling_step=_int(scaling.get("MaximumScalingStepSize"), 10000),
    )


def _launch_template_data(reader: Template, group_id: str, group: dict[str, Any]) -> dict[str, Any]:
    templates = reader.of_type("AWS::EC2::LaunchTemplate")
    spec = group.get("LaunchTemplate") or {}
    template_id = next(
        (t for t in referenced_ids(spec.get("LaunchTemplateId")) if t in templates), None
    )
    if template_id is None:
        raise SimulationInputError(
            f"{reader.name}: Auto Scaling group {group_id} has no launch template in the template"
        )
    return dict(templates[template_id].get("LaunchTemplateData") or {})


def _task_gpus_of_service(reader: Template, service_props: dict[str, Any]) -> int:
    task_definitions = reader.of_type("AWS::ECS::TaskDefinition")
    for tid in referenced_ids(service_props.get("TaskDefinition")):
        if tid in task_definitions:
            return task_gpus(task_definitions[tid])
    return 0
