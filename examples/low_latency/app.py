"""Low latency, with on-call alerts: the fresh backlog signal and an SNS topic for alarms.

What it shows: a worker whose scaling alarms read a backlog at most a minute old. Every stack
wakes fast after a quiet night by default (a one-minute function keeps the queue's metrics
flowing and wakes the service itself); ``wake=Wake.FRESH_SIGNAL`` also has that function publish
the queue's counts every minute, and both scaling alarms read those instead of SQS's own. In
the project's simulator (``python -m benchmarks.wake``, 5 seeds pooled) it wakes as
fast as the default after 8 idle hours (p50 94 s, p95 152 s) and sizes a busy day's bursts
sooner (wait p95 28 s against 52 s). Its idle bill is in the README's "Costs"
(``sqs-scale-to-zero synth`` prints this stack's). The operational alarms (DLQ not empty,
oldest message too old, tasks running on an empty queue, the signal function failing) notify an
encrypted SNS topic; subscribe your on-call to it.

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

from sqs_scale_to_zero import MonitoringOptions, ScaleToZeroQueueService, Wake

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
            wake=Wake.FRESH_SIGNAL,
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
