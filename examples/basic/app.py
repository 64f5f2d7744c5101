"""Basic: the worker image in ``worker/`` on a new VPC and cluster, every prop at its default.

What it shows: the smallest useful ``ScaleToZeroQueueService``. One message wakes the service,
a bigger backlog is sized to one task per 3 messages (up to 4) in one step, and five idle
minutes — nothing sent, received or deleted, nothing visible or in flight, CPU idle — set it
back to zero tasks. The worker in ``worker/`` (the image, built from that folder alone) holds
ECS task scale-in protection while it works, so no message is interrupted.

Synthesize (no AWS account or Docker needed):

    sqs-scale-to-zero synth examples/basic        # or: cd examples/basic && cdk synth

Deploy (needs credentials, ``cdk bootstrap`` once, and Docker to build the image; until the
worker is released, its wheel in ``worker/wheels/``, as ``worker/README.md`` says):

    cd examples/basic && cdk deploy
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero import ScaleToZeroQueueService

WORKER = Path(__file__).resolve().parent / "worker"
"""The container image, built from this folder alone: a Dockerfile and the handler."""


class BasicStack(cdk.Stack):
    """A queue and a worker service that costs nothing while the queue is idle."""

    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
            image=ecs.ContainerImage.from_asset(str(WORKER)),
        )


def build(app: cdk.App) -> cdk.Stack:
    """Add this example's stack to ``app``."""
    return BasicStack(app, "ScaleToZeroBasic")


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
