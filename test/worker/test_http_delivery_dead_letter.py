"""HTTP delivery's ``DeadLetter``: the app answers with ``X-Sqs-Scale-To-Zero-Dead-Letter``.

What the header means (``judge``), then a real Node.js app asking for it, against moto's SQS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sqs_scale_to_zero.worker import DeadLetter, contract
from sqs_scale_to_zero.worker.http_delivery.answers import judge

from .conftest import Running, queue_counts, send, wait_for
from .http_apps import NodeApp, needs_node, node_app
from .test_dead_letter import dead_letter_queue_of, receive_all

HEADER = contract.DEAD_LETTER_HEADER


@pytest.mark.parametrize("status", [200, 204, 400, 422, 429, 500, 503])
def test_the_header_asks_for_the_dead_letter_queue_whatever_the_status(status: int) -> None:
    with pytest.raises(DeadLetter) as raised:
        judge(status, {HEADER.lower(): " order 7 no longer exists ", "retry-after": "5"})
    assert raised.value.reason == "order 7 no longer exists"


def test_an_empty_header_gives_a_reason_that_names_the_status() -> None:
    with pytest.raises(DeadLetter) as raised:
        judge(422, {HEADER.lower(): ""})
    assert raised.value.reason == f"the app answered 422 with {HEADER}"


@pytest.fixture
def app() -> Iterator[NodeApp]:
    with node_app() as running:
        yield running


@needs_node
def test_the_app_sends_a_message_to_the_dlq_at_once_and_the_rest_go_on(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given a poison message the app answers 422 with the header, and an ordinary one
    url = make_queue(dlq_after=3)
    dlq = dead_letter_queue_of(sqs, url)
    poison = json.dumps({"status": 422, "headers": {HEADER: "not an order"}})
    send(
        sqs,
        url,
        [poison, json.dumps({"status": 200})],
        MessageAttributes={"tenant": {"DataType": "String", "StringValue": "acme"}},
    )

    # when the runtime delivers them
    running = deliver(url, app.port, dead_letter_queue_url=dlq)
    wait_for(lambda: running.worker.stats.deleted == 2, what="both deletes")
    running.stop()

    # then the poison was POSTed once and is in the DLQ with its body, attributes and reason
    posts = [post["body"] for post in app.posts()]
    assert sorted(posts) == sorted([poison, json.dumps({"status": 200})])
    (copy,) = receive_all(sqs, dlq, 1)
    assert copy["Body"] == poison
    attributes = copy["MessageAttributes"]
    assert attributes["tenant"]["StringValue"] == "acme"
    assert attributes[contract.DEAD_LETTER_REASON_ATTRIBUTE]["StringValue"] == "not an order"
    assert queue_counts(sqs, url) == (0, 0)
    assert running.worker.stats.dead_lettered == 1 and running.worker.stats.succeeded == 1
