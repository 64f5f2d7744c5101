"""The contenders of ``worker_throughput.py``: ours and two peers from PyPI, each in its own process.

Each contender runs in child processes (forked), counts through botocore's event hooks the SQS
requests it makes and the messages it deletes into shared counters, and runs until the harness
ends it. The peers scale by processes (their way: one loop each); ours is one process with
``concurrency`` handler threads.

* ``ours``: ``sqs_scale_to_zero.worker.Worker``.
* ``sqs-workers``: Doist's ``sqs_workers`` (a ``RawQueue``: receive 10, run each, delete the batch).
* ``aws-sqs-consumer``: ``aws_sqs_consumer.Consumer`` with ``batch_size=10`` (receive 10, run
  them, delete the batch).
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable
from typing import Any

CONTENDERS = ("ours", "sqs-workers", "aws-sqs-consumer")

Counter = Any  # a multiprocessing.Value("q")


def _count(client: Any, requests: Counter, deleted: Counter) -> None:
    """Count ``client``'s SQS requests and the messages it deletes into the shared counters."""

    def before(**_: Any) -> None:
        with requests.get_lock():
            requests.value += 1

    def after_batch(parsed: dict[str, Any], **_: Any) -> None:
        with deleted.get_lock():
            deleted.value += len(parsed.get("Successful") or [])

    def after_one(**_: Any) -> None:
        with deleted.get_lock():
            deleted.value += 1

    events = client.meta.events
    events.register("before-call.sqs", before)
    events.register("after-call.sqs.DeleteMessageBatch", after_batch)
    events.register("after-call.sqs.DeleteMessage", after_one)


def _handler(seconds: float) -> Callable[[Any], None]:
    def handle(message: Any) -> None:
        if seconds:
            time.sleep(seconds)

    return handle


def _ours(url: str, concurrency: int, seconds: float, requests: Counter, deleted: Counter) -> None:
    import boto3  # type: ignore[import-untyped]

    from sqs_scale_to_zero.worker import Worker
    from sqs_scale_to_zero.worker.client import client_config

    client = boto3.client("sqs", config=client_config(1))
    _count(client, requests, deleted)
    worker = Worker(
        _handler(seconds), url, concurrency, poll_wait_seconds=1, environ={}, sqs_client=client
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    worker.run()


def _sqs_workers(url: str, seconds: float, requests: Counter, deleted: Counter) -> None:
    from sqs_workers import RawQueue, SQSEnv

    env = SQSEnv()
    _count(env.sqs_client, requests, deleted)
    _count(env.sqs_resource.meta.client, requests, deleted)
    queue = env.queue("bench", RawQueue, queue_url=url)
    queue.connect_raw_processor(_handler(seconds))
    queue.process_queue(wait_second=1)


def _aws_sqs_consumer(url: str, seconds: float, requests: Counter, deleted: Counter) -> None:
    import boto3
    from aws_sqs_consumer import Consumer  # type: ignore[import-untyped]

    handle = _handler(seconds)

    class Bench(Consumer):  # type: ignore[misc]
        def handle_message_batch(self, messages: list[Any]) -> None:
            for message in messages:
                handle(message)

    client = boto3.client("sqs")
    _count(client, requests, deleted)
    Bench(url, sqs_client=client, batch_size=10, wait_time_seconds=1).start()


def start(
    contender: str, url: str, concurrency: int, seconds: float
) -> tuple[list[Any], Counter, Counter]:
    """Start ``contender`` on ``url``; return its processes and its request and delete counters."""
    context = multiprocessing.get_context("fork")
    requests, deleted = context.Value("q", 0), context.Value("q", 0)
    targets: list[tuple[Callable[..., None], tuple[Any, ...]]]
    if contender == "ours":
        targets = [(_ours, (url, concurrency, seconds, requests, deleted))]
    elif contender == "sqs-workers":
        targets = [(_sqs_workers, (url, seconds, requests, deleted))] * concurrency
    elif contender == "aws-sqs-consumer":
        targets = [(_aws_sqs_consumer, (url, seconds, requests, deleted))] * concurrency
    else:
        raise ValueError(f"contender must be one of {CONTENDERS} (got {contender!r})")
    processes = [context.Process(target=t, args=a, daemon=True) for t, a in targets]
    for process in processes:
        process.start()
    return processes, requests, deleted


def end(processes: list[Any]) -> None:
    """SIGTERM, then SIGKILL what has not exited within 10 s."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + 10
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
