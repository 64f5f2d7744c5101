"""HTTP worker: a queue worker in Node.js, messages delivered over HTTP, every guarantee kept.

What it shows: ``http_delivery`` for a team that does not write Python. The app in ``app/`` is
plain Node.js (``node:http``, no framework, nothing of sqs-scale-to-zero in it) and answers a
POST per message, as an app written for an Elastic Beanstalk worker environment does. The
construct adds the worker runtime as a second container of the task: it receives from the
queue, POSTs each message to ``http://127.0.0.1:8080/work`` once ``/health`` answers, keeps the
message invisible and the task protected while the request is open, drains on a deploy, and is
stopped before the app, so every open request is answered. The service scales to zero as every
other example does.

Synthesize (no AWS account or Docker needed):

    sqs-scale-to-zero synth examples/http_worker        # or: cd examples/http_worker && cdk synth

Deploy (needs credentials and Docker to build both images):

    cd examples/http_worker && cdk deploy

Then send ``{"order_id": 7, "work_seconds": 2}`` to the ``QueueUrl`` output and read the
``worker`` (app) and ``runtime`` log streams.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero import HttpDelivery, ScaleToZeroQueueService

APP_DIR = Path(__file__).resolve().parent / "app"
"""The Node.js app and its Dockerfile: the image's build context."""

APP_PORT = 8080


class HttpWorkerStack(cdk.Stack):
    """A Node.js queue worker that costs nothing while the queue is idle."""

    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
            image=ecs.ContainerImage.from_asset(str(APP_DIR)),
            environment={
                "PORT": str(APP_PORT),  # read by server.js
                "SCALE_TO_ZERO_CONCURRENCY": "4",  # requests open at once, set on the runtime
            },
            http_delivery=HttpDelivery(port=APP_PORT, path="/work", health_path="/health"),
        )


def build(app: cdk.App) -> cdk.Stack:
    """Add this example's stack to ``app``."""
    return HttpWorkerStack(app, "ScaleToZeroHttpWorker")


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
