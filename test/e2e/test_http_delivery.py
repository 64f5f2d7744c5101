"""The HTTP delivery example run for real: the runtime's image and the Node.js app's image, both
built from the example's synthesized assets by the private ``dockerd``, run together as ECS
runs the task.

ECS runs a task's containers in one network namespace (awsvpc) and stops them in the reverse
order of their dependencies (the runtime depends on the app: runtime first). Here both
containers run on ``--network host`` (one namespace, with moto's SQS server on 127.0.0.1), the
app first, and ``docker stop`` reaches the runtime first, then the app. The app's port is a free
one of this machine, swapped into ``PORT`` and ``SCALE_TO_ZERO_DELIVER_TO`` alike.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from sqs_scale_to_zero.local import free_port
from sqs_scale_to_zero.worker import contract
from test.worker.conftest import EcsAgent

from .base_image import NODE_PACKAGES, base_rootfs_tar, cache_key
from .conftest import (
    CACHE_DIR,
    REGION,
    Image,
    SynthesizedExample,
    build_image,
    image_size,
    probe_python_image,
    synthesize_example,
)
from .engine import DockerEngine
from .test_worker_image import Container, Queue, wait_for

pytestmark = pytest.mark.container

RUNTIME_TAG = "sqs-scale-to-zero-e2e/runtime:latest"
APP_TAG = "sqs-scale-to-zero-e2e/http-app:latest"
MAX_RUNTIME_ADDED_MEGABYTES = 80
"""Bound on the layers the runtime's Dockerfile adds to its base: the worker, boto3, botocore."""
MAX_RUNTIME_REST_MEGABYTES = 60
"""The goal for the runtime container's memory at rest (after its first messages): a sidecar
small beside the app it serves."""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedExample:
    return synthesize_example("http_worker", tmp_path_factory.mktemp("http-worker-cdk.out"))


@pytest.fixture(scope="module")
def node_base_image(engine: DockerEngine) -> Image:
    tar = base_rootfs_tar(CACHE_DIR, NODE_PACKAGES)
    tag = f"sqs-scale-to-zero-e2e/node-base:{cache_key(NODE_PACKAGES)}"
    engine.run("import", str(tar), tag)
    return Image(tag, image_size(engine, tag))


@pytest.fixture(scope="module")
def runtime_image(engine: DockerEngine, base_image: Image, example: SynthesizedExample) -> Image:
    return build_image(engine, RUNTIME_TAG, example.assets["Runtime"], base_image)


@pytest.fixture(scope="module")
def app_image(engine: DockerEngine, node_base_image: Image, example: SynthesizedExample) -> Image:
    return build_image(engine, APP_TAG, example.assets["Worker"], node_base_image)


@pytest.fixture
def queue(sqs: Any, example: SynthesizedExample) -> Queue:
    return Queue.create(sqs, example.environment("Runtime")[contract.VISIBILITY_TIMEOUT_SECONDS])


@dataclass(frozen=True)
class Task:
    """The two containers of one task, started in ECS's order: the app, then the runtime."""

    app: Container
    runtime: Container


@pytest.fixture
def start_task(
    engine: DockerEngine,
    example: SynthesizedExample,
    runtime_image: Image,
    app_image: Image,
    moto_endpoint: str,
    queue: Queue,
    agent: EcsAgent,
) -> Iterator[Any]:
    started: list[Container] = []

    def run(name: str, image: str, environment: dict[str, str]) -> Container:
        started.append(Container.start(engine, name, image, environment))
        return started[-1]

    def start() -> Task:
        port = str(free_port())
        app_environment = dict(example.environment("Worker"))
        template_port = app_environment["PORT"]
        app_environment["PORT"] = port
        resolved = {
            contract.QUEUE_URL: queue.url,
            contract.QUEUE_NAME: queue.name,
            contract.DEAD_LETTER_QUEUE_URL: queue.dead_letter_url,
            # {"Ref": "AWS::StackId"}; without a task metadata endpoint no deploy is checked
            contract.DEPLOY_STACK: f"arn:aws:cloudformation:{REGION}:123456789012:stack/e2e/1",
        }
        runtime_environment = {}
        for name, value in example.environment("Runtime").items():
            value = resolved.get(name, value)
            assert isinstance(value, str), f"{name}: unresolved reference {value}"
            runtime_environment[name] = value
        url = runtime_environment[contract.DELIVER_TO]
        assert re.fullmatch(rf"http://127\.0\.0\.1:{template_port}/work", url), url
        runtime_environment[contract.DELIVER_TO] = url.replace(f":{template_port}/", f":{port}/")
        suffix = uuid.uuid4().hex[:8]
        app = run(f"app-{suffix}", app_image.tag, app_environment)
        runtime = run(
            f"runtime-{suffix}",
            runtime_image.tag,
            {
                **runtime_environment,
                contract.ECS_AGENT_URI: agent.uri,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL_SQS": moto_endpoint,
                "AWS_EC2_METADATA_DISABLED": "true",
            },
        )
        return Task(app=app, runtime=runtime)

    yield start
    for container in started:
        engine.run("rm", "--force", container.name, check=False)


