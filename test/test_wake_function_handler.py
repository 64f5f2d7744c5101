"""The wake function's handler against a real SQS/CloudWatch-protocol server (moto)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import botocore.awsrequest  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import pytest

from sqs_scale_to_zero.wake_function_handler import handler
from sqs_scale_to_zero.worker.contract import (
    SIGNAL_METRIC_NAMESPACE,
    SIGNAL_NAMESPACE,
    SIGNAL_PUBLISHES,
    SIGNAL_PUBLISHES_DESIRED,
)


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


# The fast wake ------------------------------------------------------------------------------


@pytest.fixture
def service(aws_local: str, queue: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto ECS service at zero tasks and a moto CloudWatch alarm standing for the idle one."""
    ecs = boto3.client("ecs")
    cluster = f"c-{queue.rsplit('/', 1)[-1][-20:]}"
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family="worker", containerDefinitions=[{"name": "w", "image": "worker", "memory": 512}]
    )
    ecs.create_service(
        cluster=cluster, serviceName="worker", taskDefinition="worker", desiredCount=0
    )
    alarm = f"idle-{cluster}"
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/SQS",
        MetricName="NumberOfMessagesSent",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=5,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=["arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:scale-in"],
    )
    monkeypatch.setenv("CLUSTER_NAME", cluster)
    monkeypatch.setenv("SERVICE_NAME", "worker")
    monkeypatch.setenv("IDLE_ALARM_NAME", alarm)
    yield cluster
    ecs.delete_service(cluster=cluster, service="worker", force=True)


def desired_count(cluster: str) -> int:
    (found,) = boto3.client("ecs").describe_services(cluster=cluster, services=["worker"])[
        "services"
    ]
    return int(found["desiredCount"])


def alarm_of(cluster: str) -> dict[str, Any]:
    (alarm,) = boto3.client("cloudwatch").describe_alarms(AlarmNames=[f"idle-{cluster}"])[
        "MetricAlarms"
    ]
    return dict(alarm)


def set_idle_alarm(cluster: str, state: str) -> None:
    boto3.client("cloudwatch").set_alarm_state(
        AlarmName=f"idle-{cluster}", StateValue=state, StateReason="test"
    )


def test_a_waiting_message_wakes_a_service_at_zero(queue: str, service: str) -> None:
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    values = handler({}, None)
    assert desired_count(service) == 1
    # The desired count is published as it is after the wake, so sizing doesn't add it twice.
    assert values["DesiredTaskCount"] == 1.0
    assert published(queue.rsplit("/", 1)[-1], "DesiredTaskCount") == [1.0]


def test_a_stale_idle_alarm_is_held_off_before_the_wake(queue: str, service: str) -> None:
    """The idle alarm is still in ALARM after a long silence: its once-a-minute ExactCapacity 0
    would stop the task just started, so its actions are disabled before the wake ..."""
    set_idle_alarm(service, "ALARM")
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    handler({}, None)
    assert desired_count(service) == 1
    assert alarm_of(service)["ActionsEnabled"] is False
    # ... stay disabled while the alarm is still in ALARM ...
    handler({}, None)
    assert alarm_of(service)["ActionsEnabled"] is False
    # ... and come back once it has left ALARM (the first busy minute), so it can scale in again.
    set_idle_alarm(service, "OK")
    handler({}, None)
    assert alarm_of(service)["ActionsEnabled"] is True


def test_an_ok_idle_alarm_keeps_its_actions(queue: str, service: str) -> None:
    set_idle_alarm(service, "OK")
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    handler({}, None)
    assert desired_count(service) == 1
    assert alarm_of(service)["ActionsEnabled"] is True


def test_no_wake_without_a_waiting_message(queue: str, service: str) -> None:
    values = handler({}, None)
    assert desired_count(service) == 0
    assert values["DesiredTaskCount"] == 0.0


def test_a_count_above_zero_is_never_changed(queue: str, service: str) -> None:
    boto3.client("ecs").update_service(cluster=service, service="worker", desiredCount=3)
    sqs = boto3.client("sqs")
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    handler({}, None)
    assert desired_count(service) == 3


