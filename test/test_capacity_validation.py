"""Capacity validation: each invalid ``capacity`` or ``gpu_count`` raises
ScaleToZeroValidationError naming the prop and the fix, before any child construct is made."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero import Capacity, HttpDelivery, ScaleToZeroValidationError
from test.conftest import TEST_ENV
from test.test_validation import assert_rejected

GPU_SIZE: dict[str, Any] = {"cpu": 4096, "memory_limit_mib": 12288}
"""A task that fits a g5.xlarge (4 vCPUs, 16 GiB)."""


def rejected_factory(fix: str, **arguments: Any) -> None:
    """``Capacity.gpu_instances(**arguments)`` raises for ``capacity`` with ``fix``."""
    with pytest.raises(ScaleToZeroValidationError) as raised:
        Capacity.gpu_instances(**arguments)
    assert raised.value.prop == "capacity"
    assert fix in str(raised.value)


def test_gpu_count_on_fargate_is_refused() -> None:
    assert_rejected("gpu_count", "Fargate runs no GPU", gpu_count=1)


def test_gpu_count_on_fargate_spot_is_refused() -> None:
    assert_rejected(
        "gpu_count", "Capacity.gpu_instances", capacity=Capacity.fargate_spot(), gpu_count=1
    )


def test_gpu_count_larger_than_the_instance_offers_is_refused() -> None:
    assert_rejected(
        "gpu_count",
        "g5.xlarge has 1 GPU(s), fewer than 2",
        capacity=Capacity.gpu_instances(),
        gpu_count=2,
        **GPU_SIZE,
    )


def test_gpu_count_of_zero_on_gpu_instances_is_refused() -> None:
    assert_rejected(
        "gpu_count", "at least 1", capacity=Capacity.gpu_instances(), gpu_count=0, **GPU_SIZE
    )


def test_gpu_count_must_be_a_whole_number() -> None:
    assert_rejected(
        "gpu_count", "pass an int", capacity=Capacity.gpu_instances(), gpu_count="1", **GPU_SIZE
    )


def test_arm64_with_an_x86_only_gpu_type_is_refused() -> None:
    assert_rejected(
        "cpu_architecture",
        "use ecs.CpuArchitecture.X86_64",
        capacity=Capacity.gpu_instances(instance_type=ec2.InstanceType("g6.xlarge")),
        cpu_architecture=ecs.CpuArchitecture.ARM64,
        **GPU_SIZE,
    )


def test_arm64_on_fargate_spot_capacity_is_refused() -> None:
    assert_rejected(
        "capacity",
        "FARGATE_SPOT runs only X86_64",
        capacity=Capacity.fargate_spot(),
        cpu_architecture=ecs.CpuArchitecture.ARM64,
    )


def test_spot_instances_in_a_warm_pool_are_refused() -> None:
    rejected_factory("warm pool can't hold Spot instances", spot=True, warm_pool=True)


def test_a_task_larger_than_its_share_of_the_instance_is_refused() -> None:
    assert_rejected(
        "memory_limit_mib",
        "use at most 15360",
        capacity=Capacity.gpu_instances(),
        cpu=4096,
        memory_limit_mib=16384,
    )


def test_more_cpu_than_the_instance_has_is_refused() -> None:
    assert_rejected(
        "cpu",
        "use at most 4096",
        capacity=Capacity.gpu_instances(),
        cpu=8192,
        memory_limit_mib=16384,
    )


def test_an_imported_cluster_without_the_capacity_provider_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Imported", env=TEST_ENV)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-12345678", availability_zones=["us-east-1a"]
    )
    cluster = ecs.Cluster.from_cluster_attributes(
        stack, "Cluster", cluster_name="gpu", vpc=vpc, security_groups=[]
    )
    assert_rejected(
        "cluster",
        "pass the ecs.Cluster construct",
        stack=stack,
        cluster=cluster,
        capacity=Capacity.gpu_instances(),
        **GPU_SIZE,
    )


def test_capacity_with_capacity_provider_strategies_is_refused() -> None:
    assert_rejected(
        "capacity_provider_strategies",
        "pass only capacity",
        capacity=Capacity.fargate(),
        capacity_provider_strategies=[
            ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)
        ],
    )


def test_capacity_must_be_a_capacity() -> None:
    assert_rejected("capacity", "Capacity.fargate_spot()", capacity="FARGATE_SPOT")


def test_unknown_gpu_instance_type_is_refused() -> None:
    rejected_factory("use one of g4dn.xlarge", instance_type=ec2.InstanceType("m5.large"))


def test_instance_type_must_be_an_ec2_instance_type() -> None:
    rejected_factory('ec2.InstanceType("g5.xlarge")', instance_type="g5.xlarge")


def test_min_instances_out_of_range_is_refused() -> None:
    rejected_factory("must be 0 to 10", min_instances=11)


def test_max_instances_below_min_instances_is_refused() -> None:
    rejected_factory("at least min_instances", min_instances=2, max_instances=1)


def test_spot_must_be_a_bool() -> None:
    rejected_factory("must be True or False", spot="yes")


def test_instances_per_scale_out_out_of_range_is_refused() -> None:
    rejected_factory("must be 1 to 10000", instances_per_scale_out=0)


def test_a_fargate_platform_version_on_gpu_instances_is_refused() -> None:
    assert_rejected(
        "platform_version",
        "applies only to Fargate",
        capacity=Capacity.gpu_instances(),
        platform_version=ecs.FargatePlatformVersion.LATEST,
        **GPU_SIZE,
    )


def test_http_delivery_on_gpu_instances_is_refused() -> None:
    # Bridge mode gives each container its own localhost: the runtime couldn't reach the app.
    assert_rejected(
        "http_delivery",
        "omit http_delivery), or pass own_consumer=True",
        capacity=Capacity.gpu_instances(),
        http_delivery=HttpDelivery(port=8080, path="/work"),
        **GPU_SIZE,
    )
