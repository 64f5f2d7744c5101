"""GPU worker: one NVIDIA GPU per task on g5.xlarge instances that scale to zero instances.

What it shows: ``capacity=Capacity.gpu_instances(...)``. While the queue is idle no task and no
instance runs. One message wakes the service: ECS managed scaling launches an instance of the
ECS GPU-optimized AMI for the task waiting in PROVISIONING, and the task reserves its GPU
(``gpu_count=1``). Five idle minutes set the service to zero tasks; the capacity provider then
removes the empty instance (about 15 minutes later), and managed termination protection keeps it
from removing an instance whose task is still working. The README's "GPU workers" has the cold
start, the cost and the options that shorten the wake (a warm pool, a kept instance).

The image here is the example worker in ``worker/`` (built from that folder alone); use your
CUDA image and handler in its place.

Synthesize (no AWS account or Docker needed; the AMI is read from its SSM parameter at deploy):

    sqs-scale-to-zero synth examples/gpu_worker   # or: cd examples/gpu_worker && cdk synth

Deploy (needs credentials, Docker to build the image, and a G-instance vCPU quota):

    cd examples/gpu_worker && cdk deploy
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero import Capacity, ScaleToZeroQueueService

WORKER = Path(__file__).resolve().parent / "worker"
"""The worker image: this folder's own worker/, with its Dockerfile (see its README)."""

REGION = "us-east-1"
"""A region with g5 instances (and the ECS GPU-optimized AMI's SSM parameter)."""


class GpuWorkerStack(cdk.Stack):
    """A queue and a GPU worker that runs no instance while the queue is idle."""

    def __init__(self, scope: cdk.App, construct_id: str, *, env: cdk.Environment) -> None:
        super().__init__(scope, construct_id, env=env)
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
            image=ecs.ContainerImage.from_asset(str(WORKER)),
            capacity=Capacity.gpu_instances(instance_type=ec2.InstanceType("g5.xlarge")),
            gpu_count=1,
            cpu=4096,
            memory_limit_mib=12288,
            max_capacity=2,
        )


def build(app: cdk.App) -> cdk.Stack:
    """Add this example's stack to ``app``."""
    # GPU instance types exist only in some regions: the stack is pinned to one that has g5.
    return GpuWorkerStack(app, "ScaleToZeroGpuWorker", env=cdk.Environment(region=REGION))


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
