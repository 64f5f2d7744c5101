"""A queue that does not exist, access denied, or no region: the worker stops before any receive
with one line on stderr and exit code 2, instead of retrying forever or a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

STARTUP_TIMEOUT_SECONDS = 60
HANDLER = "def handle(message):\n    pass\n"


def run_worker(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m sqs_scale_to_zero.worker app:handle`` with only ``env`` (plus PATH)."""
    (tmp_path / "app.py").write_text(HANDLER)
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_CONFIG_FILE": "/dev/null"}
    return subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.worker", "app:handle"],
        cwd=tmp_path,
        env={**clean, "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", **env},
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_SECONDS,
        check=False,
    )


def local_env(endpoint: str, url: str) -> dict[str, str]:
    return {
        "QUEUE_URL": url,
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("configured", [None, "300"], ids=["read", "configured"])
def test_a_queue_that_does_not_exist_stops_the_worker_at_once(
    moto_endpoint: str, tmp_path: Path, configured: str | None
) -> None:
    url = f"{moto_endpoint}/123456789012/no-such-queue"
    env = local_env(moto_endpoint, url)
    if configured:  # as in ECS, where the construct sets it: still checked against SQS
        env["SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS"] = configured

    result = run_worker(tmp_path, env)

    assert_one_line_exit_2(result, f"queue {url} does not exist")


def test_no_region_stops_the_worker_with_one_line(moto_endpoint: str, tmp_path: Path) -> None:
    env = local_env(moto_endpoint, f"{moto_endpoint}/123456789012/q")
    del env["AWS_REGION"]

    result = run_worker(tmp_path, env)

    assert_one_line_exit_2(result, "no AWS region: set AWS_REGION")


@pytest.fixture(scope="module")
def moto_with_iam() -> Iterator[str]:
    """A moto server of its own that checks IAM after its first three (unchecked) requests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto's server did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_access_denied_stops_the_worker_with_one_line(moto_with_iam: str, tmp_path: Path) -> None:
    admin: dict[str, Any] = {
        "endpoint_url": moto_with_iam,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    iam = boto3.client("iam", **admin)
    iam.create_user(UserName="no-permissions")
    key = iam.create_access_key(UserName="no-permissions")["AccessKey"]
    url = boto3.client("sqs", **admin).create_queue(QueueName="q")["QueueUrl"]
    env = local_env(moto_with_iam, url)
    env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])

    result = run_worker(tmp_path, env)

    assert_one_line_exit_2(result, f"access denied to queue {url}")
