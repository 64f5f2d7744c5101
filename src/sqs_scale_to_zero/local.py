"""``sqs-scale-to-zero local``: the worker against a local SQS, in one command.

It starts moto's SQS server (the optional extra ``sqs-scale-to-zero[local]``) on 127.0.0.1,
creates a queue with the construct's settings (visibility timeout, FIFO and content-based
deduplication, a dead-letter queue with its redrive count), prints how to send it a message,
and runs the worker on it in this process until Ctrl-C: calling HANDLER, or POSTing each
message to the app at ``--deliver-to URL`` (any language; you start it) as ``HttpDelivery``
does in the task. The settings come from a synthesized template (``--template``, else the one
in ``cdk.out`` of this folder or its parent) or, with none, from the construct's defaults.

This module never imports aws_cdk.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.worker import contract

HOST = "127.0.0.1"
"""The only address the local SQS listens on."""

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
"""moto accepts any credentials; these keep the worker off the user's real ones."""

DEFAULT_QUEUE_NAME = "local-queue"
DLQ_SUFFIX = "-dlq"
FIFO_SUFFIX = ".fifo"
EXAMPLE_BODY = '{"order_id": 7}'


class LocalError(Exception):
    """A reason ``local`` cannot start, said in one line."""


@dataclass(frozen=True)
class LocalQueue:
    """The settings of the queue ``local`` creates.

    Attributes:
        name: The queue's name (``.fifo`` at the end for a FIFO queue).
        visibility_timeout_seconds: Its visibility timeout.
        fifo: Whether it is a FIFO queue.
        content_based_deduplication: Whether SQS deduplicates FIFO messages by body.
        max_receive_count: Receives before the message moves to the DLQ; None: no DLQ.
        source: Where the settings came from (a template's path, or the defaults).
    """

    name: str
    visibility_timeout_seconds: int
    fifo: bool
    content_based_deduplication: bool
    max_receive_count: int | None
    source: str

    @classmethod
    def defaults(cls) -> LocalQueue:
        """The queue the construct creates with every queue prop at its default."""
        return cls(
            name=DEFAULT_QUEUE_NAME,
            visibility_timeout_seconds=contract.QUEUE_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
            fifo=False,
            content_based_deduplication=False,
            max_receive_count=contract.QUEUE_DEFAULT_MAX_RECEIVE_COUNT,
            source="the construct's defaults",
        )

    @classmethod
    def from_template(cls, path: Path, service: str | None = None) -> LocalQueue:
        """The queue that ``service`` (the only ECS service, if None) consumes in a template."""
        from sqs_scale_to_zero.simulate.errors import SimulationInputError
        from sqs_scale_to_zero.simulate.template.reader import TemplateReader

        try:
            reader = TemplateReader.from_path(path)
            spec = reader.service(service).queue
        except SimulationInputError as error:
            raise LocalError(str(error)) from None
        props = reader.of_type("AWS::SQS::Queue").get(spec.logical_id, {})
        fifo = props.get("FifoQueue") is True or str(props.get("FifoQueue")).lower() == "true"
        name = spec.name.removesuffix(FIFO_SUFFIX)
        return cls(
            name=name + FIFO_SUFFIX if fifo else name,
            visibility_timeout_seconds=int(spec.visibility_timeout),
            fifo=fifo,
            content_based_deduplication=props.get("ContentBasedDeduplication") is True,
            max_receive_count=spec.max_receive_count,
            source=str(path),
        )

    def dlq_name(self) -> str:
        """The dead-letter queue's name: the queue's, with ``-dlq`` before any ``.fifo``."""
        base = self.name.removesuffix(FIFO_SUFFIX) + DLQ_SUFFIX
        return base + FIFO_SUFFIX if self.fifo else base

    def describe(self) -> str:
        """One line: the queue's settings and where they came from."""
        kind = "FIFO" if self.fifo else "standard"
        if self.fifo:
            kind += ", content-based deduplication" if self.content_based_deduplication else ""
        dlq = (
            f"DLQ {self.dlq_name()} after {self.max_receive_count} receives"
            if self.max_receive_count
            else "no DLQ"
        )
        return (
            f"queue {self.name} ({kind}, visibility timeout {self.visibility_timeout_seconds} s, "
            f"{dlq}) from {self.source}"
        )


