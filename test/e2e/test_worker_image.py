"""The example worker image, built with a wheel of this repository's worker and run for real.

The image is the basic example's synthesized asset, built by a private ``dockerd`` on a base
image made locally with debootstrap (see ``conftest.py``). Each container runs on
``--network host`` against moto's SQS server on 127.0.0.1, with the environment the construct
writes into the task definition plus what ECS itself adds (``ECS_AGENT_URI``, pointed at the
stand-in for the agent's task-protection endpoint, the region and credentials).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.scaffold import write_app
from sqs_scale_to_zero.worker import contract
from test.worker.conftest import EcsAgent
from test.worker.deploys import SERVICE_RESOURCE, Deployed

from .conftest import REGION, ROOT, BasicExample, Image, probe_python_image, with_worker_wheel
from .engine import DockerEngine

pytestmark = pytest.mark.container

MAX_ADDED_MEGABYTES = 80
"""Bound on the layers the Dockerfile adds to the base: the worker, boto3 and botocore."""


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``condition`` every 0.2 s; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Queue:
    url: str
    name: str
    dead_letter_url: str

    @classmethod
    def create(cls, sqs: Any, visibility_timeout: str) -> Queue:
        """A new queue in moto with a unique name and the template's visibility timeout."""
        name = f"e2e-{uuid.uuid4().hex[:10]}"
        attributes = {"VisibilityTimeout": visibility_timeout}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        dead_letter_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]  # for DeadLetter
        return cls(url, name, dead_letter_url)

    def counts(self, sqs: Any) -> tuple[int, int]:
        """(visible, in flight)."""
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )

    def send(self, sqs: Any, *orders: dict[str, Any]) -> None:
        for order in orders:
            sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(order))


@pytest.fixture
def queue(sqs: Any, basic_example: BasicExample) -> Queue:
    """A new queue with the visibility timeout the construct gives the basic example's queue."""
    return Queue.create(sqs, basic_example.environment[contract.VISIBILITY_TIMEOUT_SECONDS])


def task_environment(
    example: BasicExample,
    queue: Queue,
    grace_seconds: int,
    agent: EcsAgent,
    endpoint: str,
    deployed: Deployed | None = None,
) -> dict[str, str]:
    """The construct's container environment with its references resolved, plus what ECS adds.

    With ``deployed``, the worker's stack and service are that moto stack's, and ECS's task
    metadata endpoint is the agent stand-in's; without it the worker never checks deploys.
    """
    injected = example.environment
    assert {
        contract.QUEUE_URL,
        contract.QUEUE_NAME,
        contract.SHUTDOWN_GRACE_SECONDS,
        contract.TASK_PROTECTION,
    } <= set(injected)
    resolved = {
        contract.QUEUE_URL: queue.url,
        contract.QUEUE_NAME: queue.name,
        contract.DEAD_LETTER_QUEUE_URL: queue.dead_letter_url,
        contract.SHUTDOWN_GRACE_SECONDS: str(grace_seconds),
        # {"Ref": "AWS::StackId"}; without a task metadata endpoint the worker never checks
        contract.DEPLOY_STACK: f"arn:aws:cloudformation:{REGION}:123456789012:stack/e2e/1",
    }
    deploys: dict[str, str] = {}
    if deployed is not None:
        resolved[contract.DEPLOY_STACK] = deployed.stack_id
        resolved[contract.DEPLOY_SERVICE_RESOURCE] = SERVICE_RESOURCE
        deploys = {
            contract.ECS_CONTAINER_METADATA_URI_V4: agent.metadata_uri,
            "AWS_ENDPOINT_URL_ECS": endpoint,
            "AWS_ENDPOINT_URL_CLOUDFORMATION": endpoint,
        }
    environment = {}
    for name, value in injected.items():
        if name in resolved:
            environment[name] = resolved[name]
        else:
            assert isinstance(value, str), f"{name}: unresolved reference {value}"
            environment[name] = value
    return {
        **environment,
        contract.ECS_AGENT_URI: agent.uri,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        **deploys,
    }


