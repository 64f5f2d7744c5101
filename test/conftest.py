"""Synthesized configurations of the construct, each built once per test session.

Synthesis costs seconds per stack, so every configuration below is a session-scoped fixture and
tests only read from it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Template

from sqs_scale_to_zero import MonitoringOptions, ScaleToZeroQueueService

TEST_ENV = cdk.Environment(account="123456789012", region="us-east-1")
TEST_IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.12-slim")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


@dataclass(frozen=True)
class Synthesized:
    """A stack with one construct, synthesized once."""

    stack: cdk.Stack
    construct: ScaleToZeroQueueService
    template: Template

    def logical_id(self, construct: Any) -> str:
        """The logical ID of an L2's default child (or of an L1)."""
        child = construct.node.default_child or construct
        return self.stack.get_logical_id(child)

    def resources(self, resource_type: str) -> dict[str, Any]:
        return dict(self.template.find_resources(resource_type))

    def properties(self, construct: Any) -> dict[str, Any]:
        """The synthesized Properties of a construct's resource."""
        assert construct is not None
        resources = self.template.to_json()["Resources"]
        return dict(resources[self.logical_id(construct)]["Properties"])

    def dashboard_body(self) -> dict[str, Any]:
        """The dashboard JSON, each CloudFormation reference replaced by its logical ID."""
        (dashboard,) = self.resources("AWS::CloudWatch::Dashboard").values()
        parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
        text = "".join(
            part
            if isinstance(part, str)
            else part.get("Ref") or "/".join(part.get("Fn::GetAtt", ["?"]))
            for part in parts
        )
        return dict(json.loads(text))


def synthesize(build: Callable[[cdk.Stack], ScaleToZeroQueueService]) -> Synthesized:
    app = cdk.App()
    stack = cdk.Stack(app, "TestStack", env=TEST_ENV)
    construct = build(stack)
    return Synthesized(stack=stack, construct=construct, template=Template.from_stack(stack))


@pytest.fixture(scope="session")
def default_service() -> Synthesized:
    """Every prop at its default: new VPC, cluster, queue and DLQ."""
    return synthesize(lambda stack: ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE))


@pytest.fixture(scope="session")
def seed_like_service() -> Synthesized:
    """The seed blog's shape: existing cluster, CMK, FIFO queue, SSM secrets, 4096/8192, max 1."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        vpc = ec2.Vpc.from_vpc_attributes(
            stack,
            "Vpc",
            vpc_id="vpc-12345678",
            availability_zones=["us-east-1a", "us-east-1b"],
            private_subnet_ids=["subnet-11111111", "subnet-22222222"],
        )
        cluster = ecs.Cluster.from_cluster_attributes(
            stack,
            "Cluster",
            cluster_name="existing-cluster",
            vpc=vpc,
            security_groups=[
                ec2.SecurityGroup.from_security_group_id(stack, "ClusterSg", "sg-12345678")
            ],
        )
        key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
        database_name = ssm.StringParameter.from_secure_string_parameter_attributes(
            stack,
            "DatabaseName",
            parameter_name="/app/database-name",
            version=1,
            encryption_key=key,
        )
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            cluster=cluster,
            encryption_key=key,
            fifo=True,
            content_based_deduplication=True,
            queue_name="sample-queue.fifo",
            retention_period=cdk.Duration.days(4),
            visibility_timeout=cdk.Duration.hours(12),
            secrets={"DATABASE_NAME": ecs.Secret.from_ssm_parameter(database_name)},
            environment={"ENV": "production"},
            cpu=4096,
            memory_limit_mib=8192,
            max_capacity=1,
        )

    return synthesize(build)


@pytest.fixture(scope="session")
def brought_queue_service() -> Synthesized:
    """A queue the user brings, plus tuned scaling and no task protection."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        queue = sqs.Queue(stack, "OwnQueue")
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            queue=queue,
            idle_cpu_threshold_percent=None,
            idle_timeout=cdk.Duration.minutes(15),
            task_protection=False,
            max_capacity=10,
            scale_out_steps=[
                appscaling.ScalingInterval(lower=1, upper=10, change=1),
                appscaling.ScalingInterval(lower=10, change=3),
            ],
            cpu_architecture=ecs.CpuArchitecture.ARM64,
            capacity_provider_strategies=[
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1)
            ],
        )

    return synthesize(build)


