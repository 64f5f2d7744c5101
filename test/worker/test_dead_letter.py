"""``raise DeadLetter(reason)``: the message moves to the dead-letter queue at once, against moto.

Send first, then delete: a send that fails leaves the message on its queue (retried, logged in
one line); a delete that fails after the send leaves a second copy at worst, never a loss.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.worker import (
    ConfigurationError,
    ConstantBackoff,
    DeadLetter,
    Message,
    Worker,
    WorkerConfig,
    contract,
)

from .conftest import fast_worker, finish, queue_counts, send, start_cli, tight_client, wait_for
from .faults import FaultyProxy

REASON = contract.DEAD_LETTER_REASON_ATTRIBUTE
ATTRIBUTES = {
    "tenant": {"DataType": "String", "StringValue": "acme"},
    "attempt": {"DataType": "Number", "StringValue": "7"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
}


def dead_letter_queue_of(sqs: Any, url: str) -> str:
    """The URL of the queue that ``url``'s redrive policy names."""
    policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    arn = json.loads(policy["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"]
    return str(sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"])


def receive_all(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    """Exactly ``count`` messages of ``url`` (received, left in flight), within 10 receives."""
    got: list[dict[str, Any]] = []
    for _ in range(10):
        response = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        got += response.get("Messages", [])
        if len(got) >= count:
            break
    assert len(got) == count, got
    return got


@pytest.fixture(autouse=True)
def worker_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sqs_scale_to_zero.worker")


def run_until_deleted(start: Any, handler: Any, url: str, deletes: int, **options: Any) -> Worker:
    """Run a test-sized worker until it has deleted ``deletes`` messages; return it stopped."""
    worker = fast_worker(handler, url, **options)
    running = start(worker)
    wait_for(lambda: worker.stats.deleted == deletes, what=f"{deletes} delete(s)")
    running.stop()
    return worker


def dead_letter_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "dead-lettered" in r.getMessage()]


def test_the_message_lands_in_the_dlq_at_once_with_body_attributes_and_reason(
    sqs: Any, make_queue: Any, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_queue(dlq_after=3)
    dlq = dead_letter_queue_of(sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="not json at all", MessageAttributes=ATTRIBUTES)
    seen: list[Message] = []

    def handle(message: Message) -> None:
        seen.append(message)
        message.json()  # fails: a poison message
        raise AssertionError("unreachable")

    def poison(message: Message) -> None:
        try:
            handle(message)
        except ValueError as error:
            raise DeadLetter(f"body is not JSON:\n  {error}") from error

    worker = run_until_deleted(start, poison, url, 1, dead_letter_queue_url=dlq)
    (copy,) = receive_all(sqs, dlq, 1)
    assert copy["Body"] == "not json at all"
    attributes = copy["MessageAttributes"]
    assert {name: attributes[name] for name in ATTRIBUTES} == ATTRIBUTES
    assert attributes[REASON]["DataType"] == "String"
    assert attributes[REASON]["StringValue"].startswith("body is not JSON: Expecting value")
    assert queue_counts(sqs, url) == (0, 0)
    # At once: one delivery, not max_receive_count of them.
    assert [m.receive_count for m in seen] == [1]
    assert worker.stats.dead_lettered == 1 and worker.stats.failed == 0
    (line,) = dead_letter_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "\n" not in line.getMessage()
    assert line.__dict__["outcome"] == "dead_letter"
    assert line.__dict__["message_id"] == seen[0].message_id


def test_a_fifo_copy_keeps_its_group_and_the_group_goes_on(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue(fifo=True, dlq_after=3)
    dlq = dead_letter_queue_of(sqs, url)
    send(sqs, url, ["poison", "next"], MessageGroupId="g1")
    handled: list[str] = []

    def handle(message: Message) -> None:
        handled.append(message.body)
        if message.body == "poison":
            raise DeadLetter("cannot be read")

    run_until_deleted(start, handle, url, 2, dead_letter_queue_url=dlq)
    assert handled == ["poison", "next"]
    (copy,) = receive_all(sqs, dlq, 1)
    assert copy["Body"] == "poison"
    assert copy["Attributes"]["MessageGroupId"] == "g1"
    assert copy["MessageAttributes"][REASON]["StringValue"] == "cannot be read"
    assert queue_counts(sqs, url) == (0, 0)


def test_a_dlq_that_does_not_exist_leaves_the_message_on_its_queue(
    sqs: Any, make_queue: Any, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_queue(dlq_after=5)
    missing = url + "-gone"
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    calls: list[int] = []

    def handle(message: Message) -> None:
        calls.append(message.receive_count)
        raise DeadLetter("never works")

    worker = fast_worker(
        handle, url, dead_letter_queue_url=missing, retry_backoff=ConstantBackoff(30)
    )
    running = start(worker)
    wait_for(lambda: worker.stats.failed == 1, what="the failed move")
    running.stop()
    assert calls == [1]
    assert worker.stats.dead_letter_failures == 1 and worker.stats.deleted == 0
    assert sum(queue_counts(sqs, url)) == 1  # still there, invisible for the retry backoff
    (line,) = [r for r in caplog.records if "not dead-lettered" in r.getMessage()]
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "never works" in line.getMessage() and "SendMessage" in line.getMessage()
    assert line.__dict__["retry_in_seconds"] == 30
    assert line.__dict__["outcome"] == "dead_letter_not_sent"


def test_without_a_dlq_the_message_is_left_to_the_redrive_policy(
    sqs: Any, make_queue: Any, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_queue(dlq_after=2, visibility_timeout=2)
    dlq = dead_letter_queue_of(sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    def handle(message: Message) -> None:
        raise DeadLetter("never works")

    worker = fast_worker(handle, url, retry_backoff=ConstantBackoff(0))
    running = start(worker)
    wait_for(lambda: worker.stats.failed == 2, what="two deliveries")
    wait_for(lambda: queue_counts(sqs, dlq)[0] == 1, what="the redrive policy's move")
    running.stop()
    assert worker.stats.dead_lettered == 0 and worker.stats.dead_letter_failures == 2
    lines = [r for r in caplog.records if "not dead-lettered" in r.getMessage()]
    assert len(lines) == 2 and all(r.exc_info is None for r in lines)
    assert f"${contract.DEAD_LETTER_QUEUE_URL} is unset" in lines[0].getMessage()
    (copy,) = receive_all(sqs, dlq, 1)
    assert REASON not in copy.get("MessageAttributes", {})  # SQS's own move adds nothing


def test_ten_attributes_leave_no_room_for_the_reason_which_the_log_keeps(
    sqs: Any, make_queue: Any, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_queue(dlq_after=3)
    dlq = dead_letter_queue_of(sqs, url)
    ten = {f"a{n}": {"DataType": "String", "StringValue": str(n)} for n in range(10)}
    sqs.send_message(QueueUrl=url, MessageBody="full", MessageAttributes=ten)

    def handle(message: Message) -> None:
        raise DeadLetter("no room")

    run_until_deleted(start, handle, url, 1, dead_letter_queue_url=dlq)
    (copy,) = receive_all(sqs, dlq, 1)
    assert copy["MessageAttributes"] == ten
    (line,) = dead_letter_lines(caplog)
    assert "no room" in line.getMessage()


def test_a_failed_delete_after_the_send_gives_a_second_copy_and_loses_nothing(
    sqs: Any, make_queue: Any, proxy: FaultyProxy, start: Any
) -> None:
    url = make_queue(dlq_after=5, visibility_timeout=2)
    dlq = dead_letter_queue_of(sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    client = tight_client(proxy.endpoint)
    sends: list[int] = []

    def cut_after_the_first_send(**_: Any) -> None:
        sends.append(1)
        if len(sends) == 1:
            proxy.black_hole.set()  # the delete that follows never reaches SQS

    client.meta.events.register("after-call.sqs.SendMessage", cut_after_the_first_send)

    def handle(message: Message) -> None:
        raise DeadLetter("poison")

    worker = fast_worker(handle, url, dead_letter_queue_url=dlq, sqs_client=client)
    running = start(worker)
    wait_for(lambda: worker.stats.delete_failures == 1, timeout=30, what="the delete given up")
    proxy.black_hole.clear()
    wait_for(lambda: worker.stats.deleted == 1, timeout=30, what="the second move's delete")
    running.stop()
    assert worker.stats.dead_lettered == 2
    assert [m["Body"] for m in receive_all(sqs, dlq, 2)] == ["poison", "poison"]
    assert queue_counts(sqs, url) == (0, 0)


def test_the_cli_dead_letters_in_one_line_without_a_traceback(
    sqs: Any, make_queue: Any, tmp_path: Path
) -> None:
    url = make_queue(dlq_after=3)
    dlq = dead_letter_queue_of(sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="not json at all")
    source = """
        import json
        from sqs_scale_to_zero.worker import DeadLetter

        def handle(message):
            try:
                json.loads(message.body)
            except ValueError:
                raise DeadLetter("body is not JSON")
    """
    process = start_cli(
        tmp_path,
        source,
        "--poll-wait",
        "1",
        "--max-messages",
        "1",
        "--log-format",
        "text",
        env={contract.QUEUE_URL: url, contract.DEAD_LETTER_QUEUE_URL: dlq},
    )
    output = finish(process, timeout=30)
    assert process.returncode == 0, output
    lines = [line for line in output.splitlines() if "dead-lettered" in line]
    assert len(lines) == 1 and "body is not JSON" in lines[0], output
    assert "Traceback" not in output
    (copy,) = receive_all(sqs, dlq, 1)
    assert copy["MessageAttributes"][REASON]["StringValue"] == "body is not JSON"


def test_a_local_run_without_a_dlq_says_so_in_one_line_and_keeps_the_message(
    sqs: Any, make_queue: Any, tmp_path: Path
) -> None:
    url = make_queue(visibility_timeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="not json at all")
    source = """
        from sqs_scale_to_zero.worker import DeadLetter

        def handle(message):
            raise DeadLetter("body is not JSON")
    """
    process = start_cli(
        tmp_path,
        source,
        *("--queue-url", url, "--poll-wait", "1", "--max-messages", "1", "--log-format", "text"),
    )
    output = finish(process, timeout=30)
    assert process.returncode == 0, output
    (line,) = [line for line in output.splitlines() if "dead-lettered" in line]
    assert "not dead-lettered (body is not JSON)" in line
    assert f"${contract.DEAD_LETTER_QUEUE_URL} is unset" in line
    assert "Traceback" not in output
    assert sum(queue_counts(sqs, url)) == 1


def test_the_cli_refuses_a_dlq_of_the_other_kind_in_one_line(
    make_queue: Any, tmp_path: Path
) -> None:
    url = make_queue(fifo=True)
    process = start_cli(
        tmp_path,
        "def handle(message): pass\n",
        "--queue-url",
        url,
        "--dead-letter-queue-url",
        url[:-5] + "-dlq",
    )
    output = finish(process, timeout=20)
    assert process.returncode == 2
    assert output.strip().splitlines() == [
        f"error: --dead-letter-queue-url must be a FIFO queue (its URL ending in .fifo), as the "
        f"queue is (got {url[:-5]}-dlq): SQS requires a dead-letter queue of the same type"
    ]


@pytest.mark.parametrize(
    ("queue", "dlq", "expected"),
    [
        ("https://q/a", "https://q/a-dlq.fifo", "must be a standard queue"),
        ("https://q/a.fifo", "https://q/a-dlq", "must be a FIFO queue"),
        ("https://q/a", "https://q/a", "is the queue itself"),
    ],
)
def test_a_dlq_setting_that_cannot_work_is_refused(queue: str, dlq: str, expected: str) -> None:
    environ = {contract.QUEUE_URL: queue, contract.DEAD_LETTER_QUEUE_URL: dlq}
    with pytest.raises(ConfigurationError, match=f"\\${contract.DEAD_LETTER_QUEUE_URL} {expected}"):
        WorkerConfig.from_environment(environ)


def test_the_dlq_setting_is_read_from_the_environment_and_an_argument_wins() -> None:
    environ = {contract.QUEUE_URL: "https://q/a", contract.DEAD_LETTER_QUEUE_URL: "https://q/d"}
    assert WorkerConfig.from_environment(environ).dead_letter_queue_url == "https://q/d"
    given = WorkerConfig.from_environment(environ, dead_letter_queue_url="https://q/e")
    assert given.dead_letter_queue_url == "https://q/e"
    assert WorkerConfig.from_environment({contract.QUEUE_URL: "x"}).dead_letter_queue_url is None


def test_the_reason_is_one_line_of_at_most_1024_characters() -> None:
    assert DeadLetter("bad\n\tbody\x00 here").reason == "bad body? here"
    long = DeadLetter("x" * 5000).reason
    assert len(long) == contract.DEAD_LETTER_REASON_MAX_CHARACTERS and long.endswith("...")
    with pytest.raises(ValueError, match="reason must say why"):
        DeadLetter(" \n ")
    with pytest.raises(TypeError, match="reason must be a string"):
        DeadLetter(404)  # type: ignore[arg-type]
