"""``sqs-scale-to-zero local --deliver-to URL``: the runtime against a local SQS, POSTing each
message to a real Node.js app (the one ``new --language node`` writes), all on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero import cli
from sqs_scale_to_zero.local import free_port
from sqs_scale_to_zero.worker import contract

TIMEOUT_SECONDS = 60

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")


class Output:
    """A process's merged output, read on a thread as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(process.stdout or ()), daemon=True
        )
        self.reader.start()

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, needle: str) -> None:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while needle not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"timed out waiting for {needle!r}:\n{self.text()}"
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.reader.join(5)
        return self.process.returncode


def started(args: list[str], cwd: Path, env: dict[str, str]) -> Output:
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return Output(process)


@pytest.fixture(scope="module")
def node_app_with_local(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Output, Output]]:
    """A new Node.js app's server on a free port, and ``local --deliver-to`` POSTing to it."""
    root = tmp_path_factory.mktemp("new") / "node-app"
    assert cli.main(["new", str(root), "--language", "node"]) == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    port = free_port()
    server = started(["node", "worker/server.js"], root, {**env, "PORT": str(port)})
    local = None
    try:
        server.wait_for(f"listening on 127.0.0.1:{port}")
        local = started(
            [
                sys.executable,
                "-m",
                "sqs_scale_to_zero.cli",
                "local",
                "--deliver-to",
                f"http://127.0.0.1:{port}/",
            ],
            root,
            env,
        )
        local.wait_for("worker starting")
        yield server, local
    finally:
        if local is not None:
            local.stop(signal.SIGINT)
        server.stop()


def local_sqs(local: Output) -> tuple[Any, str]:
    """A client of the local SQS and the queue's URL, from what ``local`` printed."""
    endpoint = re.search(r"local SQS on (http://127\.0\.0\.1:\d+)", local.text())
    url = re.search(r"--queue-url (\S+)", local.text())
    assert endpoint and url, local.text()
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint.group(1),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return sqs, url.group(1)


def test_a_message_reaches_the_node_app_and_is_deleted(
    node_app_with_local: tuple[Output, Output],
) -> None:
    server, local = node_app_with_local
    sqs, url = local_sqs(local)

    sqs.send_message(QueueUrl=url, MessageBody='{"order_id": 7}')

    server.wait_for("processing order { order_id: 7 }")
    local.wait_for("outcome=succeeded")


def test_a_body_the_node_app_cannot_read_goes_to_the_dlq_at_once(
    node_app_with_local: tuple[Output, Output],
) -> None:
    _, local = node_app_with_local
    sqs, url = local_sqs(local)

    sqs.send_message(QueueUrl=url, MessageBody="not json at all")

    local.wait_for("outcome=dead_letter")
    dead = sqs.receive_message(
        QueueUrl=url + "-dlq", MessageAttributeNames=["All"], WaitTimeSeconds=5
    )["Messages"]
    assert [m["Body"] for m in dead] == ["not json at all"]
    reason = dead[0]["MessageAttributes"][contract.DEAD_LETTER_REASON_ATTRIBUTE]
    assert reason["StringValue"] == "body is not JSON"
    assert "receive_count=1 outcome=dead_letter" in local.text(), "no retry before it went"


def test_ctrl_c_stops_local_with_exit_0(node_app_with_local: tuple[Output, Output]) -> None:
    _, local = node_app_with_local

    assert local.stop(signal.SIGINT) == 0, local.text()


@pytest.mark.parametrize(
    "args",
    [["local"], ["local", "app:handle", "--deliver-to", "http://127.0.0.1:8080/"]],
    ids=["neither", "both"],
)
def test_local_wants_a_handler_or_a_url(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "give a HANDLER" in err and "--deliver-to" in err
