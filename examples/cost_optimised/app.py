"""Cost-optimised: tasks on Fargate Spot, sized to big backlogs in one step.

What it shows: the cheapest way to run a bursty batch worker. Fargate Spot costs up to 70 %
less than on-demand Fargate; Spot may stop a task with two minutes' notice (a SIGTERM), which
the worker runtime answers by finishing or releasing its message, so nothing is lost. A backlog
is served by one task per 25 messages, up to 20 tasks, started in one scaling action, and all of
them go once the queue has been idle for 10 minutes.

Why not ARM64 on Spot? Fargate Spot runs only X86_64 Linux tasks (Amazon ECS developer guide,
"Fargate capacity providers"), and the construct rejects the combination. Spot's discount is
larger than Graviton's (about 20 %); for on-demand capacity, ``cpu_architecture=ARM64`` without
the Spot strategy is the cheaper choice.

Synthesize:  ``sqs-scale-to-zero synth examples/cost_optimised``   (or ``cdk synth`` here)
Deploy:      ``cd examples/cost_optimised && cdk deploy``
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero import ScaleToZeroQueueService

WORKER = Path(__file__).resolve().parent / "worker"
"""The container image, built from this folder alone: a Dockerfile and the handler."""


class CostOptimisedStack(cdk.Stack):
    """X86_64 on Fargate Spot, up to 20 tasks."""

    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
            image=ecs.ContainerImage.from_asset(
                str(WORKER), platform=ecr_assets.Platform.LINUX_AMD64
            ),
            cpu_architecture=ecs.CpuArchitecture.X86_64,
            capacity_provider_strategies=[
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)
            ],
            cpu=512,
            memory_limit_mib=1024,
            max_capacity=20,
            messages_per_task=25,
            idle_timeout=cdk.Duration.minutes(10),
        )


def build(app: cdk.App) -> cdk.Stack:
    """Add this example's stack to ``app``."""
    return CostOptimisedStack(app, "ScaleToZeroCostOptimised")


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
