"""Where the service runs: the cluster, its VPC, subnets, security groups and capacity.

Props: ``cluster``, ``vpc``, ``vpc_subnets``, ``security_groups``, ``assign_public_ip``,
``capacity_provider_strategies``, ``platform_version`` and ``container_insights``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from sqs_scale_to_zero.checks import (
    optional_bool,
    optional_instance,
    optional_interface,
    optional_sequence,
)
from sqs_scale_to_zero.compliance import acknowledge
from sqs_scale_to_zero.errors import ScaleToZeroValidationError


@dataclass(frozen=True)
class NetworkSettings:
    """The cluster and network of the service, validated."""

    cluster: Optional[ecs.ICluster]
    vpc: Optional[ec2.IVpc]
    vpc_subnets: Optional[ec2.SubnetSelection]
    security_groups: Optional[Sequence[ec2.ISecurityGroup]]
    assign_public_ip: bool
    capacity_provider_strategies: Optional[Sequence[ecs.CapacityProviderStrategy]]
    platform_version: Optional[ecs.FargatePlatformVersion]
    container_insights: bool

    @property
    def creates_vpc(self) -> bool:
        """True when the construct creates the VPC (neither ``cluster`` nor ``vpc`` given)."""
        return self.cluster is None and self.vpc is None

    @property
    def has_container_insights(self) -> bool:
        """True when the construct creates the cluster with Container Insights on.

        The service's task counts are then published (``ECS/ContainerInsights``).
        """
        return self.cluster is None and self.container_insights


def resolve_network(
    *,
    cluster: Optional[ecs.ICluster],
    vpc: Optional[ec2.IVpc],
    vpc_subnets: Optional[ec2.SubnetSelection],
    security_groups: Optional[Sequence[ec2.ISecurityGroup]],
    assign_public_ip: Optional[bool],
    capacity_provider_strategies: Optional[Sequence[ecs.CapacityProviderStrategy]],
    platform_version: Optional[ecs.FargatePlatformVersion],
    container_insights: Optional[bool],
) -> NetworkSettings:
    """Validate the cluster and network props and resolve their defaults.

    Raises:
        ScaleToZeroValidationError: For the first invalid prop, naming it and the fix.
    """
    cluster = optional_interface(
        "cluster",
        cluster,
        ("cluster_name", "cluster_arn"),
        "pass e.g. ecs.Cluster.from_cluster_attributes(self, 'Cluster', ...)",
    )
    vpc = optional_interface(
        "vpc", vpc, ("vpc_id",), "pass e.g. ec2.Vpc.from_lookup(self, 'Vpc', vpc_id=...)"
    )
    vpc_subnets = optional_instance(
        "vpc_subnets",
        vpc_subnets,
        ec2.SubnetSelection,
        "ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)",
    )
    groups = optional_sequence("security_groups", security_groups, "[security_group]")
    for group in groups or ():
        optional_interface(
            "security_groups",
            group,
            ("security_group_id",),
            "pass security group constructs, e.g. ec2.SecurityGroup.from_security_group_id(...)",
        )
    assign_public_ip = optional_bool("assign_public_ip", assign_public_ip)
    strategies = optional_sequence(
        "capacity_provider_strategies",
        capacity_provider_strategies,
        "[ecs.CapacityProviderStrategy(capacity_provider='FARGATE_SPOT', weight=1)]",
    )
    for strategy in strategies or ():
        optional_instance(
            "capacity_provider_strategies",
            strategy,
            ecs.CapacityProviderStrategy,
            "ecs.CapacityProviderStrategy(capacity_provider='FARGATE_SPOT', weight=1)",
        )
    platform_version = optional_instance(
        "platform_version",
        platform_version,
        ecs.FargatePlatformVersion,
        "ecs.FargatePlatformVersion.LATEST",
    )
    container_insights = optional_bool("container_insights", container_insights)
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
    return NetworkSettings(
        cluster=cluster,
        vpc=vpc,
        vpc_subnets=vpc_subnets,
        security_groups=groups,
        assign_public_ip=creates_vpc if assign_public_ip is None else assign_public_ip,
        capacity_provider_strategies=strategies,
        platform_version=platform_version,
        container_insights=False if container_insights is None else container_insights,
    )


def build_cluster(
    scope: Construct, settings: NetworkSettings, log_retention: logs.RetentionDays
) -> ecs.ICluster:
    """The cluster to run in: the one given, or a new one (in ``vpc``, or in a new VPC).

    A new VPC has public subnets only and no NAT gateway, and logs its flows to a log group kept
    for ``log_retention``.
    """
    if settings.cluster is not None:
        return settings.cluster
    vpc = settings.vpc or ec2.Vpc(
        scope,
        "Vpc",
        max_azs=2,
        # Public subnets only and no NAT gateway: a NAT gateway bills by the hour, which a
        # service that should cost nothing while idle can't afford. Tasks get a public IP
        # for egress and their security group admits no inbound traffic.
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC)
        ],
    )
    if settings.vpc is None:
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(scope, "FlowLogs", retention=log_retention)
            ),
        )
    cluster = ecs.Cluster(
        scope,
        "Cluster",
        vpc=vpc,
        enable_fargate_capacity_providers=True,
        container_insights_v2=(
            ecs.ContainerInsights.ENABLED
            if settings.container_insights
            else ecs.ContainerInsights.DISABLED
        ),
    )
    if not settings.container_insights:
        acknowledge(
            cluster,
            "AwsSolutions-ECS4",
            "Container Insights is off by default: it bills its task counts as custom metrics "
            "even while no task runs, and the scaling reads the desired count the wake function "
            "publishes instead; container_insights=True turns it on.",
        )
    return cluster


def task_subnets(settings: NetworkSettings) -> Optional[ec2.SubnetSelection]:
    """The subnets for the tasks: as given, else the public ones of a VPC the construct made."""
    if settings.vpc_subnets is not None:
        return settings.vpc_subnets
    if settings.creates_vpc:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
    return None
