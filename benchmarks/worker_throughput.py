"""Worker throughput and import time, against moto's SQS-protocol server on 127.0.0.1.

Run: ``.venv/bin/python benchmarks/worker_throughput.py [--messages 300] [--concurrency 10]
[--handler-ms 0] [--latency-ms 0]``

Measures, in the same run and against the same server:

* messages/s of ``Worker`` with a no-op handler (batched receives up to 10, ``concurrency``
  handler threads, batched deletes);
* messages/s of a naive loop: receive one message, delete it, repeat;
* the ratio of the two;
* the wall time of ``from sqs_scale_to_zero.worker import Message, Worker`` in a fresh
  interpreter (median of 5),
  and that ``aws_cdk``, ``constructs`` and ``jsii`` are not in ``sys.modules`` afterwards;
* the memory ``Worker(...)`` adds (tracemalloc peak) in a process that already made a boto3
  client, as an app does: a worker that makes its own boto3 session loads the SQS model again.

moto runs in its own process (``python -m moto.server``). It spends milliseconds of CPU on each
message it hands out, whatever the batch size, which caps both loops; against SQS, where a
call costs network round trips rather than server CPU, batching and concurrency gain more.
``--latency-ms`` puts a TCP proxy on 127.0.0.1 in front of moto that delays every chunk by that
much in each direction, closer to a network round trip to SQS than moto's CPU-bound answers.
moto 5.2.5's receive also scans the whole queue, so its cost grows with the queue's depth: keep
``--messages`` small (the default 300 per queue) and compare runs of the same depth only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

IMPORT_PROBE = """
import json, sys, time
began = time.perf_counter()
from sqs_scale_to_zero.worker import Message, Worker  # what a container's app does (boto3 too)
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds,
                  "heavy": [m for m in ("aws_cdk", "constructs", "jsii") if m in sys.modules]}))
"""


MEMORY_PROBE = """
import json, tracemalloc, boto3
boto3.client("sqs", region_name="us-east-1")  # the app already uses boto3's default session
from sqs_scale_to_zero.worker import Worker
tracemalloc.start()
Worker(print, "https://sqs.us-east-1.amazonaws.com/123456789012/q", environ={})
print(json.dumps({"bytes": tracemalloc.get_traced_memory()[1]}))
"""


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


def naive(sqs: Any, url: str, count: int, handler_seconds: float = 0.0) -> float:
    """Receive one message, delete it, repeat; return messages/s."""
    done = 0
    began = time.perf_counter()
    while done < count:
        response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            time.sleep(handler_seconds)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            done += 1
    return count / (time.perf_counter() - began)


def ours(url: str, count: int, concurrency: int, handler_seconds: float = 0.0) -> float:
    """Run ``Worker`` with a no-op handler until ``count`` messages are deleted; return msg/s."""
    from sqs_scale_to_zero.worker import Worker

    def handle(message: Any) -> None:
        if handler_seconds:
            time.sleep(handler_seconds)

    worker = Worker(handle, url, concurrency, poll_wait_seconds=1, environ={})
    thread = threading.Thread(target=worker.run, daemon=True)
    began = time.perf_counter()
    thread.start()
    while worker.stats.deleted < count:
        time.sleep(0.002)
    elapsed = time.perf_counter() - began
    worker.stop()
    thread.join()
    return count / elapsed


def import_time(repeats: int = 5) -> tuple[float, list[str]]:
    """Median seconds of ``from sqs_scale_to_zero.worker import Message, Worker`` (the package
    re-exports lazily, so this includes boto3) in a new interpreter, and the
    heavy modules found in ``sys.modules`` afterwards."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(json.loads(out))
    return statistics.median(r["seconds"] for r in runs), sorted(
        {m for r in runs for m in r["heavy"]}
    )


def worker_memory() -> float:
    """MB that ``Worker(...)`` allocates at its peak, in a process already using boto3."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE], check=True, capture_output=True, text=True
    ).stdout
    return float(json.loads(out)["bytes"]) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--handler-ms",
        type=float,
        default=0.0,
        help="time each handler sleeps, in ms (default 0: the no-op handler)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay added each way by a proxy in front of moto, in ms (default 0: no proxy)",
    )
    args = parser.parse_args()

    import logging

    logging.disable(logging.WARNING)  # per-message INFO lines would dominate the timing
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    import boto3  # type: ignore[import-untyped]

    # moto in its own process, so the server and the client under test don't share a GIL.
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = LatencyProxy(port, args.latency_ms / 1000) if args.latency_ms else None
    os.environ["AWS_ENDPOINT_URL_SQS"] = f"http://127.0.0.1:{proxy.port if proxy else port}"
    try:
        sqs = boto3.client("sqs")
        wait_until_up(sqs)
        naive_url = sqs.create_queue(QueueName=f"naive-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        ours_url = sqs.create_queue(QueueName=f"worker-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        fill(sqs, naive_url, args.messages)
        fill(sqs, ours_url, args.messages)
        pause = args.handler_ms / 1000
        naive_rate = naive(sqs, naive_url, args.messages, pause)
        ours_rate = ours(ours_url, args.messages, args.concurrency, pause)
    finally:
        if proxy is not None:
            proxy.close()
        server.terminate()
        server.wait()

    seconds, heavy = import_time()
    memory = worker_memory()
    handler = f"{args.handler_ms:g} ms handler" if args.handler_ms else "no-op handler"
    path = f"behind a proxy adding {args.latency_ms:g} ms each way" if proxy else "direct"
    print(f"messages: {args.messages}, {handler}, moto server on 127.0.0.1, {path}")
    print(f"naive receive-one/delete-one loop: {naive_rate:8.1f} msg/s")
    print(f"Worker (concurrency={args.concurrency}):          {ours_rate:8.1f} msg/s")
    print(f"ratio Worker / naive:              {ours_rate / naive_rate:8.2f}x")
    print(
        f"from ...worker import Worker:     {seconds * 1000:8.1f} ms (median of 5, boto3 included)"
    )
    print(f"Worker() in an app using boto3:   {memory:8.1f} MB allocated (tracemalloc peak)")
    print(f"aws_cdk/constructs/jsii imported:  {heavy or 'none'}")
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
