"""Low latency, with on-call alerts: the fresh backlog signal and an SNS topic for alarms.

What it shows: a worker that must wake fast even after a quiet night. SQS stops publishing a
queue's metrics after six idle hours and can take up to 15 minutes to resume; with
``backlog_signal=True`` a small function reads the queue every minute and both scaling alarms
read its metrics, so the first message of the morning starts a task in under four minutes
(simulated p95: 215 s, against up to 17 minutes without it).
It costs roughly $1.35 a month. The operational alarms (DLQ not empty, oldest message too old,
tasks running on an empty queue) notify an encrypted SNS topic; subscribe your on-call to it.

Synthesize:  ``sqs-scale-to-zero synth examples/low_latency``   (or ``cdk synth`` here)
Deploy:      ``cd examples/low_latency && cdk deploy``, then subscribe to the ``OnCallTopic``
             output (``aws sns subscribe --topic-arn ... --protocol email ...``).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from sqs_scale_to_zero import MonitoringOptions, ScaleToZeroQueueService

WORKER = Path(__file__).resolve().parent / "worker"
"""The container image, built from this folder alone: a Dockerfile and the handler."""


class LowLatencyStack(cdk.Stack):
    """Wakes in minutes at any hour, and pages someone when it can't."""

    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        topic = sns.Topic(
            self,
            "OnCall",
            display_name="Queue worker alarms",
            master_key=kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns"),
            enforce_ssl=True,
        )
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
            image=ecs.ContainerImage.from_asset(str(WORKER)),
            backlog_signal=True,
            idle_timeout=cdk.Duration.minutes(10),
            monitoring=MonitoringOptions(
                alarm_topic=topic, oldest_message_age_threshold=cdk.Duration.minutes(15)
            ),
        )
        cdk.CfnOutput(self, "OnCallTopic", value=topic.topic_arn)


def build(app: cdk.App) -> cdk.Stack:
    """Add this example's stack to ``app``."""
    return LowLatencyStack(app, "ScaleToZeroLowLatency")


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
