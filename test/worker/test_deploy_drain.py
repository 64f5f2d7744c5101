"""A deploy makes a task outdated: the worker drains it (the deploy drain).

Against moto in server mode: SQS for the queue, CloudFormation for the stack that creates the
ECS service (``DescribeStackResource`` gives its real ARN), ECS for ``DescribeServices``. The ECS
agent stand-in serves the task metadata endpoint and task protection. How moto models "a deploy"
is in ``deploys.py``; failed checks are in ``test_deploy_drain_failures.py``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.worker import (
    EcsDeployDrainWatch,
    Worker,
)
from sqs_scale_to_zero.worker.signals import STOP_SIGNALS

from .conftest import (
    EcsAgent,
    Running,
    fast_worker,
    finish,
    queue_counts,
    send,
    start_cli,
    wait_for,
    worker_client,
)
from .deploys import (
    FAST_CHECK_SECONDS,
    Deployed,
    LongJob,
    drain_environ,
    fast_watch,
    messages,
    receive_calls,
)


def test_outdated_task_finishes_what_it_runs_then_exits(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    start: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a task of revision 1 running a long job, and a service whose primary runs revision 2
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue(visibility_timeout=2)
    job = LongJob()
    send(sqs, url, ["long"])
    client = worker_client()
    receives = receive_calls(client)
    worker = fast_worker(
        job,
        url,
        concurrency=2,
        environ=drain_environ(ecs_agent, service.stack_id),
        sqs_client=client,
    )
    caplog.set_level(logging.INFO)
    running = start(worker)
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


def primary_deployment_of(deployed: Deployed) -> dict[str, Any]:
    """The PRIMARY deployment moto keeps for the stack's service (moto runs in-process).

    moto sets a service's deployments once, at creation; a test that lets a new deployment's
    task start, or rolls it back, changes moto's own record of it.
    """
    from moto.ecs.models import ecs_backends

    backend = ecs_backends["123456789012"]["us-east-1"]
    (service,) = [
        s
        for key, s in backend.services.items()
        if key.startswith(deployed.cluster_arn.rpartition("/")[2] + ":")
    ]
    (primary,) = [d for d in service.deployments if d["status"] == "PRIMARY"]
    return primary


@dataclass(frozen=True)
class Paused:
    """An old task (revision 1) paused for a new deployment that runs no task yet."""

    service: Deployed
    url: str
    job: LongJob
    worker: Worker
    watch: EcsDeployDrainWatch
    running: Running


@pytest.fixture
def paused(
    make_queue: Callable[..., str],
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    start: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> Callable[..., Paused]:
    """Start such a task with a fast watch (``EcsDeployDrainWatch`` options) and wait for its pause."""

    def make(**watch_options: Any) -> Paused:
        service = deploy(running=0)
        ecs_agent.task_metadata = service.identity(revision=1)
        url = make_queue()
        job = LongJob()
        watch = fast_watch(service, ecs_agent, **watch_options)
        worker = fast_worker(job, url, deployment_watch=watch)
        caplog.set_level(logging.INFO)
        running = start(worker)
        wait_for(lambda: worker.paused, what="the pause")
        return Paused(service, url, job, worker, watch, running)

    return make


def test_a_new_deployment_without_a_running_task_pauses_then_the_task_drains(
    sqs: Any, paused: Callable[..., Paused], caplog: pytest.LogCaptureFixture
) -> None:
    # given an old task paused for a new deployment that has not started a task yet
    task = paused()

    # when a message arrives
    send(sqs, task.url, ["for the new code"])
    checks = task.watch.checks
    wait_for(lambda: task.watch.checks >= checks + 4, what="four more checks")

    # then the old code does not take it; once a new task runs, the old task exits
    assert task.job.handled == []
    assert queue_counts(sqs, task.url) == (1, 0)
    assert task.running.thread.is_alive()
    primary_deployment_of(task.service)["runningCount"] = 1
    task.running.thread.join(15)
    assert not task.running.thread.is_alive(), "run() did not return after the drain"
    assert task.job.handled == []
    assert queue_counts(sqs, task.url) == (1, 0)
    (pause,) = messages(caplog, "pausing:")
    assert f"primary deployment runs {task.service.family}:2 (0 task(s) running)" in pause
    assert messages(caplog, "draining:")


def test_a_rollback_while_paused_lets_the_old_task_work_on(
    sqs: Any, paused: Callable[..., Paused], caplog: pytest.LogCaptureFixture
) -> None:
    # given a paused old task and a message waiting
    task = paused()
    send(sqs, task.url, ["waits for the rollback"])

    # when the circuit breaker rolls the service back to the old task definition
    primary = primary_deployment_of(task.service)
    primary["taskDefinition"] = primary["taskDefinition"].rpartition(":")[0] + ":1"

    # then the old task takes messages again and keeps running
    wait_for(lambda: task.worker.stats.deleted == 1, what="the message, on the old code")
    assert task.running.thread.is_alive()
    assert not task.worker.paused
    assert messages(caplog, "receiving again: the service's primary deployment is this task's")
    assert not messages(caplog, "draining:")


def test_a_new_deployment_that_never_runs_a_task_ends_the_pause_at_its_limit(
    sqs: Any, paused: Callable[..., Paused], caplog: pytest.LogCaptureFixture
) -> None:
    # given a new deployment whose tasks never start (a bad image), and a 1.5 s pause limit
    task = paused(pause_limit_seconds=1.5)
    paused_at = time.monotonic()
    send(sqs, task.url, ["on the old code, later"])

    # then the old task works on once the limit has passed, and does not pause again for it
    wait_for(lambda: task.worker.stats.deleted == 1, what="the message after the pause")
    # (the pause began a little before the fixture saw it: allow one check interval for that)
    assert time.monotonic() - paused_at >= 1.5 - FAST_CHECK_SECONDS
    checks = task.watch.checks
    wait_for(lambda: task.watch.checks >= checks + 4, what="four more checks")
    assert not task.worker.paused
    assert task.running.thread.is_alive()
    assert len(messages(caplog, "pausing:")) == 1
    (resumed,) = messages(caplog, "receiving again:")
    assert "has run no task for 1.5 s" in resumed


def test_no_drain_while_the_task_is_current(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    start: Callable[[Worker], Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a task whose service's primary names its own revision
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=2)
    url = make_queue()
    job = LongJob()
    watch = fast_watch(service, ecs_agent)
    caplog.set_level(logging.INFO)
    worker = fast_worker(job, url, deployment_watch=watch)
    running_worker = start(worker)

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


def test_sigterm_during_a_drain_is_an_ordinary_stop(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    start: Callable[[Worker], Running],
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
    STOP_SIGNALS.install()  # on this, the main thread: the worker's thread listens to it
    try:
        running = start(worker)
        wait_for(job.started.is_set, what="the long job")
        wait_for(lambda: bool(messages(caplog, "draining:")), what="the drain")

        # when ECS sends SIGTERM
        stopped_at = time.monotonic()
        os.kill(os.getpid(), signal.SIGTERM)
        running.thread.join(15)
    finally:
        STOP_SIGNALS.restore()

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
    worker.run()
    assert not messages(caplog, "draining")


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
