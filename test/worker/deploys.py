"""Helpers and fixtures of the deploy-drain tests: a moto stack with an ECS service, and more.

moto 5.2.5's ECS keeps the PRIMARY deployment it made when the service was created and never
updates it on ``update_service(taskDefinition=...)``; its ``runningCount`` is
``$MOTO_ECS_SERVICE_RUNNING`` at creation (default 0). So "a deploy has happened" is modelled
by a service created on revision 2 of the family while the task's metadata says revision 1,
and "the new tasks are running" by creating it with ``MOTO_ECS_SERVICE_RUNNING=1``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero.worker import EcsDeployDrainWatch, Message, contract

if TYPE_CHECKING:
    from .conftest import EcsAgent


SERVICE_RESOURCE = "Service"
"""The logical ID of the ECS service in every test stack."""

FAST_CHECK_SECONDS = 0.3
"""Mean interval between checks in these tests."""


@dataclass(frozen=True)
class Deployed:
    """An ECS service made by a CloudFormation stack, its PRIMARY deployment on revision 2."""

    stack_id: str
    cluster_arn: str
    family: str

    def identity(self, revision: int) -> dict[str, Any]:
        """The task metadata ``/task`` answer of a task of this family at ``revision``."""
        return {
            "Cluster": self.cluster_arn,
            "TaskARN": f"{self.cluster_arn.replace(':cluster/', ':task/')}/{uuid.uuid4().hex}",
            "Family": self.family,
            "Revision": str(revision),
            "KnownStatus": "RUNNING",
            "LaunchType": "FARGATE",
        }


def planned(unique: str, stack_id: str = "") -> Deployed:
    """What ``deploy(unique=unique)`` creates (moto's default account and region)."""
    return Deployed(
        stack_id=stack_id,
        cluster_arn=f"arn:aws:ecs:us-east-1:123456789012:cluster/{unique}",
        family=f"worker-{unique}",
    )


@pytest.fixture
def aws_clients(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """Point the worker's ECS and CloudFormation clients at moto; return clients for arranging."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", moto_endpoint)
    return (
        boto3.client("ecs", endpoint_url=moto_endpoint),
        boto3.client("cloudformation", endpoint_url=moto_endpoint),
    )


@pytest.fixture
def deploy(
    aws_clients: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Deployed]:
    """Create the stack: revision 1 registered first (the old task's), the stack's is 2."""
    ecs, cloudformation = aws_clients

    def make(*, running: int = 1, stack_name: str | None = None, unique: str = "") -> Deployed:
        unique = unique or uuid.uuid4().hex[:10]
        family = f"worker-{unique}"
        container = {"name": "worker", "image": "worker:old", "memory": 512}
        ecs.register_task_definition(family=family, containerDefinitions=[container])
        template = {
            "Resources": {
                "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": unique}},
                "TaskDefinition": {
                    "Type": "AWS::ECS::TaskDefinition",
                    "Properties": {
                        "Family": family,
                        "ContainerDefinitions": [
                            {"Name": "worker", "Image": "worker:new", "Memory": 512}
                        ],
                    },
                },
                SERVICE_RESOURCE: {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "Cluster": {"Ref": "Cluster"},
                        "TaskDefinition": {"Ref": "TaskDefinition"},
                        "DesiredCount": 1,
                    },
                },
            }
        }
        monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", str(running))  # moto runs in-process
        try:
            stack_id = cloudformation.create_stack(
                StackName=stack_name or f"stack-{unique}", TemplateBody=json.dumps(template)
            )["StackId"]
        finally:
            monkeypatch.delenv("MOTO_ECS_SERVICE_RUNNING")
        deployed = planned(unique, stack_id)
        (cluster,) = ecs.describe_clusters(clusters=[unique])["clusters"]
        assert cluster["clusterArn"] == deployed.cluster_arn
        return deployed

    return make


def fast_watch(deployed: Deployed, agent: EcsAgent, **options: Any) -> EcsDeployDrainWatch:
    """A watch of ``deployed``'s service through ``agent``, checking every ``FAST_CHECK_SECONDS``.

    ``options`` are further ``EcsDeployDrainWatch`` arguments (``pause_limit_seconds`` ...).
    """
    return EcsDeployDrainWatch(
        stack_id=deployed.stack_id,
        service_resource=SERVICE_RESOURCE,
        metadata_uri=agent.metadata_uri,
        check_seconds=FAST_CHECK_SECONDS,
        **options,
    )


def drain_environ(agent: EcsAgent, stack: str, **extra: str) -> dict[str, str]:
    """The environment the construct and ECS give the worker container."""
    return {
        contract.ECS_AGENT_URI: agent.uri,
        contract.ECS_CONTAINER_METADATA_URI_V4: agent.metadata_uri,
        contract.DEPLOY_STACK: stack,
        contract.DEPLOY_SERVICE_RESOURCE: SERVICE_RESOURCE,
        contract.DEPLOY_CHECK_SECONDS: str(FAST_CHECK_SECONDS),
        **extra,
    }


def receive_calls(client: Any) -> list[float]:
    """Record when each ``ReceiveMessage`` of ``client`` starts."""
    started: list[float] = []
    client.meta.events.register(
        "before-call.sqs.ReceiveMessage", lambda **_: started.append(time.monotonic())
    )
    return started


def messages(caplog: pytest.LogCaptureFixture, text: str, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage() and r.levelno >= level]


class LongJob:
    """A handler whose message ``"long"`` runs until ``finish`` is set; others return at once."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.finish = threading.Event()
        self.handled: list[str] = []

    def __call__(self, message: Message) -> None:
        self.handled.append(message.body)
        if message.body == "long":
            self.started.set()
            self.finish.wait(30)


def iam_user(iam: Any, actions: list[str]) -> tuple[str, dict[str, str]]:
    """A moto IAM user allowed ``actions``: its name, its credentials as ``Session`` arguments."""
    name = f"user-{uuid.uuid4().hex[:10]}"
    iam.create_user(UserName=name)
    allow_actions(iam, name, actions)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
        "region_name": "us-east-1",
    }


def allow_actions(iam: Any, user: str, actions: list[str]) -> None:
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    iam.put_user_policy(
        UserName=user,
        PolicyName=f"allow-{uuid.uuid4().hex[:6]}",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
