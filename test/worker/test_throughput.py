"""How many messages the worker asks for: batches at any concurrency, receiving ahead only what
it can start soon, and boto3's default session shared."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero.worker import Message, Worker
from sqs_scale_to_zero.worker.receiving import MAX_RECEIVES_IN_FLIGHT

from .conftest import fast_worker, receive_log, send, wait_for, worker_client


def test_at_concurrency_1_it_receives_batches_and_keeps_the_extras_invisible(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    # 20 messages of 0.25 s each behind a 2-second visibility timeout: the last of a batch of
    # ten waits longer than that, so it must be extended while it waits.
    url = make_queue(visibility_timeout=2)
    send(sqs, url, [f"m{i}" for i in range(20)])
    handled: Counter[str] = Counter()

    def handle(message: Message) -> None:
        time.sleep(0.25)
        handled[message.body] += 1

    client = worker_client()
    receives = receive_log(client)
    worker = fast_worker(handle, url, concurrency=1, prefetch_seconds=3, sqs_client=client)
    running = start(worker)
    wait_for(lambda: worker.stats.deleted == 20, timeout=30, what="20 messages deleted")
    running.stop()

    assert handled == Counter({f"m{i}": 1 for i in range(20)})  # none delivered twice
    batches = [len(batch) for batch in receives if batch]
    assert len(batches) < 10 and max(batches) > 1, batches  # not one receive per message
    assert worker.stats.extended >= 1


def test_it_receives_ahead_while_handlers_are_busy(sqs: Any, make_queue: Any, start: Any) -> None:
    url = make_queue(visibility_timeout=10)
    send(sqs, url, [f"m{i}" for i in range(40)])
    held_while_running: list[int] = []

    def handle(message: Message) -> None:
        stats = worker.stats  # received, neither finished nor handed back: held
        held_while_running.append(stats.received - stats.processed - stats.released)
        time.sleep(0.05)

    worker = fast_worker(handle, url, concurrency=2)
    running = start(worker)
    wait_for(lambda: worker.stats.deleted == 40, what="40 messages deleted")
    running.stop()

    # Once handler durations are known, the next messages are already held when a handler
    # frees up: more than `concurrency` at a time, and never more than a batch of 10 for each
    # receive that may be in flight.
    assert 2 < max(held_while_running) <= 2 + 10 * MAX_RECEIVES_IN_FLIGHT


def test_it_never_receives_ahead_messages_it_cannot_start_soon(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue(visibility_timeout=10)
    send(sqs, url, [f"m{i}" for i in range(6)])
    client = worker_client()
    receives = receive_log(client)
    worker = fast_worker(
        lambda m: time.sleep(0.6), url, concurrency=2, prefetch_seconds=0.2, sqs_client=client
    )
    running = start(worker)
    wait_for(lambda: worker.stats.deleted == 6, what="6 messages deleted")
    running.stop()

    # A 0.6-second handler is not expected to start within 0.2 s: hold only what can run.
    assert max(len(batch) for batch in receives) <= 2


@pytest.fixture
def fresh_default_session() -> Iterator[None]:
    saved = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = None
    yield
    boto3.DEFAULT_SESSION = saved


@pytest.mark.usefixtures("fresh_default_session")
def test_the_worker_shares_boto3s_default_session(make_queue: Any, start: Any) -> None:
    url = make_queue()
    boto3.setup_default_session()  # as an app's own boto3.client() call does
    calls: list[str] = []
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register(
        "before-call.sqs", lambda model, **_: calls.append(model.name)
    )
    running = start(Worker(print, url, environ={}, poll_wait_seconds=1))
    wait_for(lambda: "ReceiveMessage" in calls, what="a first receive")
    running.stop()
    assert calls[0] == "GetQueueAttributes"  # the client came from the default session


@pytest.mark.usefixtures("fresh_default_session")
def test_a_session_passed_in_is_used_instead(make_queue: Any, start: Any) -> None:
    url = make_queue()
    session = boto3.session.Session()
    calls: list[str] = []
    session.events.register("before-call.sqs", lambda model, **_: calls.append(model.name))
    running = start(Worker(print, url, environ={}, session=session, poll_wait_seconds=1))
    wait_for(lambda: "ReceiveMessage" in calls, what="a first receive")
    running.stop()
    assert calls[0] == "GetQueueAttributes"
