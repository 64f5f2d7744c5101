"""The Node.js app the HTTP delivery tests deliver to (``http_app.js``), and helpers around it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from benchmarks.local_sqs import free_port
from sqs_scale_to_zero.worker.http_delivery import AppReadiness, DeliverySettings, HttpDelivery

APP_SCRIPT = Path(__file__).with_name("http_app.js")
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


class NodeApp:
    """``node http_app.js PORT`` as a child process.

    Args:
        port: The port to listen on. Default: a free one.
        env: Extra environment (``IGNORE_DIE``, ``SLEEP_MS``, ``RECORD``). Default: none.
    """

    def __init__(self, port: int | None = None, env: dict[str, str] | None = None) -> None:
        assert NODE is not None
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [NODE, str(APP_SCRIPT), str(self.port)],
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # bounded: node prints it or exits
        assert line.startswith("listening"), f"the Node app did not start: {line!r}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list[dict[str, Any]]:
        """The requests the app has seen (its ``GET /_requests``)."""
        with urllib.request.urlopen(f"{self.url}/_requests", timeout=5) as answer:
            return list(json.loads(answer.read()))

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["method"] == "POST"]

    def wait_exit(self, timeout: float = 10) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def node_app(port: int | None = None, **env: str) -> Iterator[NodeApp]:
    app = NodeApp(port, env)
    try:
        yield app
    finally:
        app.stop()


DELIVERY_OPTIONS = ("path", "content_type", "timeout_seconds", "health_path")
"""Options of the ``deliver`` fixture that go to ``DeliverySettings``; the rest go to the worker."""


def delivery_to(port: int, queue_url: str, path: str = "/work", **options: Any) -> HttpDelivery:
    """An ``HttpDelivery`` from ``queue_url`` to 127.0.0.1:``port``, checking the app often."""
    settings = DeliverySettings.from_environment(
        {}, deliver_to=f"http://127.0.0.1:{port}{path}", **options
    )
    assert settings is not None
    readiness = AppReadiness(settings, probe_interval_seconds=0.1)
    return HttpDelivery(
        settings,
        queue_name=queue_url.rsplit("/", 1)[1],
        readiness=readiness,
        unreachable_retry_seconds=2,  # the test workers' long poll (1 s) plus one
    )


def start_runtime(
    queue_url: str, deliver_to: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``python -m sqs_scale_to_zero.worker --deliver-to URL`` as the container runs it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sqs_scale_to_zero.worker",
            "--deliver-to",
            deliver_to,
            "--queue-url",
            queue_url,
            "--poll-wait",
            "1",
            "--log-format",
            "text",
            *args,
        ],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_listening(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port} after {timeout} s")
