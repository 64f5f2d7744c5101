"""The GPU services these tests read, synthesized once for the package."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from sqs_scale_to_zero import Capacity, ScaleToZeroQueueService
from test.conftest import TEST_ENV, TEST_IMAGE


@pytest.fixture(scope="session")
def gpu_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The construct on GPU instances, the default fast wake on all: the defaults (g5.xlarge,
    at most 4 instances), with a warm pool, with one kept instance, and two 2-GPU tasks an
    instance (g5.12xlarge)."""
    big = ec2.InstanceType("g5.12xlarge")
    stacks = {  # name: the capacity, and the GPUs a task asks for
        "Gpu": (Capacity.gpu_instances(), 1),
        "GpuWarmPool": (Capacity.gpu_instances(instance_type=big, warm_pool=True), 1),
        "GpuKept": (Capacity.gpu_instances(min_instances=1), 1),
        "TwoAnInstance": (Capacity.gpu_instances(instance_type=big), 2),
    }
    out = tmp_path_factory.mktemp("gpu")
    app = cdk.App(outdir=str(out))
    for name, (capacity, gpus) in stacks.items():
        stack = cdk.Stack(app, name, env=TEST_ENV)
        ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            capacity=capacity,
            gpu_count=gpus,
            cpu=4096,
            memory_limit_mib=12288,
            monitoring=False,
        )
    app.synth()
    return {name: out / f"{name}.template.json" for name in stacks}
