"""``raise DeadLetter(reason)``: the message goes to the dead-letter queue at once, with the
reason and its original attributes, the original is deleted, and one WARNING line without a
traceback says so; with no dead-letter queue (or a failed send) nothing is lost."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sqs_scale_to_zero.worker import DeadLetter, Message, contract

from .conftest import fast_worker, queue_counts, wait_for

ORIGINAL_ATTRIBUTES = {"tenant": {"DataType": "String", "StringValue": "acme"}}


def poison(message: Message) -> None:
    if message.body == "not json at all":
        raise DeadLetter("body is not JSON")


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    return list(
        sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
    )


def test_a_dead_letter_moves_at_once_with_its_reason_and_attributes(
    sqs: Any, make_queue: Any, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url, dlq = make_queue(visibility_timeout=30), make_queue(name="dlq")
    sqs.send_message(
        QueueUrl=url, MessageBody="not json at all", MessageAttributes=ORIGINAL_ATTRIBUTES
    )
    worker = fast_worker(poison, url, environ={contract.DEAD_LETTER_QUEUE_URL: dlq})

    with caplog.at_level(logging.INFO, logger="sqs_scale_to_zero.worker"):
        running = start(worker)
        wait_for(lambda: worker.stats.dead_lettered == 1, what="the dead letter")
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the original deleted")
        running.stop()

    (copy,) = receive_all(sqs, dlq)
    assert copy["Body"] == "not json at all"
    assert copy["MessageAttributes"]["tenant"]["StringValue"] == "acme"
    assert copy["MessageAttributes"]["DeadLetterReason"]["StringValue"] == "body is not JSON"
    assert worker.stats.failed == 0 and worker.stats.deleted == 1
    (record,) = [r for r in caplog.records if "dead-lettered" in r.getMessage()]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == "message dead-lettered: body is not JSON"


def test_a_fifo_dead_letter_keeps_its_group(sqs: Any, make_queue: Any, start: Any) -> None:
    url, dlq = make_queue(fifo=True, visibility_timeout=30), make_queue(fifo=True, name="dlq")
    sqs.send_message(
        QueueUrl=url,
        MessageBody="not json at all",
        MessageGroupId="order-7",
        MessageDeduplicationId="1",
    )
    worker = fast_worker(poison, url, environ={contract.DEAD_LETTER_QUEUE_URL: dlq})

    running = start(worker)
    wait_for(lambda: worker.stats.dead_lettered == 1, what="the dead letter")
    running.stop()

    (copy,) = sqs.receive_message(
        QueueUrl=dlq, AttributeNames=["MessageGroupId"], WaitTimeSeconds=1
    )["Messages"]
    assert copy["Attributes"]["MessageGroupId"] == "order-7"


def test_without_a_dead_letter_queue_the_message_is_retried_not_lost(
    sqs: Any, make_queue: Any, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_queue(visibility_timeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="not json at all")
    worker = fast_worker(poison, url)

    with caplog.at_level(logging.INFO, logger="sqs_scale_to_zero.worker"):
        running = start(worker)
        wait_for(lambda: worker.stats.failed == 1, what="the failed move")
        running.stop()

    assert worker.stats.dead_lettered == 0 and worker.stats.deleted == 0
    assert queue_counts(sqs, url) == (0, 1)  # waiting out its retry backoff, not deleted
    (record,) = [r for r in caplog.records if "not dead-lettered" in r.getMessage()]
    assert "SCALE_TO_ZERO_DEAD_LETTER_QUEUE_URL is not set" in record.getMessage()
    assert record.exc_info is None


def test_a_failed_send_to_the_dead_letter_queue_leaves_the_message(
    sqs: Any, moto_endpoint: str, make_queue: Any, start: Any
) -> None:
    url = make_queue(visibility_timeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="not json at all")
    missing = f"{moto_endpoint}/123456789012/no-such-dlq"
    worker = fast_worker(poison, url, environ={contract.DEAD_LETTER_QUEUE_URL: missing})

    running = start(worker)
    wait_for(lambda: worker.stats.failed == 1, what="the failed move")
    running.stop()

    assert worker.stats.dead_lettered == 0 and worker.stats.deleted == 0
    assert queue_counts(sqs, url) == (0, 1)
