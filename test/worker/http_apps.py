"""The Node.js app the HTTP delivery tests deliver to (``http_app.js``), and helpers around it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.worker import Worker
from sqs_scale_to_zero.worker.http_delivery import AppReadiness, DeliverySettings, HttpDelivery

APP_SCRIPT = Path(__file__).with_name("http_app.js")
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def delivery_to(port: int, queue_url: str, path: str = "/work", **options: Any) -> HttpDelivery:
    """An ``HttpDelivery`` from ``queue_url`` to 127.0.0.1:``port``, checking the app often."""
    settings = DeliverySettings.from_environment(
        {}, deliver_to=f"http://127.0.0.1:{port}{path}", **options
    )
    assert settings is not None
    readiness = AppReadiness(settings, probe_interval_seconds=0.1, idle_check_seconds=0.2)
    return HttpDelivery(
        settings,
        queue_name=queue_url.rsplit("/", 1)[1],
        readiness=readiness,
        unreachable_retry_seconds=2,  # the test workers' long poll (1 s) plus one
    )


class Delivering:
    """A worker with HTTP delivery running on a background thread (as the CLI runs it)."""

    def __init__(self, worker: Worker, delivery: HttpDelivery) -> None:
        self.worker = worker
        self.delivery = delivery
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.delivery.watching(self.worker):
                self.worker.run()
        except BaseException as error:  # re-raised by stop()
            self.error = error

    def stop(self, timeout: float = 15) -> None:
        self.worker.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "run() did not return after stop()"
        if self.error is not None:
            raise self.error


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
