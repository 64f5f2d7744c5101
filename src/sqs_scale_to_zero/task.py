"""The task part: where the service runs, its task definition, its container and the service."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.compliance import acknowledge, wildcard_resource_finding
from sqs_scale_to_zero.settings import TaskSettings
from sqs_scale_to_zero.worker import contract

CONTAINER_NAME = "Worker"
TASK_PROTECTION_ACTIONS = ("ecs:GetTaskProtection", "ecs:UpdateTaskProtection")


@dataclass(frozen=True)
class WorkerTask:
    """The composed Fargate resources."""

    cluster: ecs.ICluster
    task_definition: ecs.FargateTaskDefinition
    container: ecs.ContainerDefinition
    log_group: logs.LogGroup
    service: ecs.FargateService


def build_worker_task(
    scope: Construct,
    settings: TaskSettings,
    queue: sqs.IQueue,
    visibility_timeout_seconds: int | None,
) -> WorkerTask:
    """Create the cluster (unless given), task definition, container and Fargate service.

    The service starts without a fixed desired count: CloudFormation creates it with one task,
    which the idle alarm removes after ``idle_timeout``, and later deploys keep whatever count
    the scaling policies set instead of resetting it. Deployments never drop below the running
    count (min healthy 100 %), so a deploy does not stop tasks before their replacements run.
    """
    cluster = settings.cluster or _build_cluster(scope, settings)
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
    container = task_definition.add_container(
        CONTAINER_NAME,
        image=settings.image,
        command=list(settings.command) if settings.command is not None else None,
        environment={
            **settings.environment,
            **_worker_environment(settings, queue, visibility_timeout_seconds),
        },
        secrets=dict(settings.secrets) or None,
        logging=ecs.LogDrivers.aws_logs(stream_prefix="worker", log_group=log_group),
        stop_timeout=settings.stop_timeout,
    )
    queue.grant_consume_messages(task_definition.task_role)
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
    service = ecs.FargateService(
        scope,
        "Service",
        cluster=cluster,
        task_definition=task_definition,
        assign_public_ip=settings.assign_public_ip,
        vpc_subnets=settings.vpc_subnets or _default_subnets(settings),
        security_groups=list(settings.security_groups) if settings.security_groups else None,
        capacity_provider_strategies=(
            list(settings.capacity_provider_strategies)
            if settings.capacity_provider_strategies
            else None
        ),
        platform_version=settings.platform_version,
        min_healthy_percent=100,
        max_healthy_percent=200,
        circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
    )
    return WorkerTask(
        cluster=cluster,
        task_definition=task_definition,
        container=container,
        log_group=log_group,
        service=service,
    )


def _worker_environment(
    settings: TaskSettings, queue: sqs.IQueue, visibility_timeout_seconds: int | None
) -> dict[str, str]:
    environment = {
        contract.QUEUE_URL: queue.queue_url,
        contract.QUEUE_NAME: queue.queue_name,
        contract.TASK_PROTECTION: "enabled" if settings.task_protection else "disabled",
        contract.SHUTDOWN_GRACE_SECONDS: str(settings.shutdown_grace_seconds),
    }
    if visibility_timeout_seconds is not None:
        environment[contract.VISIBILITY_TIMEOUT_SECONDS] = str(visibility_timeout_seconds)
    return environment


def _build_cluster(scope: Construct, settings: TaskSettings) -> ecs.Cluster:
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
                logs.LogGroup(scope, "FlowLogs", retention=settings.log_retention)
            ),
        )
    return ecs.Cluster(
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


def _default_subnets(settings: TaskSettings) -> ec2.SubnetSelection | None:
    if settings.cluster is None and settings.vpc is None:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
    return None
