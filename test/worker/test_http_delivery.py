"""HTTP delivery as Beanstalk's worker daemon does it: the runtime POSTs each message to an app.

The daemon's behaviour is Elastic Beanstalk's guide, "Elastic Beanstalk worker environments".

Against moto's SQS server and ``http_app.js`` run by ``node``: the sqsd headers and body, what
each answer does to the message, the heartbeat of a long request, and FIFO order. The app's
absence (start-up, death, refusal) is in ``test_http_delivery_readiness.py``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sqs_scale_to_zero.worker import ConstantBackoff

from .conftest import Running, queue_counts, send, wait_for
from .http_apps import NodeApp, needs_node, node_app

pytestmark = needs_node

ISO_8601_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def app() -> Iterator[NodeApp]:
    with node_app() as running:
        yield running


def by_body(posts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for post in posts:
        grouped.setdefault(post["body"], []).append(post)
    return grouped


def test_each_sqsd_header_and_the_body_reach_the_app(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given a message with a body and String, Number, custom and Binary attributes
    url = make_queue()
    body = 'héllo {"order": 1}'
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "blue"},
            "count": {"DataType": "Number", "StringValue": "42"},
            "unit": {"DataType": "String.custom", "StringValue": "kg"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )

    # when the runtime delivers it
    deliver(url, app.port, content_type="text/plain; charset=utf-8")
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the delete")

    # then the app got the body and every header of the sqsd contract
    (post,) = app.posts()
    headers = post["headers"]
    assert post["path"] == "/work"
    assert post["body"] == body
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["user-agent"].startswith("aws-sqsd")
    assert headers["x-aws-sqsd-msgid"] == sent["MessageId"]
    assert headers["x-aws-sqsd-queue"] == url.rsplit("/", 1)[1]
    assert headers["x-aws-sqsd-receive-count"] == "1"
    assert ISO_8601_UTC.match(headers["x-aws-sqsd-first-received-at"])
    assert ISO_8601_UTC.match(headers["x-aws-sqsd-sent-at"])
    assert headers["x-aws-sqsd-sender-id"]
    assert headers["x-aws-sqsd-attr-color"] == "blue"
    assert headers["x-aws-sqsd-attr-count"] == "42"
    assert headers["x-aws-sqsd-attr-unit"] == "kg"
    assert "x-aws-sqsd-attr-blob" not in headers
    assert "x-aws-sqsd-taskname" not in headers


def test_a_periodic_task_goes_to_its_own_path_with_its_name_and_time(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given a message as Beanstalk's scheduler sends it for cron.yaml's task "backup-job"
    url = make_queue()
    sqs.send_message(
        QueueUrl=url,
        MessageBody="elasticbeanstalk scheduled job",
        MessageAttributes={
            "beanstalk.sqsd.path": {"DataType": "String", "StringValue": "/backup"},
            "beanstalk.sqsd.task_name": {"DataType": "String", "StringValue": "backup-job"},
            "beanstalk.sqsd.scheduled_time": {
                "DataType": "String",
                "StringValue": "2015-03-05 12:00:00 UTC",
            },
        },
    )

    # when the runtime delivers it
    deliver(url, app.port)
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the delete")

    # then it is POSTed, without a body, to the task's path with the task's headers
    (post,) = app.posts()
    assert post["path"] == "/backup"
    assert post["body"] == ""
    assert post["headers"]["x-aws-sqsd-taskname"] == "backup-job"
    assert post["headers"]["x-aws-sqsd-scheduled-at"] == "2015-03-05T12:00:00Z"
    assert post["headers"]["x-aws-sqsd-path"] == "/backup"
    assert not [name for name in post["headers"] if name.startswith("x-aws-sqsd-attr-")]


def test_any_2xx_deletes_and_any_other_answer_is_retried_until_the_dead_letter_queue(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given messages asking the app for each kind of answer, on a queue that dead-letters
    # after two receives
    url = make_queue(dlq_after=2)
    dlq = url + "-dlq"
    statuses = [200, 201, 202, 204, 302, 400, 404, 429, 500, 503]
    send(sqs, url, [json.dumps({"status": status}) for status in statuses])

    # when the runtime delivers them, retrying failures after one second
    deliver(url, app.port, concurrency=4, retry_backoff=ConstantBackoff(1))
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), timeout=30, what="the queue to empty")
    wait_for(lambda: queue_counts(sqs, dlq)[0] == 6, what="the dead-letter queue")

    # then each 2xx was POSTed once and deleted; each other answer was POSTed twice
    posts = by_body(app.posts())
    for status in statuses:
        seen = posts[json.dumps({"status": status})]
        counts = [post["headers"]["x-aws-sqsd-receive-count"] for post in seen]
        assert counts == (["1"] if status < 300 else ["1", "2"]), status
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["status"] for m in dead) == [302, 400, 404, 429, 500, 503]


def test_retry_after_sets_when_the_message_comes_back(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given a message the app answers with 503 and Retry-After: 3 (the backoff says 0 s)
    url = make_queue(visibility_timeout=30)
    asked = {"status": 503, "headers": {"Retry-After": "3"}}
    send(sqs, url, [json.dumps(asked)])

    # when the runtime delivers it
    deliver(url, app.port, retry_backoff=ConstantBackoff(0))
    wait_for(lambda: len(app.posts()) == 2, timeout=15, what="the second POST")

    # then the second delivery came after the app's three seconds, not the backoff's zero
    first, second = app.posts()
    assert 2.5 <= (second["at"] - first["at"]) / 1000 < 6


def test_a_request_longer_than_the_visibility_timeout_is_delivered_once(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given a job of 5 s on a queue whose visibility timeout is 2 s, and a second worker
    url = make_queue(visibility_timeout=2)
    send(sqs, url, [json.dumps({"sleep_ms": 5000})])
    deliver(url, app.port)
    deliver(url, app.port)

    # when it finishes
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), timeout=20, what="the delete")
    time.sleep(2.5)  # past another visibility timeout

    # then the heartbeat kept it invisible while the request was open: one POST only
    assert len(app.posts()) == 1


def test_no_answer_within_the_inactivity_timeout_is_a_failure(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given an app that takes 3 s and an inactivity timeout of 1 s
    url = make_queue(visibility_timeout=30, dlq_after=2)
    send(sqs, url, [json.dumps({"sleep_ms": 3000})])

    # when the runtime delivers it
    deliver(url, app.port, timeout_seconds=1, retry_backoff=ConstantBackoff(0))

    # then both tries fail and the message is dead-lettered
    wait_for(lambda: queue_counts(sqs, url + "-dlq")[0] == 1, timeout=20, what="the DLQ")
    counts = [post["headers"]["x-aws-sqsd-receive-count"] for post in app.posts()]
    assert counts == ["1", "2"]


def test_requests_run_concurrently_and_reuse_a_connection_per_handler_thread(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given 20 messages of 300 ms each
    url = make_queue(visibility_timeout=30)
    send(sqs, url, [json.dumps({"sleep_ms": 300, "n": n}) for n in range(20)])

    # when a worker of concurrency 4 delivers them
    deliver(url, app.port, concurrency=4)
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), timeout=30, what="the queue to empty")

    # then up to four requests were open at once, over about four keep-alive connections
    posts = app.posts()
    assert len(posts) == 20
    starts = sorted(post["at"] for post in posts)
    overlapping = max(sum(1 for s in starts if t <= s < t + 250) for t in starts)
    assert 2 <= overlapping <= 4
    assert len({post["remote_port"] for post in posts}) <= 8


def test_fifo_messages_reach_the_app_in_order_per_group(
    make_queue: Callable[..., str], sqs: Any, app: NodeApp, deliver: Callable[..., Running]
) -> None:
    # given two groups of five on a FIFO queue, the first of group "a" failing once
    url = make_queue(fifo=True, visibility_timeout=30)
    for group in ("a", "b"):
        for n in range(5):
            body = {"group": group, "n": n, "sleep_ms": 50}
            if group == "a" and n == 0:
                body["fail_first"] = 1
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body), MessageGroupId=group)

    # when a worker of concurrency 4 delivers them, retrying after one second
    deliver(url, app.port, concurrency=4, retry_backoff=ConstantBackoff(1))
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), timeout=40, what="the queue to empty")

    # then each group reached the app in order, the failed head again before its followers
    order: dict[str, list[int]] = {"a": [], "b": []}
    for post in sorted(app.posts(), key=lambda p: p["at"]):
        body = json.loads(post["body"])
        order[body["group"]].append(body["n"])
    assert order["b"] == [0, 1, 2, 3, 4]
    assert order["a"] == [0, 0, 1, 2, 3, 4]
