"""The GPU instances: an Auto Scaling group of ECS GPU-optimized instances, scaled by ECS.

Amazon ECS developer guide:

* Managed scaling ("Automatically manage Amazon ECS capacity with cluster auto scaling"): ECS
  tracks ``CapacityProviderReservation`` at the target capacity (100 %: no spare instance), so
  tasks waiting in PROVISIONING launch instances and instances with no task are removed.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html
* Managed termination protection ("Control the instances Amazon ECS terminates"): ECS only
  terminates instances that run no ECS task; it protects every new instance from scale-in and
  lifts the protection once its tasks have stopped.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html
* The ECS GPU-optimized AMI (Amazon Linux 2023), read from its public SSM parameter at deploy
  time, so synthesis needs no AWS account.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-gpu.html
* A warm pool of stopped instances needs ``ECS_WARM_POOLS_CHECK=true`` so an instance registers
  with the cluster only once it is in service ("Configuring pre-initialized instances for your
  Amazon ECS Auto Scaling group").
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-warm-pool.html
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from sqs_scale_to_zero.capacity.settings import CapacitySettings
from sqs_scale_to_zero.compliance import acknowledge

TARGET_CAPACITY_PERCENT = 100
"""Managed scaling's target: instances fully used, no spare instance kept while idle."""

AGENT_CLUSTER_ACTIONS = (
    "ecs:DeregisterContainerInstance",
    "ecs:RegisterContainerInstance",
    "ecs:SubmitAttachmentStateChanges",
    "ecs:SubmitContainerStateChange",
    "ecs:SubmitTaskStateChange",
)
"""The agent's calls on the cluster: register the instance and report state changes."""

AGENT_POLL_ACTIONS = ("ecs:Poll", "ecs:StartTelemetrySession")
"""The agent's calls on its container instance (any instance ARN of the cluster)."""

ROOT_VOLUME_GIB = 100
"""The instance's encrypted gp3 root volume: room for a GPU image of several GB and its layers."""


@dataclass(frozen=True)
class GpuInstances:
    """The composed instance capacity."""

    auto_scaling_group: autoscaling.AutoScalingGroup
    capacity_provider: ecs.AsgCapacityProvider


def build_gpu_instances(
    scope: Construct,
    settings: CapacitySettings,
    *,
    cluster: ecs.Cluster,
    subnets: ec2.SubnetSelection | None,
    security_groups: list[ec2.ISecurityGroup],
    assign_public_ip: bool,
    max_tasks: int,
) -> GpuInstances:
    """Create the Auto Scaling group and its capacity provider, and add it to ``cluster``.

    The group starts with ``min_instances`` (default 0) instances; ECS launches more for tasks
    waiting in PROVISIONING and removes instances that run none.
    """
    capacity = settings.capacity
    user_data = ec2.UserData.for_linux()
    if capacity.warm_pool:
        user_data.add_commands("echo ECS_WARM_POOLS_CHECK=true >> /etc/ecs/ecs.config")
    role = iam.Role(
        scope,
        "InstanceRole",
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        description="ECS container instances of the GPU capacity provider",
    )
    _grant_agent(scope, role, cluster)
    security_group = (
        security_groups[0]
        if security_groups
        else ec2.SecurityGroup(
            scope,
            "InstanceSecurityGroup",
            vpc=cluster.vpc,
            description="GPU instances: no inbound traffic, outbound to ECR, ECS and SQS",
        )
    )
    launch_template = ec2.LaunchTemplate(
        scope,
        "InstanceLaunchTemplate",
        instance_type=ec2.InstanceType(settings.instance_type.name),
        machine_image=ecs.EcsOptimizedImage.amazon_linux2023(ecs.AmiHardwareType.GPU),
        user_data=user_data,
        # The ECS agent's grants are ours (_grant_agent): the ones the cluster would add name
        # an action wildcard (ecs:Submit*), so it gets a role it can't add to.
        role=role.without_policy_updates(),
        security_group=security_group,
        require_imdsv2=True,
        associate_public_ip_address=assign_public_ip,
        block_devices=[
            ec2.BlockDevice(
                device_name="/dev/xvda",
                volume=ec2.BlockDeviceVolume.ebs(
                    ROOT_VOLUME_GIB, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3
                ),
            )
        ],
        spot_options=ec2.LaunchTemplateSpotOptions() if capacity.spot else None,
    )
    for extra in security_groups[1:]:
        launch_template.add_security_group(extra)
    group = autoscaling.AutoScalingGroup(
        scope,
        "Instances",
        vpc=cluster.vpc,
        vpc_subnets=subnets,
        launch_template=launch_template,
        min_capacity=capacity.min_instances,
        max_capacity=settings.max_instances(max_tasks),
    )
    acknowledge(
        group,
        "AwsSolutions-AS3",
        "ECS managed scaling launches and removes these instances on every wake and idle "
        "period; their activity is in the group's activity history and the ECS service events, "
        "and the construct's alarms report what matters (messages waiting, failed tasks).",
    )
    if capacity.warm_pool:
        group.add_warm_pool(
            min_size=1, pool_state=autoscaling.PoolState.STOPPED, reuse_on_scale_in=True
        )
    provider = ecs.AsgCapacityProvider(
        scope,
        "CapacityProvider",
        auto_scaling_group=group,
        enable_managed_scaling=True,
        enable_managed_termination_protection=True,
        enable_managed_draining=True,
        target_capacity_percent=TARGET_CAPACITY_PERCENT,
        maximum_scaling_step_size=capacity.instances_per_scale_out,
        spot_instance_draining=capacity.spot or None,
    )
    cluster.add_asg_capacity_provider(provider)
    return GpuInstances(auto_scaling_group=group, capacity_provider=provider)


def _grant_agent(scope: Construct, role: iam.Role, cluster: ecs.Cluster) -> None:
    """Grant what the ECS agent on an instance calls, each action named.

    Amazon ECS developer guide, "Amazon ECS container instance IAM role"
    (``AmazonEC2ContainerServiceforEC2Role``).

    Images are pulled and logs written with the task execution role, so the instance role has
    no ECR or CloudWatch Logs grant.
    """
    role.add_to_policy(
        iam.PolicyStatement(actions=list(AGENT_CLUSTER_ACTIONS), resources=[cluster.cluster_arn])
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=list(AGENT_POLL_ACTIONS),
            resources=["*"],
            conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
        )
    )
    role.add_to_policy(iam.PolicyStatement(actions=["ecs:DiscoverPollEndpoint"], resources=["*"]))
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "ecs:DiscoverPollEndpoint supports no resource-level permission; ecs:Poll and "
        "ecs:StartTelemetrySession are limited to this cluster by the ecs:cluster condition.",
    )


def placement_strategies() -> list[ecs.PlacementStrategy]:
    """Pack tasks onto as few instances as memory allows, so the others can be removed."""
    return [ecs.PlacementStrategy.packed_by_memory()]


def capacity_provider_strategy(instances: GpuInstances) -> ecs.CapacityProviderStrategy:
    """Every task on the GPU capacity provider."""
    return ecs.CapacityProviderStrategy(
        capacity_provider=instances.capacity_provider.capacity_provider_name, weight=1
    )
