"""The deploy drain's verdict: how its watch reads the task metadata and ``DescribeServices``.

The shapes are those of the AWS documentation ("Amazon ECS task metadata v4 JSON response for
tasks on Fargate"; ECS API reference, ``DescribeServices`` and ``Deployment``); the end-to-end
behaviour against moto is in ``test_deploy_drain.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sqs_scale_to_zero.worker import WorkerConfig
from sqs_scale_to_zero.worker.deploy_drain import (
    CheckFailed,
    EcsDeployDrainWatch,
    NoDeployDrainWatch,
    Outdated,
    TaskIdentity,
    outdated,
    parse_task_metadata,
    primary_deployment,
)

TASK = TaskIdentity(
    cluster="arn:aws:ecs:us-east-1:123456789012:cluster/jobs",
    task_arn="arn:aws:ecs:us-east-1:123456789012:task/jobs/0123",
    family="worker",
    revision="7",
)
ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/"


def service(*deployments: dict[str, Any]) -> dict[str, Any]:
    return {"services": [{"deployments": list(deployments)}], "failures": []}


def deployment(status: str, revision: int, running: int) -> dict[str, Any]:
    return {"status": status, "taskDefinition": f"{ARN}worker:{revision}", "runningCount": running}


def test_the_primary_deployment_is_read_among_the_others() -> None:
    answer = service(deployment("ACTIVE", 7, 3), deployment("PRIMARY", 8, 1))
    assert primary_deployment(answer) == ("worker:8", 1)


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ({"services": [], "failures": [{"arn": "x", "reason": "MISSING"}]}, "service MISSING"),
        ({"services": [], "failures": []}, "malformed answer"),
        (service(), "malformed answer"),
        (service(deployment("ACTIVE", 7, 1)), "malformed answer"),
        (service(deployment("PRIMARY", 7, 1), deployment("PRIMARY", 8, 1)), "malformed answer"),
        (service({"status": "PRIMARY", "taskDefinition": "worker:8"}), "malformed answer"),
        (service({"status": "PRIMARY", "taskDefinition": f"{ARN}worker:8"}), "malformed answer"),
    ],
    ids=["missing", "empty", "no deployments", "no primary", "two primaries", "no arn", "no count"],
)
def test_an_answer_without_one_clear_primary_is_a_failed_check(
    answer: dict[str, Any], kind: str
) -> None:
    with pytest.raises(CheckFailed) as failed:
        primary_deployment(answer)
    assert (failed.value.step, failed.value.kind) == ("DescribeServices", kind)


@pytest.mark.parametrize(
    ("primary", "running", "verdict"),
    [
        ("worker:7", 2, None),
        ("worker:8", 0, Outdated(own="worker:7", primary="worker:8", running=0)),
        ("worker:8", 1, Outdated(own="worker:7", primary="worker:8", running=1)),
        ("worker:6", 4, Outdated(own="worker:7", primary="worker:6", running=4)),
        ("other:7", 1, Outdated(own="worker:7", primary="other:7", running=1)),
    ],
    ids=["own", "new not running", "newer", "rolled back to older", "other family"],
)
def test_outdated_when_the_primary_is_another_task_definition(
    primary: str, running: int, verdict: Outdated | None
) -> None:
    assert outdated(TASK, primary, running) == verdict
    if verdict is not None:
        assert verdict.replaced is (running >= 1)  # drain only into a running deployment


def test_task_metadata_gives_the_identity() -> None:
    payload = {
        "Cluster": TASK.cluster,
        "TaskARN": TASK.task_arn,
        "Family": "worker",
        "Revision": "7",
        "DesiredStatus": "RUNNING",
        "Containers": [],
    }
    assert parse_task_metadata(json.dumps(payload).encode()) == TASK
    assert TASK.task_definition == "worker:7"


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[]", json.dumps({"Cluster": "c", "TaskARN": "t", "Family": "f"}).encode()],
    ids=["not json", "not an object", "no revision"],
)
def test_unreadable_task_metadata_is_a_failed_check(payload: bytes) -> None:
    with pytest.raises(CheckFailed) as failed:
        parse_task_metadata(payload)
    assert (failed.value.step, failed.value.kind) == ("task metadata", "malformed answer")


def test_the_watch_is_built_from_the_environment_only_when_it_names_everything() -> None:
    environ = {
        "QUEUE_URL": "http://127.0.0.1:9/123456789012/q",
        "SCALE_TO_ZERO_DEPLOY_STACK": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE": "Service",
        "SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS": "45",
        "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/abc",
    }
    watch = EcsDeployDrainWatch.from_config(WorkerConfig.from_environment(environ))
    assert isinstance(watch, EcsDeployDrainWatch)
    assert (watch.service_resource, watch.check_seconds) == ("Service", 45)
    del environ["SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE"]
    off = EcsDeployDrainWatch.from_config(WorkerConfig.from_environment(environ))
    assert isinstance(off, NoDeployDrainWatch)
    assert off.reason == "$SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE not set"
