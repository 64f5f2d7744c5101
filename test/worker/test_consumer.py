"""The real ``Worker`` against moto's SQS-protocol server: receive, delete, retry, heartbeat."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]
from moto.server import ThreadedMotoServer

from sqs_scale_to_zero.worker import ConstantBackoff, Message, RetryLater, Worker
from sqs_scale_to_zero.worker.client import client_config

from .conftest import Running, fast_worker, queue_counts, send, wait_for


@pytest.mark.usefixtures("atomic_moto_receives")
def test_many_messages_with_concurrency_are_all_processed_and_none_left(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue()
    send(sqs, url, [f"m{i}" for i in range(60)])
    seen: Counter[str] = Counter()
    running_now = 0
    most_at_once = 0
    lock = threading.Lock()

    def handle(message: Message) -> None:
        nonlocal running_now, most_at_once
        with lock:
            running_now += 1
            most_at_once = max(most_at_once, running_now)
        time.sleep(0.02)
        with lock:
            running_now -= 1
            seen[message.body] += 1

    worker = fast_worker(handle, url, concurrency=8)
    running = start(worker)
    wait_for(lambda: sum(seen.values()) >= 60, what="60 messages handled")
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="queue empty")
    running.stop()

    assert set(seen) == {f"m{i}" for i in range(60)}
    assert max(seen.values()) == 1
    assert 1 < most_at_once <= 8
    assert worker.stats.succeeded == worker.stats.deleted == 60


def test_poison_message_goes_to_the_dlq_while_others_flow(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue(visibility_timeout=2, dlq_after=2)
    dlq = url + "-dlq"
    send(sqs, url, ["poison"] + [f"ok{i}" for i in range(20)])
    handled: Counter[str] = Counter()

    def handle(message: Message) -> None:
        handled[message.body] += 1
        if message.body == "poison":
            raise RuntimeError("cannot digest this one")

    running = start(fast_worker(handle, url, concurrency=4, retry_backoff=ConstantBackoff(0)))
    wait_for(lambda: queue_counts(sqs, dlq)[0] == 1, what="poison message in the DLQ")
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="main queue empty")
    running.stop()

    assert handled["poison"] == 2  # max_receive_count deliveries, then the DLQ
    assert all(handled[f"ok{i}"] == 1 for i in range(20))
    body = sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"]
    assert body == "poison"


def test_failed_message_is_retried_after_the_backoff_delay(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["flaky"])
    attempts: list[float] = []

    def handle(message: Message) -> None:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise ValueError("first try fails")

    worker = fast_worker(handle, url, retry_backoff=ConstantBackoff(1))
    running = start(worker)
    wait_for(lambda: len(attempts) == 2, what="second delivery")
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="queue empty")
    running.stop()

    # Redelivered after ~1 s of backoff, not after the queue's 30-second visibility timeout.
    assert 0.8 <= attempts[1] - attempts[0] < 10
    assert worker.stats.failed == 1 and worker.stats.succeeded == 1


def test_handler_can_ask_for_a_specific_retry_delay(sqs: Any, make_queue: Any, start: Any) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["later"])
    deliveries: list[tuple[float, int]] = []

    def handle(message: Message) -> None:
        deliveries.append((time.monotonic(), message.receive_count))
        if message.receive_count == 1:
            raise RetryLater(2, reason="downstream busy")

    worker = fast_worker(handle, url, retry_backoff=ConstantBackoff(600))
    running = start(worker)
    wait_for(lambda: len(deliveries) == 2, what="second delivery")
    running.stop()

    (first, count1), (second, count2) = deliveries
    assert (count1, count2) == (1, 2)
    assert 1.8 <= second - first < 10  # the requested 2 s, not the 600 s backoff
    assert worker.stats.retried == 1


def test_job_longer_than_the_visibility_timeout_is_never_redelivered_while_it_runs(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue(visibility_timeout=2)
    send(sqs, url, ["long job"])
    calls: list[str] = []

    def slow(message: Message) -> None:
        calls.append("slow")
        time.sleep(6)  # three visibility timeouts

    def other(message: Message) -> None:
        calls.append("other")

    worker = fast_worker(slow, url)
    first = start(worker)
    wait_for(lambda: calls == ["slow"], what="the job to start")
    second = start(fast_worker(other, url))  # a competing task polling the same queue
    wait_for(lambda: worker.stats.succeeded == 1, timeout=15, what="the job to finish")
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="queue empty")
    first.stop()
    second.stop()

    assert calls == ["slow"]
    assert worker.stats.extended >= 2


def test_sqs_endpoint_down_then_back(sqs: Any, make_queue: Any, start: Any) -> None:
    url = make_queue()
    # The worker talks to its own moto server, which the test stops and restarts on the same
    # port; moto keeps its state in the process, so the queue outlives the outage.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client("sqs", endpoint_url=f"http://{host}:{port}", config=client_config(1))
    handled: list[str] = []
    worker = fast_worker(lambda m: handled.append(m.body), url, sqs_client=client)
    running = start(worker)
    send(sqs, url, ["before"])
    wait_for(lambda: handled == ["before"], what="the first message")

    server.stop()
    send(sqs, url, ["during"])
    wait_for(lambda: worker.stats.sqs_errors >= 2, timeout=30, what="failed receives")
    assert running.thread.is_alive()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        wait_for(lambda: len(handled) == 2, what="the message sent during the outage")
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="queue empty")
        running.stop()
    finally:
        server.stop()
    assert handled == ["before", "during"]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"poll_wait_seconds": 21}, "poll_wait_seconds"),
        ({"visibility_timeout_seconds": 0}, "visibility_timeout_seconds"),
        ({"shutdown_grace_seconds": -1}, "shutdown_grace_seconds"),
        ({"heartbeat_interval_seconds": 0}, "heartbeat_interval_seconds"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Worker(print, "http://q", environ={}, **kwargs)


def test_missing_queue_url_says_how_to_fix_it() -> None:
    with pytest.raises(ValueError, match=r"queue_url is required.*QUEUE_URL"):
        Worker(print, environ={})


def test_a_worker_runs_once(sqs: Any, make_queue: Any) -> None:
    worker = fast_worker(print, make_queue(), poll_wait_seconds=0)
    stopper = threading.Timer(0.3, worker.stop)
    stopper.start()
    worker.run()
    with pytest.raises(RuntimeError, match="create a new Worker"):
        worker.run()


def test_unreachable_sqs_at_start_is_retried_not_a_crash() -> None:
    unreachable = boto3.client(
        "sqs",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    worker = fast_worker(print, "http://127.0.0.1:9/123456789012/q", sqs_client=unreachable)
    running = Running(worker)
    wait_for(lambda: worker.stats.sqs_errors >= 2, what="retried GetQueueAttributes")
    assert running.thread.is_alive()
    running.stop()  # returns cleanly, no exception
