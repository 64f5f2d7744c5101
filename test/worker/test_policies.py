"""The small policies: values, validation messages, and readable reprs."""

from __future__ import annotations

import pytest

from sqs_scale_to_zero.worker import (
    ConstantBackoff,
    EcsAgentTaskProtection,
    ExponentialBackoff,
    IdleShutdown,
    MaxMessagesShutdown,
    Message,
    NeverShutdown,
    RetryLater,
)


def test_exponential_backoff_grows_and_is_capped() -> None:
    backoff = ExponentialBackoff(initial_seconds=1, maximum_seconds=10, jitter=0)
    assert [backoff.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_jitter_only_shortens_the_delay() -> None:
    backoff = ExponentialBackoff(initial_seconds=4, maximum_seconds=4, jitter=0.5)
    delays = [backoff.delay(1) for _ in range(200)]
    assert all(2 <= d <= 4 for d in delays) and len(set(delays)) > 1


def test_policies_have_readable_reprs() -> None:
    assert repr(ExponentialBackoff(1, 30)) == (
        "ExponentialBackoff(initial_seconds=1, maximum_seconds=30, multiplier=2, jitter=0.5)"
    )
    assert repr(ConstantBackoff(5)) == "ConstantBackoff(seconds=5)"
    assert repr(IdleShutdown(30)) == "IdleShutdown(idle_seconds=30)"
    assert repr(MaxMessagesShutdown(3)) == "MaxMessagesShutdown(max_messages=3)"
    assert repr(NeverShutdown()) == "NeverShutdown()"


def test_shutdown_policies_decide() -> None:
    assert not NeverShutdown().should_stop(idle_seconds=1e9, processed=10**9)
    assert IdleShutdown(5).should_stop(idle_seconds=5, processed=0)
    assert not IdleShutdown(5).should_stop(idle_seconds=4.9, processed=0)
    assert MaxMessagesShutdown(3).should_stop(idle_seconds=0, processed=3)


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: ExponentialBackoff(initial_seconds=-1), "initial_seconds"),
        (
            lambda: ExponentialBackoff(initial_seconds=5, maximum_seconds=1),
            "maximum_seconds",
        ),
        (lambda: ExponentialBackoff(multiplier=0.5), "multiplier"),
        (lambda: ExponentialBackoff(jitter=2), "jitter"),
        (lambda: ConstantBackoff(-1), "seconds"),
        (lambda: IdleShutdown(0), "idle_seconds"),
        (lambda: MaxMessagesShutdown(0), "max_messages"),
        (lambda: RetryLater(43201), "delay_seconds"),
        (
            lambda: EcsAgentTaskProtection("http://a", expires_in_minutes=2881),
            "expires_in_minutes",
        ),
    ],
)
def test_invalid_policy_arguments_name_the_argument(make: object, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        make()  # type: ignore[operator]


def test_message_from_sqs_reads_the_attributes() -> None:
    message = Message.from_sqs(
        {
            "MessageId": "id-1",
            "ReceiptHandle": "rh",
            "Body": '{"order": 7}',
            "Attributes": {"ApproximateReceiveCount": "3", "MessageGroupId": "g"},
            "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "order"}},
        }
    )
    assert message.json() == {"order": 7}
    assert (message.receive_count, message.group_id) == (3, "g")
    assert message.message_attributes["kind"]["StringValue"] == "order"
