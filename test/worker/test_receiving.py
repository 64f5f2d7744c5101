"""The receive loop on its own: it asks for what the handlers can start, and stops on time."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3  # type: ignore[import-untyped]

from benchmarks.local_sqs import LatencyProxy
from sqs_scale_to_zero.worker import (
    ConstantBackoff,
    NeverShutdown,
    NoTaskProtection,
    WorkerConfig,
    WorkerStats,
)
from sqs_scale_to_zero.worker.client import client_config
from sqs_scale_to_zero.worker.handlers import FunctionDelivery
from sqs_scale_to_zero.worker.parts import WorkerParts
from sqs_scale_to_zero.worker.receiving import MAX_RECEIVES_IN_FLIGHT

from .conftest import fast_worker, queue_counts, receive_log, send, wait_for, worker_client


def _parts(url: str, client: Any, concurrency: int) -> WorkerParts:
    config = WorkerConfig.from_environment(
        {}, queue_url=url, concurrency=concurrency, poll_wait_seconds=1, batch_fill_seconds=0
    )
    return WorkerParts.assemble(
        FunctionDelivery(print),
        config,
        sqs=client,
        stats=WorkerStats(),
        retry_backoff=ConstantBackoff(1),
        error_backoff=ConstantBackoff(0.1),
        task_protection=NoTaskProtection(),
        shutdown_policy=NeverShutdown(),
    )


def _run(parts: WorkerParts) -> threading.Thread:
    thread = threading.Thread(target=parts.receiver.run, args=(30,), daemon=True)
    thread.start()
    return thread


def test_it_holds_no_more_than_the_handlers_can_start(sqs: Any, make_queue: Any) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, [f"m{i}" for i in range(6)])
    client = worker_client()
    receives = receive_log(client)
    parts = _parts(url, client, concurrency=2)  # its pool is not started: nothing finishes
    thread = _run(parts)
    wait_for(lambda: parts.holdings.active == 2, what="two held")
    time.sleep(0.5)
    assert parts.holdings.active == 2 and queue_counts(sqs, url) == (4, 2)
    parts.lifecycle.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert [len(batch) for batch in receives if batch] == [2]


def test_it_receives_nothing_while_paused_and_again_after_a_resume(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue()
    client = worker_client()
    receives = receive_log(client)
    parts = _parts(url, client, concurrency=1)
    parts.lifecycle.pause()
    thread = _run(parts)
    time.sleep(1.5)
    assert receives == []
    parts.lifecycle.resume()
    wait_for(lambda: len(receives) >= 1, what="a receive after the resume")
    parts.lifecycle.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_a_drain_ends_the_loop_and_what_a_receive_in_flight_returns_goes_back(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(visibility_timeout=30)
    client = worker_client()
    started = threading.Event()
    client.meta.events.register("before-call.sqs.ReceiveMessage", lambda **_: started.set())
    parts = _parts(url, client, concurrency=1)
    thread = _run(parts)
    wait_for(started.is_set, what="a receive in flight")
    parts.lifecycle.drain("testing")
    send(sqs, url, ["arrives during the long poll"])
    thread.join(5)
    assert not thread.is_alive()
    assert queue_counts(sqs, url) == (1, 0) and parts.holdings.active == 0


def test_while_messages_flow_from_afar_several_receives_are_in_flight_on_one_client(
    sqs: Any, make_queue: Any, start: Any, moto_endpoint: str
) -> None:
    # 100 ms each way: most of a receive's round trip is the way there and back, which receives
    # side by side share, so a second receive in flight brings messages sooner and is kept, and
    # a third is tried (see ReceiveParallelism; one tried and dropped would stop at 2).
    url = make_queue(visibility_timeout=30)
    send(sqs, url, [f"m{i}" for i in range(200)])
    far = LatencyProxy(int(moto_endpoint.rpartition(":")[2]), 0.1)
    client = boto3.client(
        "sqs", endpoint_url=f"http://127.0.0.1:{far.port}", config=client_config(1)
    )
    in_flight, most = 0, 0
    lock = threading.Lock()

    def before(**_: Any) -> None:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)

    def after(**_: Any) -> None:
        nonlocal in_flight
        with lock:
            in_flight -= 1

    client.meta.events.register("before-call.sqs.ReceiveMessage", before)
    client.meta.events.register("after-call.sqs.ReceiveMessage", after)
    worker = fast_worker(lambda m: None, url, concurrency=10, sqs_client=client)
    running = start(worker)
    try:
        wait_for(lambda: worker.stats.deleted >= 200, timeout=90, what="200 messages deleted")
        running.stop()
    finally:
        far.close()
    assert most == MAX_RECEIVES_IN_FLIGHT
    assert queue_counts(sqs, url) == (0, 0)


def test_an_empty_queue_is_polled_by_one_receive_at_a_time(make_queue: Any, start: Any) -> None:
    client = worker_client()
    receives = receive_log(client)
    worker = fast_worker(print, make_queue(), concurrency=10, sqs_client=client)
    running = start(worker)
    time.sleep(2.5)  # two or three 1-second polls
    running.stop()
    assert 1 <= len(receives) <= 4
