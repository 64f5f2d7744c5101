"""The sqsd request and the meaning of the app's answers, as plain functions."""

from __future__ import annotations

import email.utils

import pytest

from sqs_scale_to_zero.worker import Message, RetryLater
from sqs_scale_to_zero.worker.http_delivery.answers import (
    DeliveryFailed,
    judge,
    retry_after_seconds,
)
from sqs_scale_to_zero.worker.http_delivery.sqsd import sqsd_request


def message(**attributes: dict[str, str]) -> Message:
    return Message(
        body="{}",
        message_id="id-1",
        receipt_handle="rh",
        receive_count=3,
        attributes={"ApproximateFirstReceiveTimestamp": "1700000000123", "SenderId": "AIDA"},
        message_attributes=attributes,
    )


def test_times_are_iso_8601_utc_and_the_receive_count_is_the_messages() -> None:
    headers = dict(sqsd_request(message(), queue_name="q", path="/", content_type="a/b").headers)
    assert headers["X-Aws-Sqsd-First-Received-At"] == "2023-11-14T22:13:20Z"
    assert headers["X-Aws-Sqsd-Receive-Count"] == "3"
    assert headers["X-Aws-Sqsd-Sender-Id"] == "AIDA"
    assert "X-Aws-Sqsd-Sent-At" not in headers  # SQS did not say


def test_an_attribute_value_with_a_line_break_is_left_out() -> None:
    request = sqsd_request(
        message(
            ok={"DataType": "String", "StringValue": "fine"},
            bad={"DataType": "String", "StringValue": "two\r\nlines"},
        ),
        queue_name="q",
        path="/",
        content_type="a/b",
    )
    names = [name for name, _ in request.headers]
    assert "X-Aws-Sqsd-Attr-ok" in names and "X-Aws-Sqsd-Attr-bad" not in names


@pytest.mark.parametrize(
    ("scheduled", "sent"),
    [
        ("2015-03-05 12:00:00 UTC", "2015-03-05T12:00:00Z"),
        ("2015-03-05T13:00:00+01:00", "2015-03-05T12:00:00Z"),
        ("2015-03-05T12:00:00Z", "2015-03-05T12:00:00Z"),
        ("next tuesday", "next tuesday"),
    ],
)
def test_a_periodic_tasks_time_is_sent_as_iso_8601_utc(scheduled: str, sent: str) -> None:
    request = sqsd_request(
        message(
            **{"beanstalk.sqsd.scheduled_time": {"DataType": "String", "StringValue": scheduled}}
        ),
        queue_name="q",
        path="/work",
        content_type="a/b",
    )
    assert dict(request.headers)["X-Aws-Sqsd-Scheduled-At"] == sent
    assert request.path == "/work"  # no beanstalk.sqsd.path: the configured one
    assert request.body == b""


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_is_success(status: int) -> None:
    judge(status, {})


@pytest.mark.parametrize("status", [100, 301, 304, 400, 401, 404, 409, 500, 502, 504])
def test_anything_else_is_a_failure(status: int) -> None:
    with pytest.raises(DeliveryFailed, match=str(status)):
        judge(status, {"retry-after": "5"})  # Retry-After counts for 429 and 503 only


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_on_429_and_503_sets_the_delay(status: int) -> None:
    with pytest.raises(RetryLater) as raised:
        judge(status, {"retry-after": "7"})
    assert raised.value.delay_seconds == 7
    with pytest.raises(DeliveryFailed):
        judge(status, {})


def test_retry_after_reads_seconds_and_http_dates_and_clamps_them() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(email.utils.formatdate(now + 90, usegmt=True), now) == 90
    assert retry_after_seconds(email.utils.formatdate(now - 90, usegmt=True), now) == 0
    assert retry_after_seconds("999999", now) == 43200
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-5", now) is None
    assert retry_after_seconds(None, now) is None
