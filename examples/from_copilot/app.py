"""The Copilot worker service "cost-analyzer" (application shop, environment prod) on CDK.

What it shows: a ScaleToZeroQueueService written by `sqs-scale-to-zero from-copilot` from
from_copilot/copilot/cost-analyzer/manifest.yml
It keeps the manifest's meaning and is yours to read, change and own: a starting point, not a
wrapper.

What differs from Copilot: the service runs 0 tasks while the queue is idle and one message
wakes it; idle means nothing sent, received, deleted, visible or in flight; the worker runtime
(sqs_scale_to_zero.worker) extends a message's visibility while a handler runs (the heartbeat).

Not carried over from the manifest:

- exec: ECS Exec is not enabled by the construct: set enable_execute_command on worker.service's
  resource if you need it
- count: 3 tasks at all times becomes max_capacity=3: the service runs 0 tasks while idle and
  scales out on the backlog

Synthesize (no AWS account needed):

    sqs-scale-to-zero synth .     # or: cdk synth
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns

from sqs_scale_to_zero import ScaleToZeroQueueService, TopicSubscription

APP = "shop"
ENV = "prod"
SERVICE = "cost-analyzer"
WORKSPACE = (Path(__file__).resolve().parent / ".").resolve()
"""The Copilot workspace: the manifest's paths are relative to it."""


class CostAnalyzerStack(cdk.Stack):
    """The worker service cost-analyzer of the Copilot application shop, environment prod."""

    def __init__(self, scope: cdk.App, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
            image=ecs.ContainerImage.from_asset(str(WORKSPACE / "worker"), file="Dockerfile"),
            cpu=256,
            memory_limit_mib=512,
            max_capacity=3,
            retention_period=cdk.Duration.seconds(345600),
            visibility_timeout=cdk.Duration.seconds(30),
            max_receive_count=10,
            environment={
                "COPILOT_APPLICATION_NAME": APP,
                "COPILOT_ENVIRONMENT_NAME": ENV,
                "COPILOT_SERVICE_NAME": SERVICE,
            },
            secrets={
                "DB": ecs.Secret.from_secrets_manager(
                    secretsmanager.Secret.from_secret_name_v2(self, "SecretDB", "mysql")
                ),
            },
            topics=[
                TopicSubscription(
                    topic=self.copilot_topic(f"{APP}-{ENV}-orders-products"),
                    filter_policy={"event": [{"anything-but": "order_cancelled"}]},
                ),
                TopicSubscription(
                    topic=self.copilot_topic(f"{APP}-{ENV}-warehouse-inventory"),
                ),
            ],
        )
        # Copilot gave the container the queue's URL as COPILOT_QUEUE_URI (the construct also
        # sets QUEUE_URL).
        self.worker.container.add_environment("COPILOT_QUEUE_URI", self.worker.queue.queue_url)

    def copilot_topic(self, topic_name: str) -> sns.ITopic:
        """A topic another Copilot service publishes, by the ARN Copilot gives it:
        APP-ENV-SERVICE-TOPIC in this stack's account and region."""
        arn = self.format_arn(service="sns", resource=topic_name)
        return sns.Topic.from_topic_arn(self, f"Topic-{topic_name}", arn)


def build(app: cdk.App) -> cdk.Stack:
    """Add this service's stack to ``app``."""
    return CostAnalyzerStack(app, f"{APP}-{ENV}-{SERVICE}")


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