def find_template(folder: Path) -> Path | None:
    """The one template with an ECS service in ``cdk.out`` of ``folder`` or of its parent.

    Raises:
        LocalError: Several templates there have an ECS service (say which with --template).
    """
    from sqs_scale_to_zero.simulate.template.reader import TemplateReader

    for out in (folder / "cdk.out", folder.parent / "cdk.out"):
        found = [
            path
            for path in sorted(out.glob("*.template.json"))
            if TemplateReader.from_path(path).service_ids()
        ]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise LocalError(f"{out} holds several services ({names}); pick one with --template")
        if found:
            return found[0]
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_sqs(port: int) -> Iterator[str]:
    """Run moto's server on 127.0.0.1:``port`` while the block runs; yield its endpoint URL.

    Raises:
        LocalError: moto's server is not installed.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise LocalError(
            "local needs moto's server: pip install 'sqs-scale-to-zero[local]'"
        ) from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.stop()


def create_queues(sqs: Any, queue: LocalQueue) -> str:
    """Create the dead-letter queue (if any) and the queue with its redrive; return its URL."""
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout_seconds)}
    if queue.fifo:
        attributes["FifoQueue"] = "true"
        attributes["ContentBasedDeduplication"] = str(queue.content_based_deduplication).lower()
    if queue.max_receive_count:
        dlq_attributes = {"FifoQueue": "true"} if queue.fifo else {}
        dlq_url = sqs.create_queue(QueueName=queue.dlq_name(), Attributes=dlq_attributes)
        dlq_arn = sqs.get_queue_attributes(
            QueueUrl=dlq_url["QueueUrl"], AttributeNames=["QueueArn"]
        )
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
                "maxReceiveCount": queue.max_receive_count,
            }
        )
    return str(sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"])


def send_hints(endpoint: str, url: str, queue: LocalQueue) -> list[str]:
    """How to send the queue a message: an aws CLI line and a Python one-liner."""
    fifo_cli: list[str] = []
    fifo_py = ""
    if queue.fifo:
        fifo_cli = ["--message-group-id", "local"]
        fifo_py = ', MessageGroupId="local"'
        if not queue.content_based_deduplication:
            fifo_cli += ["--message-deduplication-id", "1"]
            fifo_py += ', MessageDeduplicationId="1"'
    keys = " ".join(f"{k}={v}" for k, v in CREDENTIALS.items())
    cli = [
        "aws",
        "--endpoint-url",
        endpoint,
        "--region",
        REGION,
        "sqs",
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        EXAMPLE_BODY,
        *fifo_cli,
    ]
    client = (
        f'boto3.client("sqs", endpoint_url="{endpoint}", region_name="{REGION}", '
        'aws_access_key_id="local", aws_secret_access_key="local")'
    )
    python = (
        f'import boto3; {client}.send_message(QueueUrl="{url}", '
        f"MessageBody={json.dumps(EXAMPLE_BODY)}{fifo_py})"
    )
    return [f"{keys} {shlex.join(cli)}", f"python -c {shlex.quote(python)}"]


def worker_environment(endpoint: str, url: str, queue: LocalQueue) -> dict[str, str]:
    """The environment the worker runs with: the queue, its DLQ, region and credentials."""
    environment = {
        contract.QUEUE_URL: url,
        contract.VISIBILITY_TIMEOUT_SECONDS: str(queue.visibility_timeout_seconds),
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "AWS_REGION": REGION,
        **CREDENTIALS,
    }
    if queue.max_receive_count:
        environment[contract.DEAD_LETTER_QUEUE_URL] = f"{url.rsplit('/', 1)[0]}/{queue.dlq_name()}"
    return environment


def run_local(
    handler: str | None,
    *,
    deliver_to: str | None = None,
    template: str | None = None,
    service: str | None = None,
    port: int | None = None,
    worker_args: Sequence[str] = (),
) -> int:
    """Start the local SQS, create the queue, say how to send to it, run the worker on it.

    The worker calls ``handler`` for each message, or, with ``deliver_to``, POSTs it to the app
    listening there (an app in any language, started by you), as ``HttpDelivery`` does in the
    task.

    Returns:
        The worker's exit code: 0 after Ctrl-C, 2 on a bad setting or handler.

    Raises:
        LocalError: moto's server is missing, the template cannot be read, or not exactly one
            of ``handler`` and ``deliver_to`` was given.
    """
    import boto3  # type: ignore[import-untyped]

    if (handler is None) == (deliver_to is None):
        raise LocalError(
            "give a HANDLER (package.module:function) or --deliver-to URL (an app's "
            "http://127.0.0.1:PORT/PATH), not both or neither"
        )
    target = [handler] if handler is not None else ["--deliver-to", str(deliver_to)]

    if template is not None and not Path(template).is_file():
        raise LocalError(f"--template {template}: no such file")
    path = Path(template) if template else find_template(Path.cwd())
    queue = LocalQueue.from_template(path, service) if path else LocalQueue.defaults()
    with local_sqs(port or free_port()) as endpoint:
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, **_keys())
        url = create_queues(sqs, queue)
        print(f"local SQS on {endpoint}: {queue.describe()}")
        print("send it a message with either of:")
        for line in send_hints(endpoint, url, queue):
            print(f"  {line}")
        print("Ctrl-C stops the worker and the local SQS", flush=True)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
        os.environ.update(worker_environment(endpoint, url, queue))
        from sqs_scale_to_zero.worker.__main__ import main as worker_main

        return worker_main([*target, "--log-format", "text", *worker_args])


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
