"""The capacity part's templates: Fargate (unchanged), Fargate Spot, and GPU instances that
scale to zero (capacity provider, managed scaling and termination protection, the GPU
requirement, placement, task definition compatibility, least-privilege instance role)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Match

from sqs_scale_to_zero import Capacity, ScaleToZeroQueueService
from sqs_scale_to_zero.worker import contract
from test.conftest import TEST_IMAGE, Synthesized, synthesize


def default_gpu_service(**props: Any) -> Synthesized:
    """Capacity.gpu_instances() at its defaults, with a g5.xlarge-sized task, and ``props``."""
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            capacity=Capacity.gpu_instances(),
            cpu=4096,
            memory_limit_mib=12288,
            **props,
        )
    )


@pytest.fixture(scope="module")
def gpu_service() -> Synthesized:
    """Capacity.gpu_instances() at its defaults, with a g5.xlarge-sized task."""
    return default_gpu_service()


@pytest.fixture(scope="module")
def multi_gpu_service() -> Synthesized:
    """Two GPUs per task on g5.12xlarge (4 GPUs), a warm pool, a kept instance, own cluster."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        cluster = ecs.Cluster(stack, "OwnCluster", vpc=ec2.Vpc(stack, "OwnVpc", max_azs=2))
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            cluster=cluster,
            capacity=Capacity.gpu_instances(
                instance_type=ec2.InstanceType("g5.12xlarge"), warm_pool=True, min_instances=1
            ),
            gpu_count=2,
            cpu=8192,
            memory_limit_mib=65536,
            max_capacity=5,
        )

    return synthesize(build)


@pytest.fixture(scope="module")
def fargate_spot_service() -> Synthesized:
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack, "Worker", image=TEST_IMAGE, capacity=Capacity.fargate_spot()
        )
    )


@pytest.fixture(scope="module")
def own_consumer_gpu_service() -> Synthesized:
    """The user's own consumer on GPU instances: one container, no runtime."""
    return default_gpu_service(own_consumer=True)


def only(synth: Synthesized, resource_type: str) -> dict[str, Any]:
    (resource,) = synth.resources(resource_type).values()
    return dict(resource["Properties"])


def test_default_capacity_is_the_fargate_launch_type(default_service: Synthesized) -> None:
    service = only(default_service, "AWS::ECS::Service")
    assert service["LaunchType"] == "FARGATE"
    assert "CapacityProviderStrategy" not in service
    assert default_service.resources("AWS::ECS::CapacityProvider") == {}
    assert default_service.resources("AWS::AutoScaling::AutoScalingGroup") == {}
    assert default_service.construct.auto_scaling_group is None
    assert default_service.construct.capacity_provider is None


def test_fargate_spot_capacity_is_the_spot_strategy(fargate_spot_service: Synthesized) -> None:
    service = only(fargate_spot_service, "AWS::ECS::Service")
    assert service["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}
    ]
    task = only(fargate_spot_service, "AWS::ECS::TaskDefinition")
    assert task["RequiresCompatibilities"] == ["FARGATE"]


def test_gpu_instances_scale_from_zero_with_managed_scaling(gpu_service: Synthesized) -> None:
    group = gpu_service.properties(gpu_service.construct.auto_scaling_group)
    assert (group["MinSize"], group["MaxSize"]) == ("0", "4")  # max_capacity 4, 1 GPU each
    assert "DesiredCapacity" not in group
    assert group["NewInstancesProtectedFromScaleIn"] is True
    assert gpu_service.construct.capacity_provider is not None
    provider = only(gpu_service, "AWS::ECS::CapacityProvider")
    assert provider["AutoScalingGroupProvider"] == {
        "AutoScalingGroupArn": {
            "Ref": gpu_service.logical_id(gpu_service.construct.auto_scaling_group)
        },
        "ManagedDraining": "ENABLED",
        "ManagedScaling": {"Status": "ENABLED", "TargetCapacity": 100},
        "ManagedTerminationProtection": "ENABLED",
    }


def test_gpu_capacity_provider_is_on_the_cluster(gpu_service: Synthesized) -> None:
    association = only(gpu_service, "AWS::ECS::ClusterCapacityProviderAssociations")
    provider = provider_id(gpu_service)
    assert {"Ref": provider} in association["CapacityProviders"]


def test_gpu_service_is_placed_on_the_capacity_provider_packed(gpu_service: Synthesized) -> None:
    service = gpu_service.properties(gpu_service.construct.service)
    provider = provider_id(gpu_service)
    assert service["CapacityProviderStrategy"] == [
        {"CapacityProvider": {"Ref": provider}, "Weight": 1}
    ]
    assert service["PlacementStrategies"] == [{"Field": "MEMORY", "Type": "binpack"}]
    assert "LaunchType" not in service and "NetworkConfiguration" not in service
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }


