"""Fixtures for the worker tests: a real SQS-protocol server (moto, server mode) on 127.0.0.1.

The only hand-written double is ``EcsAgent``, a stand-in for the ECS agent's endpoints inside a
task: task protection and task metadata. Everything else talks the real AWS protocols over HTTP
through boto3 (moto's SQS, ECS and CloudFormation).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]

from sqs_scale_to_zero.worker import ExponentialBackoff, Worker
from sqs_scale_to_zero.worker.client import make_sqs_client
from sqs_scale_to_zero.worker.delivery import Delivery

from .faults import FaultyProxy
from .http_apps import DELIVERY_OPTIONS, delivery_to

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "packaging: builds the wheels and installs them into fresh venvs (slow, needs pip's cache)",
    )


@pytest.fixture(scope="session")
def moto_endpoint(moto_endpoint: str) -> Iterator[str]:
    """The suite's one moto server (``test/conftest.py``), with the worker's AWS environment.

    The worker builds its own clients from the environment, as in a container, so the
    credentials, region and SQS endpoint are set for the session while worker tests run.
    """
    saved = {name: os.environ.get(name) for name in [*AWS_ENV, "AWS_ENDPOINT_URL_SQS"]}
    os.environ.update(AWS_ENV)
    os.environ["AWS_ENDPOINT_URL_SQS"] = moto_endpoint
    yield moto_endpoint
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def sqs(moto_endpoint: str) -> Any:
    """A plain boto3 SQS client for arranging and asserting (the worker makes its own)."""
    return boto3.client("sqs", endpoint_url=moto_endpoint)


@pytest.fixture
def make_queue(sqs: Any) -> Callable[..., str]:
    """Create a uniquely named queue; return its URL."""

    def make(
        *,
        visibility_timeout: int = 4,
        fifo: bool = False,
        dlq_after: int | None = None,
        name: str = "q",
    ) -> str:
        suffix = ".fifo" if fifo else ""
        unique = f"{name}-{uuid.uuid4().hex[:10]}"
        attributes = {"VisibilityTimeout": str(visibility_timeout)}
        if fifo:
            attributes.update(FifoQueue="true", ContentBasedDeduplication="true")
        if dlq_after is not None:
            dlq = sqs.create_queue(
                QueueName=f"{unique}-dlq{suffix}",
                Attributes=dict({"FifoQueue": "true"} if fifo else {}),
            )["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": arn["Attributes"]["QueueArn"],
                    "maxReceiveCount": dlq_after,
                }
            )
        return str(sqs.create_queue(QueueName=unique + suffix, Attributes=attributes)["QueueUrl"])

    return make


def queue_counts(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
        ],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def send(sqs: Any, url: str, bodies: list[str], **kwargs: Any) -> None:
    """Send ``bodies`` in batches of 10."""
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": body, **kwargs}
            for i, body in enumerate(bodies[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def receive_log(client: Any) -> list[list[dict[str, Any]]]:
    """Record what each ``ReceiveMessage`` of ``client`` returned (a botocore event hook)."""
    returned: list[list[dict[str, Any]]] = []

    def after(parsed: dict[str, Any], **_: Any) -> None:
        returned.append(list(parsed.get("Messages") or []))

    client.meta.events.register("after-call.sqs.ReceiveMessage", after)
    return returned


def worker_client(poll_wait_seconds: float = 1) -> Any:
    """An SQS client made as the worker makes its own (timeouts, retries), to pass it in."""
    return make_sqs_client(poll_wait_seconds)


def fast_worker(handler: Callable[..., Any] | Delivery, url: str, **kwargs: Any) -> Worker:
    """A ``Worker`` with test-sized timings: 1-second polls, short backoffs, no env defaults."""
    options: dict[str, Any] = {
        "poll_wait_seconds": 1,
        "shutdown_grace_seconds": 3,
        "error_backoff": ExponentialBackoff(0.1, 0.5),
        "environ": {},
    }
    options.update(kwargs)
    return Worker(handler, url, **options)


def wait_for(condition: Callable[[], bool], timeout: float = 20, what: str = "condition") -> None:
    """Poll ``condition`` every 50 ms until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class Running:
    """A worker running on a background thread (``run`` instead of ``worker.run``, if given)."""

    def __init__(self, worker: Worker, run: Callable[[], None] | None = None) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self._target = run or worker.run
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._target()
        except BaseException as error:  # re-raised by stop()
            self.error = error

    def stop(self, timeout: float = 15) -> None:
        self.worker.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "run() did not return after stop()"
        if self.error is not None:
            raise self.error


@pytest.fixture
def start() -> Iterator[Callable[[Worker], Running]]:
    """Run workers on background threads; stop them all at the end of the test."""
    running: list[Running] = []

    def start_worker(worker: Worker) -> Running:
        running.append(Running(worker))
        return running[-1]

    yield start_worker
    for item in running:
        if item.thread.is_alive():
            item.stop()