def processed(app: Container) -> list[int]:
    """The order IDs the app logged as processed, in order, repeats kept."""
    orders = []
    for line in app.logs().splitlines():
        if line.startswith("{") and '"processed"' in line:
            orders.append(int(json.loads(line)["processed"]))
    return orders


def test_the_runtime_starts_after_the_app_and_so_is_stopped_first(
    example: SynthesizedExample,
) -> None:
    assert example.containers["Runtime"]["DependsOn"] == [
        {"ContainerName": "Worker", "Condition": "START"}
    ]


def test_stopped_in_ecs_order_mid_request_nothing_is_lost_or_duplicated(
    start_task: Any, queue: Queue, sqs: Any, agent: EcsAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a task at work: five quick orders done, a slow one open
    task: Task = start_task()
    queue.send(sqs, *({"order_id": i} for i in range(5)))
    wait_for(lambda: sorted(processed(task.app)) == list(range(5)), "five orders processed")
    wait_for(lambda: queue.counts(sqs) == (0, 0), "the five to be deleted")
    at_rest = task.runtime.memory_megabytes()
    with capsys.disabled():
        print(f"\nruntime container at rest: {at_rest:.1f} MB")
    assert at_rest < MAX_RUNTIME_REST_MEGABYTES
    queue.send(sqs, {"order_id": 5, "work_seconds": 6})
    wait_for(lambda: queue.counts(sqs) == (0, 1) and agent.protected, "the slow order to start")

    # when ECS stops the task: SIGTERM to the runtime first, the app once the runtime is gone
    runtime_code, runtime_seconds = task.runtime.stop(40)
    queue.send(sqs, {"order_id": 6})  # arrives after the runtime stopped receiving
    app_code, _ = task.app.stop(40)

    # then the open request was answered and deleted, the late order is left for the next task,
    # nothing ran twice, and both containers exited 0 by themselves
    logs = f"runtime:\n{task.runtime.logs()}\napp:\n{task.app.logs()}"
    assert (runtime_code, app_code) == (0, 0), logs
    assert runtime_seconds < 40, "the runtime exited by itself, not by SIGKILL"
    assert sorted(processed(task.app)) == list(range(6)), logs  # each order exactly once
    # The late order stays in the queue: visible, or in flight when the runtime's last long poll
    # (open at its exit, up to 20 s) took it; then it is visible again after the visibility
    # timeout, receive count 2. Either way no one has processed or deleted it.
    assert sum(queue.counts(sqs)) == 1, f"only the late order is left\n{logs}"
    assert not agent.protected


def test_a_body_the_app_cannot_read_goes_to_the_dead_letter_queue_at_once(
    start_task: Any, queue: Queue, sqs: Any
) -> None:
    # The queue has no redrive policy: only the runtime's DeadLetter moves a message there.
    task: Task = start_task()
    sqs.send_message(QueueUrl=queue.url, MessageBody="not json at all")

    found: list[Any] = []

    def dead_lettered() -> bool:
        answer = sqs.receive_message(
            QueueUrl=queue.dead_letter_url, MessageAttributeNames=["All"], WaitTimeSeconds=1
        )
        found.extend(answer.get("Messages", []))
        return bool(found)

    wait_for(dead_lettered, "the message in the dead-letter queue")
    logs = f"runtime:\n{task.runtime.logs()}\napp:\n{task.app.logs()}"
    assert [m["Body"] for m in found] == ["not json at all"], logs
    reason = found[0]["MessageAttributes"][contract.DEAD_LETTER_REASON_ATTRIBUTE]["StringValue"]
    assert reason == "not JSON", logs
    wait_for(lambda: queue.counts(sqs) == (0, 0), "the message deleted from the queue")


def test_runtime_image_runs_as_a_non_root_user_without_the_cdk_and_stays_small(
    engine: DockerEngine,
    runtime_image: Image,
    base_image: Image,
    app_image: Image,
    node_base_image: Image,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert probe_python_image(engine, runtime_image.tag) == {
        "uid": 10001,
        "absent": ["aws_cdk", "constructs", "jsii"],
        "worker": True,
    }
    added = (runtime_image.size_bytes - base_image.size_bytes) / 1e6
    app_added = (app_image.size_bytes - node_base_image.size_bytes) / 1e6
    with capsys.disabled():
        print(
            f"\nruntime image {runtime_image.size_bytes / 1e6:.0f} MB = base "
            f"{base_image.size_bytes / 1e6:.0f} MB + {added:.0f} MB (worker, boto3); "
            f"app image {app_image.size_bytes / 1e6:.0f} MB = node base "
            f"{node_base_image.size_bytes / 1e6:.0f} MB + {app_added:.1f} MB"
        )
    assert added < MAX_RUNTIME_ADDED_MEGABYTES