def test_gpu_task_is_ec2_compatible_and_reserves_its_gpu(gpu_service: Synthesized) -> None:
    task = gpu_service.properties(gpu_service.construct.task_definition)
    assert task["RequiresCompatibilities"] == ["EC2"]
    assert task["NetworkMode"] == "bridge"
    assert (task["Cpu"], task["Memory"]) == ("4096", "12288")
    (container,) = task["ContainerDefinitions"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["SCALE_TO_ZERO_TASK_PROTECTION"] == "enabled"
    assert contract.DEPLOY_SERVICE_RESOURCE in env  # the deploy drain, as on Fargate
    assert gpu_service.construct.runtime_container is None


def test_own_consumer_on_gpu_instances_gets_the_queue_and_its_gpu(
    own_consumer_gpu_service: Synthesized,
) -> None:
    synth = own_consumer_gpu_service
    task = synth.properties(synth.construct.task_definition)
    (container,) = task["ContainerDefinitions"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    env = {e["Name"] for e in container["Environment"]}
    assert env == {contract.QUEUE_URL, contract.QUEUE_NAME}
    assert synth.construct.runtime_container is None


def test_gpu_instances_run_the_ecs_gpu_ami_without_a_lookup(gpu_service: Synthesized) -> None:
    template = gpu_service.template.to_json()
    (parameter,) = [
        p for p in template["Parameters"].values() if "ecs/optimized-ami" in str(p.get("Default"))
    ]
    assert (
        parameter["Default"]
        == "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
    )
    data = only(gpu_service, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert data["InstanceType"] == "g5.xlarge"
    assert data["MetadataOptions"] == {"HttpTokens": "required"}
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert "InstanceMarketOptions" not in data


def test_instance_role_names_every_action(gpu_service: Synthesized) -> None:
    role_id = gpu_service.logical_id(gpu_service.construct.node.find_child("InstanceRole"))
    statements = [
        s
        for policy in gpu_service.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = sorted(a for s in statements for a in _actions(s))
    assert actions == [
        "ecs:DeregisterContainerInstance",
        "ecs:DiscoverPollEndpoint",
        "ecs:Poll",
        "ecs:RegisterContainerInstance",
        "ecs:StartTelemetrySession",
        "ecs:SubmitAttachmentStateChanges",
        "ecs:SubmitContainerStateChange",
        "ecs:SubmitTaskStateChange",
    ]
    cluster_id = gpu_service.logical_id(gpu_service.construct.cluster)
    (poll,) = [s for s in statements if "ecs:Poll" in _actions(s)]
    assert poll["Condition"] == {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": [cluster_id, "Arn"]}}}


def test_no_statement_uses_a_wildcard_action(
    gpu_service: Synthesized, multi_gpu_service: Synthesized
) -> None:
    for synth in (gpu_service, multi_gpu_service):
        for policy in synth.resources("AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert not any("*" in a for a in _actions(statement)), statement


def test_gpu_count_and_instance_gpus_size_the_group(multi_gpu_service: Synthesized) -> None:
    group = multi_gpu_service.properties(multi_gpu_service.construct.auto_scaling_group)
    # 5 tasks of 2 GPUs on 4-GPU instances: 2 tasks per instance, 3 instances; 1 kept.
    assert (group["MinSize"], group["MaxSize"]) == ("1", "3")
    (container,) = multi_gpu_service.properties(multi_gpu_service.construct.task_definition)[
        "ContainerDefinitions"
    ]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "2"}]


def test_warm_pool_keeps_a_stopped_instance(multi_gpu_service: Synthesized) -> None:
    pool = only(multi_gpu_service, "AWS::AutoScaling::WarmPool")
    assert pool["PoolState"] == "Stopped"
    assert pool["MinSize"] == 1
    assert pool["InstanceReusePolicy"] == {"ReuseOnScaleIn": True}
    data = only(multi_gpu_service, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert "ECS_WARM_POOLS_CHECK=true" in str(data["UserData"])


def test_a_brought_cluster_gets_the_capacity_provider(multi_gpu_service: Synthesized) -> None:
    multi_gpu_service.template.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        {
            "Cluster": {"Ref": Match.string_like_regexp("OwnCluster")},
            "CapacityProviders": Match.array_with([{"Ref": provider_id(multi_gpu_service)}]),
        },
    )


def test_spot_gpu_instances_ask_for_the_spot_market_one_instance_at_a_time() -> None:
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            capacity=Capacity.gpu_instances(spot=True, instances_per_scale_out=1),
            cpu=4096,
            memory_limit_mib=12288,
            monitoring=False,
        )
    )
    data = only(synth, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert data["InstanceMarketOptions"]["MarketType"] == "spot"
    scaling = only(synth, "AWS::ECS::CapacityProvider")["AutoScalingGroupProvider"]
    assert scaling["ManagedScaling"]["MaximumScalingStepSize"] == 1


def test_capacity_repr_reads_as_its_settings() -> None:
    assert "g5.xlarge" in repr(Capacity.gpu_instances())
    assert Capacity.fargate() == Capacity.fargate()


def provider_id(synth: Synthesized) -> str:
    """The logical ID of the one capacity provider (its L2 has no default child)."""
    (logical_id,) = synth.resources("AWS::ECS::CapacityProvider")
    return str(logical_id)


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)
