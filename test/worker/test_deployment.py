"""A deploy makes a task outdated: the worker drains (issue #13).

Against moto in server mode: SQS for the queue, CloudFormation for the stack that creates the
ECS service (``DescribeStackResource`` gives its real ARN), ECS for ``DescribeServices``. The ECS
agent stand-in serves the task metadata endpoint and task protection.

moto 5.2.5's ECS keeps the PRIMARY deployment it made when the service was created and never
updates it on ``update_service(taskDefinition=...)``; its ``runningCount`` is
``$MOTO_ECS_SERVICE_RUNNING`` at creation (default 0). So "a deploy has happened" is modelled
by a service created on revision 2 of the family while the task's metadata says revision 1,
and "the new tasks are running" by creating it with ``MOTO_ECS_SERVICE_RUNNING=1``.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero.worker import (
    EcsDeploymentWatch,
    Message,
    NoDeploymentWatch,
    Worker,
    WorkerStats,
    contract,
)

from .conftest import (
    EcsAgent,
    Running,
    fast_worker,
    finish,
    queue_counts,
    send,
    start_cli,
    wait_for,
)
from .faults import FaultyProxy

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


@pytest.fixture
def run_worker() -> Iterator[Callable[[Worker], Running]]:
    """Run workers on threads; at the end, stop those still running (their drain is over)."""
    running: list[Running] = []

    def start_worker(worker: Worker) -> Running:
        running.append(Running(worker))
        return running[-1]

    yield start_worker
    for item in running:
        if item.thread.is_alive():
            item.stop()


def test_outdated_task_finishes_what_it_runs_then_exits(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    run_worker: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a task of revision 1 running a long job, and a service whose primary runs revision 2
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue(visibility_timeout=2)
    job = LongJob()
    send(sqs, url, ["long"])
    worker = fast_worker(
        job, url, concurrency=2, environ=drain_environ(ecs_agent, service.stack_id)
    )
    receives = receive_calls(worker._sqs)
    caplog.set_level(logging.INFO)
    running = run_worker(worker)
    wait_for(job.started.is_set, what="the long job")

    # when the worker finds out
    wait_for(lambda: bool(messages(caplog, "draining:")), what="the drain")
    receives_at_decision = len(receives)
    send(sqs, url, ["after-1", "after-2"])
    time.sleep(3)  # longer than the visibility timeout: the heartbeat goes on

    # then it receives nothing more, and the long job's message is still held
    assert queue_counts(sqs, url) == (2, 1)
    assert ecs_agent.protected
    job.finish.set()
    running.thread.join(15)
    assert not running.thread.is_alive(), "run() did not return after the drain"
    assert running.error is None
    assert job.handled == ["long"]
    assert queue_counts(sqs, url) == (2, 0)  # "long" deleted; the rest is for the new tasks
    assert len(receives) == receives_at_decision
    assert worker.stats.deleted == 1
    assert ecs_agent.calls[-1][1] == {"ProtectionEnabled": False}
    (decision,) = messages(caplog, "draining:")
    assert f"task definition {service.family}:1 is outdated" in decision
    assert f"primary deployment runs {service.family}:2 (1 task(s) running)" in decision
    assert messages(caplog, "drain finished")


def test_drain_hands_back_messages_it_has_not_started(
    make_queue: Callable[..., str],
    sqs: Any,
    run_worker: Callable[[Worker], Running],
) -> None:
    # given a worker that runs one long job and has prefetched three more behind it
    url = make_queue(visibility_timeout=30)
    job = LongJob()
    worker = fast_worker(job, url, concurrency=1)
    running = run_worker(worker)
    send(sqs, url, ["quick"])  # one finished handler: now the worker prefetches
    wait_for(lambda: worker.stats.deleted == 1, what="the first message")
    send(sqs, url, ["long"] * 4)
    wait_for(job.started.is_set, what="the long job")
    wait_for(lambda: worker.stats.received == 5, what="the prefetch")

    # when it drains
    worker.drain("a test says so")

    # then the three waiting ones are visible again at once, and the running one finishes
    wait_for(lambda: queue_counts(sqs, url) == (3, 1), what="the hand-back")
    job.finish.set()
    running.thread.join(15)
    assert not running.thread.is_alive()
    assert job.handled == ["quick", "long"]
    assert queue_counts(sqs, url) == (3, 0)
    assert worker.stats.released == 3


@pytest.mark.parametrize(
    ("revision", "running"),
    [(2, 1), (1, 0)],
    ids=["current task definition", "new deployment has no running task"],
)
def test_no_drain_while_the_task_is_current_or_the_new_tasks_do_not_run(
    revision: int,
    running: int,
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    run_worker: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a task whose service's primary names its own revision, or a revision not started
    service = deploy(running=running)
    ecs_agent.task_metadata = service.identity(revision=revision)
    url = make_queue()
    job = LongJob()
    watch = EcsDeploymentWatch(
        stack_id=service.stack_id,
        service_resource=SERVICE_RESOURCE,
        metadata_uri=ecs_agent.metadata_uri,
        check_seconds=FAST_CHECK_SECONDS,
    )
    caplog.set_level(logging.INFO)
    worker = fast_worker(job, url, deployment_watch=watch)
    running_worker = run_worker(worker)

    # when it has checked several times
    wait_for(lambda: watch.checks >= 4, what="four checks")
    send(sqs, url, ["after"])

    # then it keeps receiving
    wait_for(lambda: worker.stats.deleted == 1, what="the message sent after the checks")
    assert running_worker.thread.is_alive()
    assert not messages(caplog, "draining")
    assert watch.service_arn is not None
    assert watch.service_arn.startswith("arn:aws:ecs:us-east-1:123456789012:service/")
    assert ecs_agent.metadata_calls == 1  # read once
    assert not messages(caplog, "deployment check failed", logging.WARNING)


@pytest.mark.parametrize("fault", ["http500", "malformed"])
def test_failing_metadata_endpoint_changes_nothing_until_it_recovers(
    fault: str,
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    run_worker: Callable[[Worker], Running],
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
    running = run_worker(worker)

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
    run_worker: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a stack DescribeStackResource does not know yet (moto's real ValidationError)
    unique = uuid.uuid4().hex[:10]
    stack_name = f"later-{unique}"
    ecs_agent.task_metadata = planned(unique).identity(revision=1)
    url = make_queue()
    caplog.set_level(logging.INFO)
    worker = fast_worker(LongJob(), url, environ=drain_environ(ecs_agent, stack_name))
    running = run_worker(worker)

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
    run_worker: Callable[[Worker], Running],
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
        watch = EcsDeploymentWatch(
            stack_id=service.stack_id,
            service_resource=SERVICE_RESOURCE,
            metadata_uri=ecs_agent.metadata_uri,
            check_seconds=FAST_CHECK_SECONDS,
            timeout_seconds=0.5,
            stats=stats,
        )
        caplog.set_level(logging.INFO)
        worker = fast_worker(job, url, deployment_watch=watch)
        running = run_worker(worker)

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


def test_sigterm_during_a_drain_is_an_ordinary_stop(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    run_worker: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an outdated task draining while a long job runs
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue(visibility_timeout=30)
    job = LongJob()
    send(sqs, url, ["long"])
    caplog.set_level(logging.INFO)
    worker = fast_worker(job, url, environ=drain_environ(ecs_agent, service.stack_id))
    running = run_worker(worker)
    wait_for(job.started.is_set, what="the long job")
    wait_for(lambda: bool(messages(caplog, "draining:")), what="the drain")

    # when ECS sends SIGTERM
    stopped_at = time.monotonic()
    worker._on_signal("SIGTERM")
    running.thread.join(15)

    # then the grace period applies and the unfinished message is handed back
    assert not running.thread.is_alive()
    grace = worker.config.shutdown_grace_seconds
    assert grace - 0.5 <= time.monotonic() - stopped_at < grace + 5
    assert queue_counts(sqs, url) == (1, 0)
    assert messages(caplog, "stop requested while draining")
    assert not messages(caplog, "drain finished")
    assert ecs_agent.calls[-1][1] == {"ProtectionEnabled": False}
    job.finish.set()


def test_a_drain_after_stop_does_nothing(
    make_queue: Callable[..., str], caplog: pytest.LogCaptureFixture
) -> None:
    worker = fast_worker(LongJob(), make_queue())
    worker.stop()
    caplog.set_level(logging.INFO)
    worker.drain("too late")
    assert worker._drain_reason is None
    worker.run()
    assert not messages(caplog, "draining")


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
        assert isinstance(worker.deployment_watch, NoDeploymentWatch)
        running = Running(worker)
        send(sqs, url, ["a"])
        wait_for(lambda: worker.stats.deleted == 1, what="the message")
        time.sleep(FAST_CHECK_SECONDS * 3)
        running.stop()
        assert proxy.connections == 0
    assert ecs_agent.metadata_calls == 0
    (line,) = messages(caplog, "not checking for new deployments")
    assert line.endswith(f"${' and $'.join(missing)} not set")


def test_cli_exits_0_after_draining(
    tmp_path: Path,
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
) -> None:
    # given the CLI in an outdated task, with a message to finish
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue(visibility_timeout=5)
    send(sqs, url, ["one"])
    handler = """
        import time

        def handle(message):
            time.sleep(1.5)
    """
    environ = drain_environ(ecs_agent, service.stack_id, QUEUE_URL=url)
    process = start_cli(tmp_path, handler, "--poll-wait", "1", "--log-format", "text", env=environ)

    # then it drains and exits 0 by itself
    output = finish(process, timeout=30)
    assert process.returncode == 0, output
    assert f"task definition {service.family}:1 is outdated" in output
    assert "drain finished" in output
    assert queue_counts(sqs, url) == (0, 0)


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


def test_access_denied_changes_nothing_until_the_permission_is_granted(
    make_queue: Callable[..., str],
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    moto_endpoint: str,
    run_worker: Callable[[Worker], Running],
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
        running = run_worker(worker)

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


def test_cli_sigterm_during_a_drain_exits_0_within_the_grace_period(
    tmp_path: Path,
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
) -> None:
    # given the CLI in an outdated task, draining while a long job runs
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue(visibility_timeout=60)
    send(sqs, url, ["long"])
    handler = """
        import time

        def handle(message):
            time.sleep(60)
    """
    environ = drain_environ(ecs_agent, service.stack_id, QUEUE_URL=url)
    process = start_cli(
        tmp_path,
        handler,
        "--poll-wait",
        "1",
        "--shutdown-grace",
        "2",
        "--log-format",
        "text",
        env=environ,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    wait_for(lambda: any("draining:" in line for line in lines), what="the drain")

    # when ECS sends SIGTERM
    process.send_signal(signal.SIGTERM)

    # then it stops as usual: exit 0 after the grace period, the message handed back
    try:
        assert process.wait(timeout=15) == 0, "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(5)
    output = "".join(lines)
    assert "stop requested while draining" in output
    assert "grace period of 2 s over; releasing 1 running message(s)" in output
    assert "drain finished" not in output
    assert queue_counts(sqs, url) == (1, 0)
