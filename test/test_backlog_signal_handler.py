"""The backlog-signal function's handler against a real SQS/CloudWatch-protocol server (moto)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.awsrequest
import botocore.exceptions
import pytest

from sqs_scale_to_zero.backlog_signal_handler import handler
from sqs_scale_to_zero.worker.contract import SIGNAL_METRIC_NAMESPACE, SIGNAL_NAMESPACE


@pytest.fixture
def queue(
    aws_local: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[str]:
    sqs = boto3.client("sqs")
    name = f"signal-{request.node.name[:40].replace('[', '-').replace(']', '')}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    monkeypatch.setenv("QUEUE_URL", url)
    monkeypatch.setenv("QUEUE_NAME", name)
    monkeypatch.setenv(SIGNAL_METRIC_NAMESPACE, SIGNAL_NAMESPACE)
    yield url
    sqs.delete_queue(QueueUrl=url)


def published(queue_name: str, metric_name: str) -> list[float]:
    cloudwatch = boto3.client("cloudwatch")
    now = datetime.datetime.now(datetime.UTC)
    result = cloudwatch.get_metric_statistics(
        Namespace=SIGNAL_NAMESPACE,
        MetricName=metric_name,
        Dimensions=[{"Name": "QueueName", "Value": queue_name}],
        StartTime=now - datetime.timedelta(minutes=5),
        EndTime=now + datetime.timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )
    return [point["Maximum"] for point in result["Datapoints"]]


def test_empty_queue_publishes_zeros(queue: str) -> None:
    name = queue.rsplit("/", 1)[-1]
    values = handler({}, None)
    assert values == {
        "ApproximateNumberOfMessagesVisible": 0.0,
        "ApproximateNumberOfMessagesNotVisible": 0.0,
        "ApproximateNumberOfMessagesDelayed": 0.0,
    }
    # Zeros are published, not skipped: an empty queue is data, not missing data.
    assert published(name, "ApproximateNumberOfMessagesVisible") == [0.0]
    assert published(name, "ApproximateNumberOfMessagesNotVisible") == [0.0]


def test_visible_in_flight_and_delayed_messages_are_counted(queue: str) -> None:
    sqs = boto3.client("sqs")
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=600)
    sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, VisibilityTimeout=600)
    values = handler({}, None)
    assert values["ApproximateNumberOfMessagesVisible"] == 2
    assert values["ApproximateNumberOfMessagesNotVisible"] == 1
    assert values["ApproximateNumberOfMessagesDelayed"] == 1
    name = queue.rsplit("/", 1)[-1]
    assert published(name, "ApproximateNumberOfMessagesVisible") == [2.0]
    assert published(name, "ApproximateNumberOfMessagesDelayed") == [1.0]


def test_missing_queue_fails_the_run_and_publishes_nothing(
    aws_local: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUEUE_URL", f"{aws_local}/123456789012/no-such-queue")
    monkeypatch.setenv("QUEUE_NAME", "no-such-queue")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        handler({}, None)
    assert "NonExistentQueue" in str(raised.value) or "QueueDoesNotExist" in str(raised.value)
    assert published("no-such-queue", "ApproximateNumberOfMessagesVisible") == []


def test_throttled_reads_are_retried(queue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first two GetQueueAttributes calls are answered with a throttling error; the client's
    standard retry mode backs off and the third call, to the real server, succeeds."""
    throttled: list[str] = []
    real_client = boto3.client

    def client_with_throttling(service: str, *args: Any, **kwargs: Any) -> Any:
        client = real_client(service, *args, **kwargs)
        if service == "sqs":

            def throttle(request: Any, **_: Any) -> Any:
                if len(throttled) < 2:
                    throttled.append(request.url)
                    return botocore.awsrequest.AWSResponse(
                        request.url,
                        400,
                        {"Content-Type": "application/x-amz-json-1.0"},
                        _RawBody(
                            b'{"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"}'
                        ),
                    )
                return None

            client.meta.events.register("before-send.sqs.GetQueueAttributes", throttle)
        return client

    monkeypatch.setattr(boto3, "client", client_with_throttling)
    values = handler({}, None)
    assert len(throttled) == 2
    assert values["ApproximateNumberOfMessagesVisible"] == 0


class _RawBody:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content

    def read(self, *_: Any) -> bytes:
        return self._content
