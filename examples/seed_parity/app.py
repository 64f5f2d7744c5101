"""Seed parity: the seed blog's stack, re-expressed with ScaleToZeroQueueService, in one deploy.

The "seed blog" is the public tutorial this project started from (its text is not shipped): a
QueueProcessingFargateService waking on one visible message, plus a CPU alarm that sets the
task count to 0, in two deploys.

What it shows: everything the blog's two-stage stack set up, with the construct —

* an existing VPC found by look-up (``cdk.context.json`` holds the answer, so ``cdk synth``
  works with no credentials), and an existing cluster from its attributes with a security group;
* a KMS key by ARN, a FIFO queue with content-based deduplication, 20 s long polling, 4-day
  retention and a 12-hour visibility timeout, encrypted with that key;
* SSM SecureString parameters, decrypted with that key, as container secrets;
* 4096 CPU units and 8192 MiB, at most one task, and the blog's extra ``kms:Decrypt`` statement
  on the task role.

The blog then needed a second deploy for its CPU <= 0.01 % alarm, which stops a job that waits
on the network at ~0 % CPU. Here scale-in to zero is part of the first deploy and waits until
nothing is sent, received, visible *or in flight*. For exactly the blog's CPU-only scale-in, synthesize with
``-c cpu_only_scale_in=true``.

Synthesize:  ``sqs-scale-to-zero synth examples/seed_parity``   (or ``cdk synth`` here)
Deploy:      replace the IDs below with your own, refresh the look-up
             (``cdk context --clear``), then ``cdk deploy``.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm

from sqs_scale_to_zero import ScaleToZeroQueueService

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker"
"""The container image, built from this folder alone: a Dockerfile and the handler."""
LOOKUPS = HERE / "cdk.context.json"
"""Answers to the VPC look-up, so synthesis needs no AWS credentials."""
ENV = cdk.Environment(account="123456789012", region="us-west-1")
VPC_ID = "vpc-0a1b2c3d4e5f60718"
CLUSTER_NAME = "sample-cluster"
SECURITY_GROUP_ID = "sg-0123456789abcdef0"
KMS_KEY_ID = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
SECRET_PARAMETERS = {"DATABASE_NAME": "/sample-app/database-name"}


class SeedParityStack(cdk.Stack):
    """The blog's queue worker: existing network and cluster, CMK-encrypted FIFO queue."""

    def __init__(self, scope: cdk.App, construct_id: str, *, cpu_only_scale_in: bool) -> None:
        super().__init__(scope, construct_id, env=ENV)
        # The shipped look-up answers, unless the CDK CLI already supplied (fresher) ones.
        if LOOKUPS.exists():
            for key, value in json.loads(LOOKUPS.read_text()).items():
                if self.node.try_get_context(key) is None:
                    self.node.set_context(key, value)
        vpc = ec2.Vpc.from_lookup(self, "Vpc", vpc_id=VPC_ID)
        security_group = ec2.SecurityGroup.from_security_group_id(
            self, "SecurityGroup", SECURITY_GROUP_ID
        )
        cluster = ecs.Cluster.from_cluster_attributes(
            self, "Cluster", cluster_name=CLUSTER_NAME, vpc=vpc, security_groups=[security_group]
        )
        key = kms.Key.from_key_arn(
            self, "EncryptionKey", f"arn:aws:kms:{ENV.region}:{ENV.account}:key/{KMS_KEY_ID}"
        )
        secrets = {
            name: ecs.Secret.from_ssm_parameter(
                ssm.StringParameter.from_secure_string_parameter_attributes(
                    self, name, parameter_name=parameter, version=1, encryption_key=key
                )
            )
            for name, parameter in SECRET_PARAMETERS.items()
        }
        self.worker = ScaleToZeroQueueService(
            self,
            "SampleAppService",
            image=ecs.ContainerImage.from_asset(str(WORKER)),
            cluster=cluster,
            security_groups=[security_group],
            encryption_key=key,
            fifo=True,
            content_based_deduplication=True,
            queue_name="sample-queue.fifo",
            retention_period=cdk.Duration.days(4),
            visibility_timeout=cdk.Duration.hours(12),
            secrets=secrets,
            environment={"ENV": "production"},
            cpu=4096,
            memory_limit_mib=8192,
            max_capacity=1,
            **(
                {
                    "scale_in_on_cpu_only": True,
                    "idle_cpu_threshold_percent": 0.01,
                    "idle_timeout": cdk.Duration.minutes(3),
                }
                if cpu_only_scale_in
                else {}
            ),
        )
        # The blog's extra statement: the application decrypts data with the same key.
        self.worker.task_definition.add_to_task_role_policy(
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn])
        )


def build(app: cdk.App) -> cdk.Stack:
    """Add this example's stack to ``app``."""
    cpu_only = str(app.node.try_get_context("cpu_only_scale_in")).lower() == "true"
    return SeedParityStack(app, "ScaleToZeroSeedParity", cpu_only_scale_in=cpu_only)


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