@dataclass
class Container:
    engine: DockerEngine
    name: str

    @classmethod
    def start(
        cls, engine: DockerEngine, name: str, image: str, environment: dict[str, str]
    ) -> Container:
        """``docker run`` on the host's network (the task's one namespace, moto on 127.0.0.1)."""
        engine.run(
            "run",
            "--detach",
            "--network",
            "host",
            "--name",
            name,
            *[f"--env={key}={value}" for key, value in environment.items()],
            image,
        )
        return cls(engine, name)

    def logs(self) -> str:
        proc = self.engine.run("logs", self.name)
        return proc.stdout + proc.stderr

    def memory_megabytes(self) -> float:
        """The container's memory use now, as ``docker stats`` reports it (page cache excluded)."""
        stats = self.engine.run("stats", "--no-stream", "--format", "{{.MemUsage}}", self.name)
        usage = stats.stdout.split("/")[0].strip()
        match = re.fullmatch(r"([\d.]+)\s*(KiB|MiB|GiB)", usage)
        assert match is not None, f"unreadable memory use {usage!r}"
        mebibytes = float(match[1]) * {"KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0}[match[2]]
        return mebibytes * 1.048576

    def exit_code(self) -> int | None:
        """The exit code once the container has exited by itself, else ``None``."""
        state = self.engine.run("inspect", "--format", "{{json .State}}", self.name).stdout
        parsed = json.loads(state)
        return None if parsed["Running"] else int(parsed["ExitCode"])

    def stop(self, timeout_seconds: int) -> tuple[int, float]:
        """``docker stop -t``: (the exit code, seconds from SIGTERM to exit)."""
        started = time.monotonic()
        self.engine.run("stop", "--time", str(timeout_seconds), self.name, timeout=120)
        elapsed = time.monotonic() - started
        state = self.engine.run("inspect", "--format", "{{json .State}}", self.name).stdout
        return int(json.loads(state)["ExitCode"]), elapsed


@pytest.fixture
def run_worker(
    engine: DockerEngine,
    worker_image: Image,
    basic_example: BasicExample,
    moto_endpoint: str,
    queue: Queue,
    agent: EcsAgent,
) -> Iterator[Callable[..., Container]]:
    started: list[Container] = []

    def run(
        grace_seconds: int, image: str = worker_image.tag, deployed: Deployed | None = None
    ) -> Container:
        environment = task_environment(
            basic_example, queue, grace_seconds, agent, moto_endpoint, deployed
        )
        started.append(
            Container.start(engine, f"worker-{uuid.uuid4().hex[:8]}", image, environment)
        )
        return started[-1]

    yield run
    for container in started:
        engine.run("rm", "--force", container.name, check=False)


def test_messages_are_processed_and_deleted(
    run_worker: Callable[..., Container], queue: Queue, sqs: Any, agent: EcsAgent
) -> None:
    queue.send(sqs, *({"order_id": i} for i in range(5)))

    worker = run_worker(5)
    wait_for(lambda: worker.logs().count("processed order") == 5, "five orders processed")
    wait_for(lambda: queue.counts(sqs) == (0, 0), "the queue to be empty")
    wait_for(lambda: not agent.protected, "task protection released when idle")
    code, _ = worker.stop(30)

    assert code == 0
    assert [body["ProtectionEnabled"] for _, body in agent.calls][:1] == [True]


def test_docker_stop_during_a_message_lets_it_finish(
    run_worker: Callable[..., Container], queue: Queue, sqs: Any, agent: EcsAgent
) -> None:
    worker = run_worker(30)
    queue.send(sqs, {"order_id": 2, "work_seconds": 6})
    wait_for(lambda: queue.counts(sqs) == (0, 1) and agent.protected, "the order to start")

    code, elapsed = worker.stop(40)

    assert code == 0
    assert "processed order 2" in worker.logs()
    assert queue.counts(sqs) == (0, 0)
    assert elapsed < 40, "the worker exited by itself, not by SIGKILL"


def test_a_short_grace_releases_the_unfinished_message(
    run_worker: Callable[..., Container], queue: Queue, sqs: Any, agent: EcsAgent
) -> None:
    worker = run_worker(2)
    queue.send(sqs, {"order_id": 3, "work_seconds": 600})
    wait_for(lambda: queue.counts(sqs) == (0, 1) and agent.protected, "the order to start")

    code, elapsed = worker.stop(30)

    assert code == 0
    assert elapsed < 30, "the worker exited by itself, not by SIGKILL"
    assert "processed order 3" not in worker.logs()
    assert queue.counts(sqs) == (1, 0), "released with visibility 0: visible again at once"


def test_an_outdated_task_finishes_its_message_and_the_container_exits_0(
    aws_local: str,
    deploy: Callable[..., Deployed],
    run_worker: Callable[..., Container],
    queue: Queue,
    sqs: Any,
    agent: EcsAgent,
) -> None:
    # given a task of revision 1 at work, its service's new deployment on revision 2 running
    service = deploy(running=1)
    agent.task_metadata = service.identity(revision=1)
    queue.send(sqs, {"order_id": 4, "work_seconds": 8})
    worker = run_worker(30, deployed=service)
    wait_for(lambda: queue.counts(sqs) == (0, 1) and agent.protected, "the order to start")

    # when the worker's next check (every 5 s, as the construct sets) sees the deploy
    wait_for(lambda: "draining:" in worker.logs(), "the drain", timeout=30)
    queue.send(sqs, {"order_id": 5})

    # then the running order finishes, the new one is left for the new tasks, and the
    # container exits 0 by itself, so ECS stops the task
    wait_for(lambda: worker.exit_code() is not None, "the container to exit", timeout=60)
    logs = worker.logs()
    assert worker.exit_code() == 0, logs
    assert "processed order 4" in logs and "processed order 5" not in logs
    assert f"task definition {service.family}:1 is outdated" in logs
    assert "drain finished" in logs
    assert queue.counts(sqs) == (1, 0)
    assert not agent.protected


def test_runs_as_a_non_root_user_without_the_cdk_and_stays_small(
    engine: DockerEngine,
    worker_image: Image,
    base_image: Image,
    capsys: pytest.CaptureFixture[str],
) -> None:
    probed = probe_python_image(engine, worker_image.tag)
    user = engine.run("image", "inspect", "--format", "{{.Config.User}}", worker_image.tag).stdout

    assert probed == {
        "uid": 10001,
        "absent": ["aws_cdk", "constructs", "jsii"],
        "worker": True,
    }
    assert user.strip() not in {"", "root", "0"}
    added = (worker_image.size_bytes - base_image.size_bytes) / 1e6
    with capsys.disabled():
        print(
            f"\nworker image {worker_image.size_bytes / 1e6:.0f} MB = base "
            f"{base_image.size_bytes / 1e6:.0f} MB + {added:.0f} MB (worker, boto3)"
        )
    assert added < MAX_ADDED_MEGABYTES


def test_the_new_apps_image_builds_from_its_wheel_and_handles_a_message(
    engine: DockerEngine,
    base_image: Image,
    run_worker: Callable[..., Container],
    queue: Queue,
    sqs: Any,
    tmp_path: Path,
) -> None:
    write_app(tmp_path / "app")
    worker_dir = tmp_path / "app" / "worker"
    wheel = ["wheel", "-q", "--no-deps", "--wheel-dir", str(worker_dir / "wheels")]
    subprocess.run(  # worker/README.md's command for the time before the first release
        [sys.executable, "-m", "pip", *wheel, str(ROOT / "worker")],
        check=True,
        capture_output=True,
    )
    engine.run(
        "build",
        "--network",
        "host",
        f"--build-arg=BASE_IMAGE={base_image.tag}",
        "--tag",
        "new-app:e2e",
        str(worker_dir),
        timeout=900,
    )
    queue.send(sqs, {"order_id": 8})

    worker = run_worker(5, image="new-app:e2e")
    wait_for(lambda: queue.counts(sqs) == (0, 0), "the order to be processed and deleted")
    code, _ = worker.stop(30)

    assert code == 0
    assert "processed order 8" in worker.logs()


def test_the_example_image_builds_offline_from_wheels(
    engine: DockerEngine,
    base_image: Image,
    basic_example: BasicExample,
    tmp_path: Path,
) -> None:
    """With the worker's and boto3's wheels in ``wheels/``, ``PIP_NO_INDEX=1`` needs no network."""
    context = with_worker_wheel(basic_example.asset_dir, tmp_path / "context")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--dest", str(context / "wheels"), "boto3"],
        check=True,
        capture_output=True,
    )
    engine.run(
        "build",
        "--network",
        "none",
        "--tag",
        "offline:e2e",
        f"--build-arg=BASE_IMAGE={base_image.tag}",
        "--build-arg=PIP_NO_INDEX=1",
        str(context),
        timeout=900,
    )
    out = engine.run(
        "run",
        "--rm",
        "--network",
        "none",
        "offline:e2e",
        "python",
        "-c",
        "import boto3, sqs_scale_to_zero.worker as w; print(w.__name__)",
    ).stdout

    assert out.strip() == "sqs_scale_to_zero.worker"
