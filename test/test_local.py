"""``sqs-scale-to-zero local HANDLER``: a local SQS made with the construct's settings, the
worker running on it, and the printed send lines that really send (all on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero.local import LocalQueue, find_template, send_hints, worker_environment
from sqs_scale_to_zero.worker import contract
from test.conftest import Synthesized

HANDLER = "def handle(message):\n    print('handled', message.body, flush=True)\n"
TIMEOUT_SECONDS = 60


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def write_template(folder: Path, synthesized: Synthesized, name: str) -> Path:
    path = folder / "cdk.out" / f"{name}.template.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(synthesized.template.to_json()))
    return path


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: list[str]

    def output(self) -> str:
        return "".join(self.lines)


@pytest.fixture(scope="module")
def fifo_local(
    seed_like_service: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    """``local`` started in a new app's worker/ folder, next to a synthesized FIFO template."""
    app = tmp_path_factory.mktemp("app")
    write_template(app, seed_like_service, "SeedLike")
    worker = app / "worker"
    worker.mkdir()
    (worker / "app.py").write_text(HANDLER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "sqs_scale_to_zero.cli", "local", "app:handle"],
        cwd=worker,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Running(process, [])
    reader = threading.Thread(
        target=lambda: running.lines.extend(process.stdout or ()), daemon=True
    )
    reader.start()
    try:
        wait_for(lambda: "worker starting" in running.output(), "the worker to start")
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        reader.join(5)


def printed(running: Running) -> tuple[str, str, list[str]]:
    """(endpoint, queue URL, the two send lines) from what ``local`` printed first."""
    output = running.output()
    endpoint = re.search(r"local SQS on (http://127\.0\.0\.1:\d+)", output)
    assert endpoint, output
    sends = [line.strip() for line in output.splitlines() if line.startswith("  ")][:2]
    url = re.search(r"--queue-url (\S+)", sends[0])
    assert url, sends
    return endpoint.group(1), url.group(1), sends


def test_local_makes_the_queue_with_the_templates_settings(fifo_local: Running) -> None:
    endpoint, url, _ = printed(fifo_local)
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert url.endswith("/sample-queue.fifo")
    assert attributes["VisibilityTimeout"] == "43200"
    assert (attributes["FifoQueue"], attributes["ContentBasedDeduplication"]) == ("true", "true")
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 3
    assert redrive["deadLetterTargetArn"].endswith(":sample-queue-dlq.fifo")
    assert "/cdk.out/SeedLike.template.json\n" in fifo_local.output()


def test_the_printed_python_line_sends_a_message_the_worker_handles(fifo_local: Running) -> None:
    _, _, sends = printed(fifo_local)
    words = shlex.split(sends[1])
    assert words[:2] == ["python", "-c"]

    subprocess.run([sys.executable, "-c", words[2]], check=True, timeout=TIMEOUT_SECONDS)

    wait_for(lambda: 'handled {"order_id": 7}' in fifo_local.output(), "the message handled")
    assert "outcome=succeeded" in fifo_local.output()


def test_the_printed_aws_cli_line_names_the_queue_and_the_fifo_group(fifo_local: Running) -> None:
    _, url, sends = printed(fifo_local)
    words = shlex.split(sends[0])

    assert words[:2] == ["AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local"]
    assert words[2:4] == ["aws", "--endpoint-url"] and words[5:7] == ["--region", "us-east-1"]
    assert words[words.index("--queue-url") + 1] == url
    assert "--message-group-id" in words and "--message-deduplication-id" not in words


def test_ctrl_c_stops_the_worker_and_the_local_sqs_with_exit_0(fifo_local: Running) -> None:
    fifo_local.process.send_signal(signal.SIGINT)

    assert fifo_local.process.wait(timeout=30) == 0, fifo_local.output()
    assert "worker stopped" in fifo_local.output()


def test_without_a_template_local_uses_the_constructs_defaults() -> None:
    queue = LocalQueue.defaults()

    assert (queue.visibility_timeout_seconds, queue.fifo, queue.max_receive_count) == (
        300,
        False,
        3,
    )
    assert queue.dlq_name() == "local-queue-dlq"


def test_find_template_takes_the_parents_cdk_out(
    default_service: Synthesized, tmp_path: Path
) -> None:
    path = write_template(tmp_path, default_service, "Default")
    (tmp_path / "worker").mkdir()

    assert find_template(tmp_path / "worker") == path
    assert LocalQueue.from_template(path).visibility_timeout_seconds == 300


def test_a_fifo_queue_without_content_deduplication_gets_a_deduplication_id() -> None:
    queue = LocalQueue("q.fifo", 30, True, False, None, "test")

    aws, python = send_hints("http://127.0.0.1:1", "http://127.0.0.1:1/1/q.fifo", queue)

    assert "--message-deduplication-id" in aws and 'MessageDeduplicationId="1"' in python
    assert queue.describe().endswith("no DLQ) from test")


def test_local_without_moto_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['moto.server'] = None; "
        "from sqs_scale_to_zero.cli import main; sys.exit(main(['local', 'app:handle']))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )

    assert result.returncode == 2
    assert result.stderr == (
        "sqs-scale-to-zero: error: local needs moto's server: "
        "pip install 'sqs-scale-to-zero[local]'\n"
    )


def test_the_local_worker_is_told_its_dead_letter_queue() -> None:
    url = "http://127.0.0.1:1/123456789012/local-queue"
    with_dlq = worker_environment("http://127.0.0.1:1", url, LocalQueue.defaults())
    no_dlq = worker_environment(
        "http://127.0.0.1:1", url, LocalQueue("q", 30, False, False, None, "t")
    )

    assert with_dlq[contract.DEAD_LETTER_QUEUE_URL] == url + "-dlq"
    assert contract.DEAD_LETTER_QUEUE_URL not in no_dlq
