"""FIFO queues: one message of a group at a time, in order, and a failing head costs the rest
of its group nothing."""

from __future__ import annotations

import itertools
import time
import warnings
from collections import defaultdict
from typing import Any

from sqs_scale_to_zero.worker import ConstantBackoff, Message, RetryLater

from .conftest import fast_worker, queue_counts, receive_log, send, wait_for, worker_client


def _first_receipts(log: list[list[dict[str, Any]]]) -> dict[str, list[str]]:
    """Per group, the bodies in the order SQS first handed them over."""
    order: dict[str, list[str]] = defaultdict(list)
    for batch in log:
        for raw in batch:
            group, body = raw["Attributes"]["MessageGroupId"], raw["Body"]
            if body not in order[group]:
                order[group].append(body)
    return order


def test_fifo_messages_of_one_group_run_one_at_a_time_in_order(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    """The worker runs each group in the order SQS handed it over, one message at a time.

    moto 5.2.5 can itself hand out a group's later message first. Minimal reproduction (FIFO
    queue, visibility timeout 1 s, one group)::

        send m0, m1                       -> receive(Max=2) returns [m0, m1]
        change_message_visibility(m0, 0)  # m0 released, m1 still in flight
        sleep 1.5                         # m1's visibility lapses
        receive(Max=1)                    -> returns [m1], not m0

    (its receive decides which groups are locked once per pass, and unlocks the group only
    on reaching m1, after it has skipped m0). So the worker is checked against the order
    recorded from the receive responses themselves (a botocore ``after-call`` hook on the
    worker's client), and a reordering by moto is reported as a warning naming moto, never
    blamed on the worker.
    """
    url = make_queue(fifo=True)
    for group in "abc":
        send(sqs, url, [f"{group}{i}" for i in range(8)], MessageGroupId=group)
    spans: dict[str, list[tuple[str, float, float]]] = defaultdict(list)

    def handle(message: Message) -> None:
        began = time.monotonic()
        time.sleep(0.03)
        assert message.group_id is not None
        spans[message.group_id].append((message.body, began, time.monotonic()))

    client = worker_client()
    received = receive_log(client)
    worker = fast_worker(handle, url, concurrency=6, sqs_client=client)
    running = start(worker)
    wait_for(lambda: worker.stats.succeeded == 24, what="24 messages handled")
    running.stop()

    handed_over = _first_receipts(received)
    for group in "abc":
        ran = [body for body, _, _ in spans[group]]
        assert ran == handed_over[group], f"the worker reordered group {group}"
        sent = [f"{group}{i}" for i in range(8)]
        if handed_over[group] != sent:
            warnings.warn(
                f"moto handed group {group} out of order: {handed_over[group]}", stacklevel=1
            )
        for (_, _, ended), (_, began, _) in itertools.pairwise(spans[group]):
            assert began >= ended, f"group {group} ran two messages at once"


def test_fifo_group_after_a_failure_waits_for_the_failed_message(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue(fifo=True)
    send(sqs, url, ["g0", "g1", "g2"], MessageGroupId="g")
    order: list[str] = []

    def handle(message: Message) -> None:
        order.append(message.body)
        if message.body == "g0" and message.receive_count == 1:
            raise RuntimeError("fails once")

    worker = fast_worker(handle, url, concurrency=3, retry_backoff=ConstantBackoff(0))
    running = start(worker)
    wait_for(lambda: worker.stats.succeeded == 3, what="all three handled")
    running.stop()

    assert order == ["g0", "g0", "g1", "g2"]


def test_a_failing_head_never_dead_letters_the_messages_behind_it(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    # Given a group whose first message always fails, with 8 healthy messages behind it,
    url = make_queue(fifo=True, dlq_after=3)
    dlq = url.removesuffix(".fifo") + "-dlq.fifo"
    send(sqs, url, [f"g{i}" for i in range(9)], MessageGroupId="g")
    ran: list[str] = []

    def handle(message: Message) -> None:
        ran.append(message.body)
        if message.body == "g0":
            raise RuntimeError("poison head")

    worker = fast_worker(handle, url, concurrency=4, retry_backoff=ConstantBackoff(0))
    running = start(worker)
    # when the head has used its three deliveries,
    wait_for(lambda: worker.stats.succeeded == 8, timeout=40, what="the 8 healthy messages")
    running.stop()

    # then only the head is dead-lettered, and the rest ran once each, in order.
    assert ran == ["g0"] * 3 + [f"g{i}" for i in range(1, 9)]
    assert queue_counts(sqs, dlq) == (1, 0)
    assert sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"] == "g0"


def test_receives_stay_wide_until_a_failed_head_is_due_back(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue(fifo=True, visibility_timeout=10)
    send(sqs, url, ["head"], MessageGroupId="a")
    failed_at: list[float] = []

    def handle(message: Message) -> None:
        if message.body == "head" and message.receive_count == 1:
            failed_at.append(time.monotonic())
            raise RetryLater(6)

    client = worker_client()
    receives = receive_log(client)
    worker = fast_worker(handle, url, concurrency=10, sqs_client=client)
    running = start(worker)
    wait_for(lambda: bool(failed_at), what="the head to fail")
    # Twenty other groups arrive while the head waits out its 6 s: nothing of group "a" can
    # come back before then, so they are received in batches, not one by one.
    for start_at in range(0, 20, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": f"m{i}", "MessageGroupId": f"g{i}"}
                for i in range(start_at, start_at + 10)
            ],
        )
    wait_for(lambda: worker.stats.succeeded >= 21, timeout=30, what="all messages")
    running.stop()
    assert max(len(batch) for batch in receives) > 1