@pytest.fixture(scope="session")
def sized_service() -> Synthesized:
    """Backlog sizing to 50 tasks, 10 messages a task, in a brought cluster (no Container
    Insights setting, no task count metric)."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        vpc = ec2.Vpc(stack, "OwnVpc", nat_gateways=0)
        cluster = ecs.Cluster.from_cluster_attributes(
            stack, "OwnCluster", cluster_name="jobs", vpc=vpc
        )
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            cluster=cluster,
            max_capacity=50,
            messages_per_task=10,
        )

    return synthesize(build)


@pytest.fixture(scope="session")
def cpu_only_service() -> Synthesized:
    """Seed-blog parity: scale in on CPU alone, as the blog's alarm did; monitoring off."""
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            scale_in_on_cpu_only=True,
            idle_cpu_threshold_percent=0.01,
            idle_timeout=cdk.Duration.minutes(3),
            monitoring=False,
        )
    )


@pytest.fixture(scope="session")
def gradual_service() -> Synthesized:
    """Opt-in gradual scale-in beside task protection."""
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            gradual_scale_in=True,
            gradual_scale_in_cooldown=cdk.Duration.minutes(3),
        )
    )


@pytest.fixture(scope="session")
def alerting_service() -> Synthesized:
    """Monitoring tuned: an SNS topic for alarm actions and a longer oldest-message threshold."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        topic = sns.Topic(stack, "OnCall")
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            idle_timeout=cdk.Duration.minutes(10),
            monitoring=MonitoringOptions(
                alarm_topic=topic,
                oldest_message_age_threshold=cdk.Duration.hours(1),
                dashboard_name="scale-to-zero-worker",
            ),
        )

    return synthesize(build)


@pytest.fixture
def atomic_moto_receives(monkeypatch: pytest.MonkeyPatch) -> None:
    """For this test, let one receive at a time pick messages, as SQS does.

    moto's ``receive_message`` checks that a message is visible and then marks it received
    without a lock, so two receives in flight at once (the worker keeps several) can, now and
    then, both take the same message: a duplicate SQS does not make within the visibility
    timeout. A test that counts duplicates under concurrent receives asks for this fixture:
    the pick (a receive with no wait) is serialized, and the long poll waits outside the lock
    as moto's own loop does (for a message, at most a second a step, until its deadline).
    """
    from moto.sqs.models import SQSBackend

    original = SQSBackend.receive_message
    lock = threading.Lock()

    def receive_message(
        self: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        deadline = time.monotonic() + (wait_seconds_timeout or 0)
        while True:
            with lock:
                messages = original(self, queue_name, count, 0, *args, **kwargs)
            if messages or time.monotonic() >= deadline:
                return messages
            self.get_queue(queue_name).wait_for_messages(1)

    monkeypatch.setattr(SQSBackend, "receive_message", receive_message)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real SQS/CloudWatch-protocol server (moto in server mode) on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_local(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point every boto3 client created in the test at the moto server, with dummy credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture(scope="session")
def backlog_signal_service() -> Synthesized:
    """Scaling on the fresh backlog signal."""
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack, "Worker", image=TEST_IMAGE, backlog_signal=True
        )
    )


REPOSITORY = Path(__file__).resolve().parent.parent
DISTRIBUTION_PROJECTS = {
    "sqs-scale-to-zero-worker": REPOSITORY / "worker",
    "sqs-scale-to-zero": REPOSITORY,
}
"""Each distribution this repository builds, by name, and its project directory."""


@dataclass(frozen=True)
class BuiltDistribution:
    """An sdist and the wheel ``python -m build`` made from it."""

    name: str
    project_dir: Path
    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def built_distributions(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, BuiltDistribution]:
    """Both distributions built once per session (sdist, then the wheel built from it)."""
    built = {}
    for name, project_dir in DISTRIBUTION_PROJECTS.items():
        outdir = tmp_path_factory.mktemp("dist")
        result = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(outdir), str(project_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"python -m build failed:\n{result.stdout}\n{result.stderr}"
        (wheel,) = outdir.glob("*.whl")
        (sdist,) = outdir.glob("*.tar.gz")
        built[name] = BuiltDistribution(name, project_dir, wheel, sdist)
    return built