def test_a_missing_service_still_publishes_the_backlog(
    queue: str, aws_local: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("ecs").create_cluster(clusterName="empty-cluster")
    monkeypatch.setenv("CLUSTER_NAME", "empty-cluster")
    monkeypatch.setenv("SERVICE_NAME", "no-such-service")
    monkeypatch.setenv("IDLE_ALARM_NAME", "no-such-alarm")
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    values = handler({}, None)
    assert values["ApproximateNumberOfMessagesVisible"] == 1
    assert "DesiredTaskCount" not in values


def test_a_throttled_wake_leaves_it_to_the_alarm(
    queue: str, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UpdateService keeps answering with throttling: the run publishes the counts (desired 0)
    so the scale-out alarm wakes the service the slow way, and never fails the invocation."""
    real_client = boto3.client

    def client_with_throttling(name: str, *args: Any, **kwargs: Any) -> Any:
        client = real_client(name, *args, **kwargs)
        if name == "ecs":

            def throttle(request: Any, **_: Any) -> Any:
                return botocore.awsrequest.AWSResponse(
                    request.url,
                    400,
                    {"Content-Type": "application/x-amz-json-1.1"},
                    _RawBody(b'{"__type":"ThrottlingException","message":"Rate exceeded"}'),
                )

            client.meta.events.register("before-send.ecs.UpdateService", throttle)
        return client

    monkeypatch.setattr(boto3, "client", client_with_throttling)
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    values = handler({}, None)
    assert desired_count(service) == 0
    assert values["DesiredTaskCount"] == 0.0


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


# The fast wake's mode (the default): publish the desired count only while it is at least 1 --


@pytest.fixture
def fast(service: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SIGNAL_PUBLISHES, SIGNAL_PUBLISHES_DESIRED)
    return service


def test_fast_an_idle_queue_publishes_nothing(queue: str, fast: str) -> None:
    values = handler({}, None)
    assert values["DesiredTaskCount"] == 0.0
    name = queue.rsplit("/", 1)[-1]
    for metric in ("ApproximateNumberOfMessagesVisible", "DesiredTaskCount"):
        assert published(name, metric) == []


def test_fast_a_waiting_message_wakes_once_and_publishes_only_the_desired_count(
    queue: str, fast: str
) -> None:
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    handler({}, None)
    assert desired_count(fast) == 1
    # The next run finds the message still waiting (the task is starting): no second wake.
    handler({}, None)
    assert desired_count(fast) == 1
    name = queue.rsplit("/", 1)[-1]
    assert published(name, "DesiredTaskCount") == [1.0]
    assert published(name, "ApproximateNumberOfMessagesVisible") == []


def test_fast_a_message_while_tasks_run_changes_nothing(queue: str, fast: str) -> None:
    boto3.client("ecs").update_service(cluster=fast, service="worker", desiredCount=2)
    set_idle_alarm(fast, "OK")
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    handler({}, None)
    assert desired_count(fast) == 2
    assert alarm_of(fast)["ActionsEnabled"] is True


def test_fast_without_a_namespace_publishes_nothing(
    queue: str, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fixed steps: the function only keeps the queue active; it has no namespace to send to."""
    monkeypatch.delenv(SIGNAL_METRIC_NAMESPACE)
    monkeypatch.delenv("SERVICE_NAME")
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="job")
    values = handler({}, None)
    assert values["ApproximateNumberOfMessagesVisible"] == 1.0
    assert published(queue.rsplit("/", 1)[-1], "ApproximateNumberOfMessagesVisible") == []


@pytest.mark.parametrize(("messages", "woken"), [(1, 1), (7, 3), (30, 4)])
def test_fast_a_backlog_on_a_sleeping_service_wakes_its_level(
    queue: str, fast: str, monkeypatch: pytest.MonkeyPatch, messages: int, woken: int
) -> None:
    """One task per 3 visible messages, at most 4: what the backlog sizing would add."""
    monkeypatch.setenv("MESSAGES_PER_TASK", "3")
    monkeypatch.setenv("MAX_CAPACITY", "4")
    sqs = boto3.client("sqs")
    for start in range(0, messages, 10):
        entries = [
            {"Id": str(i), "MessageBody": "job"} for i in range(start, min(messages, start + 10))
        ]
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    values = handler({}, None)
    assert desired_count(fast) == woken
    assert values["DesiredTaskCount"] == float(woken)
    assert published(queue.rsplit("/", 1)[-1], "DesiredTaskCount") == [float(woken)]
