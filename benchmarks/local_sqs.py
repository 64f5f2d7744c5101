"""A local SQS for the benchmarks: moto's server, a proxy that adds latency, and small helpers.

The throughput benchmarks (``worker_throughput``, ``http_delivery``) and the tests that start
an app on a free port share these; they need the standard library only.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


def fill(sqs: Any, url: str, count: int) -> None:
    """Send ``count`` messages ``m0``, ``m1`` ... in batches of 10."""
    for start in range(0, count, 10):
        entries = [
            {"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(min(10, count - start))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


class LatencyProxy:
    """Forward 127.0.0.1:<port> to ``upstream_port``, delaying each chunk by ``delay`` seconds."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self._upstream_port = upstream_port
        self._delay = delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self._upstream_port))
            except OSError:  # moto not up yet
                client.close()
                continue
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                time.sleep(self._delay)
                target.sendall(data)
            except OSError:
                break
        for sock in (source, target):
            sock.close()

    def close(self) -> None:
        self._listener.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(sqs: Any) -> None:
    """Return once the SQS endpoint of ``sqs`` answers (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            sqs.list_queues()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
