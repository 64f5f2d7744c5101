"""Beanstalk worker: an Elastic Beanstalk worker environment's queue and cron.yaml, from zero.

What it shows: the periodic tasks of a Beanstalk worker's ``cron.yaml`` (here, the example in
the Elastic Beanstalk Developer Guide, read as is by ``schedules_from_cron_yaml``) become
EventBridge Scheduler schedules that each send one message to the queue, marked with the
task's name, scheduled time and path as Beanstalk's daemon marks it; plus an hourly task
written directly, in a time zone. Each scheduled message wakes the service from zero tasks like
any other message; five idle minutes later it is back at zero, which a Beanstalk worker
environment (an Auto Scaling group of at least one instance) cannot do. The worker image in
``worker/`` consumes the messages.

Synthesize (no AWS account or Docker needed):

    sqs-scale-to-zero synth examples/beanstalk_worker    # or: cd examples/beanstalk_worker && cdk synth

Deploy (needs credentials and Docker to build the image):

    cd examples/beanstalk_worker && cdk deploy
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero import QueueSchedule, ScaleToZeroQueueService, schedules_from_cron_yaml

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker"
"""The container image, built from this folder alone: a Dockerfile and the handler."""


class BeanstalkWorkerStack(cdk.Stack):
    """A queue, its periodic tasks, and a worker service that costs nothing while idle."""

    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        periodic = schedules_from_cron_yaml(HERE / "cron.yaml")
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
            image=ecs.ContainerImage.from_asset(str(WORKER)),
            # sqsd's visibility timeout was the job's whole time; the worker runtime's heartbeat
            # extends a message's visibility while it works, so the default 5 minutes suffices.
            max_receive_count=10,  # Beanstalk's "Max retries" default
            schedules=[
                *periodic,
                QueueSchedule(
                    name="hourly-digest",
                    expression="cron(0 * * * ? *)",
                    time_zone="Europe/Paris",
                    path="/digest",
                ),
            ],
        )


def build(app: cdk.App) -> cdk.Stack:
    """Add this example's stack to ``app``."""
    return BeanstalkWorkerStack(app, "ScaleToZeroBeanstalkWorker")


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
