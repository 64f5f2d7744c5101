"""A deploy drain check that fails changes nothing: the worker works on, logs once, and drains
once the check works again.

Real failures throughout: the stand-in metadata endpoint's errors, moto's own errors (a stack it
does not know, IAM's access denied with moto enforcing IAM), and a black-holed connection.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero.worker import (
    NoDeployDrainWatch,
    Worker,
    WorkerStats,
    contract,
)

from .conftest import (
    EcsAgent,
    Running,
    fast_worker,
    send,
    wait_for,
)
from .deploys import (
    FAST_CHECK_SECONDS,
    Deployed,
    LongJob,
    allow_actions,
    drain_environ,
    fast_watch,
    iam_user,
    messages,
    planned,
)
from .faults import FaultyProxy


@pytest.mark.parametrize("fault", ["http500", "malformed"])
def test_failing_metadata_endpoint_changes_nothing_until_it_recovers(
    fault: str,
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    start: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an outdated task whose metadata endpoint fails
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    ecs_agent.metadata_fault = fault
    url = make_queue()
    job = LongJob()
    caplog.set_level(logging.INFO)
    worker = fast_worker(job, url, environ=drain_environ(ecs_agent, service.stack_id))
    running = start(worker)

    # when several checks fail
    wait_for(lambda: worker.stats.deploy_check_failures >= 3, what="three failed checks")
    send(sqs, url, ["during"])

    # then the worker works on, and says so once
    wait_for(lambda: worker.stats.deleted == 1, what="the message sent during the failures")
    assert running.thread.is_alive()
    (warning,) = messages(caplog, "deployment check failed", logging.WARNING)
    assert "(task metadata: " in warning
    assert not messages(caplog, "draining")

    # and once the endpoint answers, it drains
    ecs_agent.metadata_fault = None
    running.thread.join(15)
    assert not running.thread.is_alive(), "no drain after the endpoint recovered"
    assert messages(caplog, "deployment check works again")
    assert messages(caplog, "draining:")


def test_service_not_in_the_stack_yet_is_retried_until_it_is(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    start: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a stack DescribeStackResource does not know yet (moto's real ValidationError)
    unique = uuid.uuid4().hex[:10]
    stack_name = f"later-{unique}"
    ecs_agent.task_metadata = planned(unique).identity(revision=1)
    url = make_queue()
    caplog.set_level(logging.INFO)
    worker = fast_worker(LongJob(), url, environ=drain_environ(ecs_agent, stack_name))
    running = start(worker)

    # when checks fail
    wait_for(lambda: worker.stats.deploy_check_failures >= 3, what="three failed checks")
    send(sqs, url, ["during"])

    # then the worker works on and logs once
    wait_for(lambda: worker.stats.deleted == 1, what="the message sent during the failures")
    assert running.thread.is_alive()
    (warning,) = messages(caplog, "deployment check failed", logging.WARNING)
    assert "(DescribeStackResource: ValidationError)" in warning

    # and when the stack appears with a newer deployment running, it drains
    deploy(running=1, stack_name=stack_name, unique=unique)
    running.thread.join(15)
    assert not running.thread.is_alive(), "no drain after the stack appeared"
    assert messages(caplog, "draining:")


def test_black_holed_ecs_endpoint_changes_nothing_until_it_recovers(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    moto_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    start: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an outdated task whose ECS endpoint drops every packet
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue()
    job = LongJob()
    stats = WorkerStats()
    with FaultyProxy(moto_endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", proxy.endpoint)
        proxy.black_hole.set()
        watch = fast_watch(service, ecs_agent, timeout_seconds=0.5, stats=stats)
        caplog.set_level(logging.INFO)
        worker = fast_worker(job, url, deployment_watch=watch)
        running = start(worker)

        # when checks time out
        wait_for(lambda: stats.deploy_check_failures >= 2, what="two failed checks")
        send(sqs, url, ["during"])

        # then the worker works on, logs once, and drains once ECS answers
        wait_for(lambda: worker.stats.deleted == 1, what="the message sent during the outage")
        assert running.thread.is_alive()
        (warning,) = messages(caplog, "deployment check failed", logging.WARNING)
        assert "(DescribeServices: " in warning and "Timeout" in warning
        proxy.black_hole.clear()
        running.thread.join(20)
        assert not running.thread.is_alive(), "no drain after ECS answered again"
    assert messages(caplog, "draining:")


def test_access_denied_changes_nothing_until_the_permission_is_granted(
    make_queue: Callable[..., str],
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    moto_endpoint: str,
    start: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an outdated task whose role may not call ecs:DescribeServices (moto enforcing IAM)
    from moto.core.authorization import enable_iam_authentication

    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue()
    iam = boto3.client("iam", endpoint_url=moto_endpoint)
    _, admin = iam_user(iam, ["*"])
    task_name, task_role = iam_user(iam, ["sqs:*", "cloudformation:DescribeStackResource"])
    job = LongJob()
    caplog.set_level(logging.INFO)
    with enable_iam_authentication():
        as_admin = boto3.Session(**admin)
        sqs = as_admin.client("sqs", endpoint_url=moto_endpoint)
        worker = fast_worker(
            job,
            url,
            environ=drain_environ(ecs_agent, service.stack_id),
            session=boto3.Session(**task_role),
        )
        running = start(worker)

        # when checks are denied
        wait_for(lambda: worker.stats.deploy_check_failures >= 3, what="three denied checks")
        send(sqs, url, ["during"])

        # then the worker works on and logs once
        wait_for(lambda: worker.stats.deleted == 1, what="the message sent while denied")
        assert running.thread.is_alive()
        (warning,) = messages(caplog, "deployment check failed", logging.WARNING)
        assert "(DescribeServices: " in warning
        assert "not authorized to perform: ecs:DescribeServices" in warning

        # and once the permission is granted, it drains
        allow_actions(as_admin.client("iam", endpoint_url=moto_endpoint), task_name, ["ecs:*"])
        running.thread.join(15)
        assert not running.thread.is_alive(), "no drain after the permission was granted"
    assert messages(caplog, "draining:")


@pytest.mark.parametrize(
    "missing",
    [
        (contract.DEPLOY_STACK, contract.DEPLOY_SERVICE_RESOURCE),
        (contract.ECS_CONTAINER_METADATA_URI_V4,),
    ],
    ids=["not deployed by the construct", "not on ECS"],
)
def test_without_its_environment_the_watch_makes_no_call(
    missing: tuple[str, ...],
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    moto_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an environment without some of the names, ECS and CloudFormation behind a proxy
    environ = drain_environ(ecs_agent, "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1")
    for name in missing:
        del environ[name]
    url = make_queue()
    job = LongJob()
    with FaultyProxy(moto_endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", proxy.endpoint)
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", proxy.endpoint)
        caplog.set_level(logging.INFO)
        worker = fast_worker(job, url, environ=environ)
        assert isinstance(worker.deployment_watch, NoDeployDrainWatch)
        running = Running(worker)
        send(sqs, url, ["a"])
        wait_for(lambda: worker.stats.deleted == 1, what="the message")
        time.sleep(FAST_CHECK_SECONDS * 3)
        running.stop()
        assert proxy.connections == 0
    assert ecs_agent.metadata_calls == 0
    (line,) = messages(caplog, "not checking for new deployments")
    assert line.endswith(f"${' and $'.join(missing)} not set")
