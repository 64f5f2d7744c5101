"""The seam between the worker and your code: a handler function is one ``Delivery``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from sqs_scale_to_zero.worker import Message, RetryLater, Worker
from sqs_scale_to_zero.worker.delivery import Delivery, Outcome
from sqs_scale_to_zero.worker.handlers import FunctionDelivery

from .conftest import fast_worker, queue_counts, send, wait_for

MESSAGE = Message(body="b", message_id="m1", receipt_handle="r", receive_count=3, group_id="g")


def test_returning_is_success() -> None:
    outcome = FunctionDelivery(lambda m: None).deliver(MESSAGE)
    assert (outcome.name, outcome.delay_seconds, outcome.error) == ("succeeded", None, None)
    assert list(outcome.fields) == [
        "message_id",
        "receive_count",
        "group_id",
        "outcome",
        "duration_ms",
    ]


def test_retry_later_asks_for_its_delay() -> None:
    def handle(message: Message) -> None:
        raise RetryLater(42)

    outcome = FunctionDelivery(handle).deliver(MESSAGE)
    assert (outcome.name, outcome.delay_seconds, outcome.error) == ("retry_later", 42, None)


def test_any_other_exception_is_a_failure_whose_delay_the_worker_sets() -> None:
    def handle(message: Message) -> None:
        raise SystemExit(3)  # must not end a handler thread

    outcome = FunctionDelivery(handle).deliver(MESSAGE)
    assert outcome.name == "failed" and outcome.delay_seconds is None
    assert isinstance(outcome.error, SystemExit)


def test_an_async_handler_is_awaited_on_the_threads_own_loop() -> None:
    done: list[str] = []

    async def handle(message: Message) -> None:
        await asyncio.sleep(0.01)
        done.append(message.body)

    delivery = FunctionDelivery(handle)
    assert delivery.deliver(MESSAGE).name == "succeeded" and done == ["b"]
    delivery.close()


@pytest.mark.parametrize("handler", ["not callable", lambda m: (yield)], ids=["str", "gen"])
def test_a_handler_that_would_run_nothing_is_refused(handler: Any) -> None:
    with pytest.raises(TypeError):
        FunctionDelivery(handler)


class Recorded:
    """A second ``Delivery``, not a function: what an HTTP delivery plugs in as."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.closed = 0

    def deliver(self, message: Message) -> Outcome:
        started = time.monotonic()
        self.bodies.append(message.body)
        if message.body == "later":
            return Outcome.retry_later(message, started, 30)
        return Outcome.succeeded(message, started)

    def close(self) -> None:
        self.closed += 1


def test_another_delivery_plugs_into_the_worker_in_place_of_a_function(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue()
    send(sqs, url, ["one", "later"])
    delivery = Recorded()
    assert isinstance(delivery, Delivery)
    worker: Worker = fast_worker(delivery, url, concurrency=2)
    assert worker.delivery is delivery
    running = start(worker)
    wait_for(lambda: worker.stats.processed == 2, what="both messages")
    running.stop()
    assert sorted(delivery.bodies) == ["later", "one"] and delivery.closed == 2
    assert worker.stats.succeeded == 1 and worker.stats.retried == 1
    assert queue_counts(sqs, url) == (0, 1)  # "later" waits out its 30 s