@pytest.fixture
def deliver(moto_endpoint: str) -> Iterator[Callable[..., Running]]:
    """Run workers that POST to an app on 127.0.0.1 (HTTP delivery); stop them all at the end.

    ``deliver(url, port, idle_check=0.2, **options)``: the options named in ``DELIVERY_OPTIONS``
    shape the delivery, the rest the worker (``fast_worker``'s test-sized timings).
    """
    running: list[Running] = []

    def start(url: str, port: int, *, idle_check: float = 0.2, **options: Any) -> Running:
        settings = {key: options.pop(key) for key in DELIVERY_OPTIONS if key in options}
        delivery = delivery_to(port, url, **settings)
        delivery.readiness.idle_check_seconds = idle_check
        worker = fast_worker(delivery, url, **options)

        def run() -> None:
            with delivery.watching(worker):
                worker.run()

        running.append(Running(worker, run))
        return running[-1]

    yield start
    for item in running:
        if item.thread.is_alive():
            item.stop()


AGENT_FAULTS = ("http500", "http400", "malformed", "slow")
"""How the stand-in agent can fail (besides ``refuse``): a 500 with an ``error`` object, a 400
with one, a 200 whose body is not JSON, or an answer only after ``slow_seconds``."""


class EcsAgent:
    """Stand-in for the ECS agent's ``PUT /task-protection/v1/state`` and ``GET /v4/.../task``.

    Task protection: records each request body with its time, and answers like the agent: a
    ``protection`` object; a ``failure`` (ECS's refusal) when ``refuse`` is set; or, when
    ``fault`` is one of ``AGENT_FAULTS``, that fault. With ``flap`` every third call gets a
    good answer.

    Task metadata (at ``metadata_uri``, the value of ``$ECS_CONTAINER_METADATA_URI_V4``):
    ``/task`` answers ``task_metadata`` as JSON (the fields the worker reads, as on Fargate),
    or ``metadata_fault`` ("http500" or "malformed"); ``metadata_calls`` counts the requests.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[float, dict[str, Any]]] = []
        self.refuse = False
        self.fault: str | None = None
        self.flap = False
        self.slow_seconds = 1.0
        self.protected = False
        self.task_metadata: dict[str, Any] = {}
        self.metadata_fault: str | None = None
        self.metadata_calls = 0
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                agent.calls.append((time.monotonic(), body))
                fault = agent.fault
                if agent.flap and len(agent.calls) % 3 == 0:
                    fault = None
                status = 200
                if fault == "slow":
                    time.sleep(agent.slow_seconds)
                if not self.path.endswith("/task-protection/v1/state"):
                    answer: Any = {"error": {"Code": "NotFound"}}
                elif fault == "http500":
                    status, answer = 500, {"error": {"Code": "ServerException", "Message": "x"}}
                elif fault == "http400":
                    status, answer = 400, {"error": {"Code": "InvalidParameterException"}}
                elif fault == "malformed":
                    answer = None
                elif agent.refuse:
                    answer = {"failure": {"Reason": "TASK_NOT_VALID", "Arn": "arn:task"}}
                else:
                    agent.protected = bool(body["ProtectionEnabled"])
                    answer = {"protection": {"ProtectionEnabled": agent.protected}}
                data = b"{not json" if answer is None else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the worker gave up waiting ("slow")
                    pass

            def do_GET(self) -> None:
                agent.metadata_calls += 1
                status, data = 200, json.dumps(agent.task_metadata).encode()
                if not self.path.endswith("/v4/container-id/task"):
                    status, data = 404, b"404 page not found"
                elif agent.metadata_fault == "http500":
                    status, data = 500, b"internal server error"
                elif agent.metadata_fault == "malformed":
                    data = b"{not json"
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}/api/task-id"
        self.metadata_uri = f"http://127.0.0.1:{self.server.server_address[1]}/v4/container-id"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ecs_agent() -> Iterator[EcsAgent]:
    agent = EcsAgent()
    yield agent
    agent.close()


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[FaultyProxy]:
    """A black-holable TCP proxy in front of moto's server."""
    with FaultyProxy(moto_endpoint) as faulty:
        yield faulty


def tight_client(endpoint: str, read_timeout: float = 1.0) -> Any:
    """An SQS client with one attempt per call and short timeouts, for outage tests."""
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        config=Config(
            connect_timeout=1,
            read_timeout=read_timeout,
            retries={"mode": "standard", "max_attempts": 1},
        ),
    )


def start_cli(
    tmp_path: Path, handler_source: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Run ``python -m sqs_scale_to_zero.worker app:handle *args`` in ``tmp_path``.

    ``handler_source`` becomes ``tmp_path/app.py``; stdout and stderr are merged.
    """
    (tmp_path / "app.py").write_text(textwrap.dedent(handler_source))
    return subprocess.Popen(
        [sys.executable, "-m", "sqs_scale_to_zero.worker", "app:handle", *args],
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float) -> str:
    """Wait at most ``timeout`` seconds for ``process`` to exit; return its output."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"still running after {timeout} s:\n{output}") from None
    return output


from .deploys import aws_clients, deploy  # noqa: E402, F401  (fixtures of the deploy tests)
