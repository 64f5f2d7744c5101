"""SQS queue semantics: visibility, redrive, delay, inactivity, activity counts."""

from __future__ import annotations

from sqs_scale_to_zero.simulate.models.queue import (
    INACTIVE_AFTER_SECONDS,
    Message,
    MessageState,
    SqsQueue,
)
from sqs_scale_to_zero.simulate.template.specs import QueueSpec


def queue(**kw: float | None) -> SqsQueue:
    return SqsQueue(QueueSpec("Q", "q", **kw), lambda: 600.0)  # type: ignore[arg-type]


def test_visible_in_flight_and_back() -> None:
    q = queue()
    m = Message(0, 0.0, 1.0, 50.0)
    q.send(m, 0.0)
    assert q.gauges() == (0, 0, 1)
    q.make_visible(m)
    assert q.gauges() == (1, 0, 0) and m.state is MessageState.VISIBLE
    # mypy keeps `m.state` narrowed to VISIBLE from the line above; receive() changes it.
    assert q.receive(1.0) is m and q.gauges() == (0, 1, 0)
    assert m.state is MessageState.IN_FLIGHT  # type: ignore[comparison-overlap]
    q.make_visible(m)  # visibility lapsed
    assert q.gauges() == (1, 0, 0)
    assert q.receive(2.0) is m and m.receive_count == 2
    q.delete(m, 3.0)
    assert q.empty


def test_redrive_after_max_receive_count() -> None:
    q = queue(max_receive_count=2)
    m = Message(0, 0.0, 1.0, 50.0)
    q.send(m, 0.0)
    for _ in range(2):
        q.make_visible(m)
        assert q.receive(1.0) is m
    q.make_visible(m)
    assert (
        q.receive(2.0) is None
        and m.state is MessageState.DEAD
        and q.counters.dead_lettered == 1
        and q.empty
    )


def test_delay_seconds_from_the_template() -> None:
    assert queue(delay_seconds=30).send(Message(0, 5.0, 1.0, 50.0), 5.0) == 35.0


def test_inactive_queue_stops_publishing_and_wakes_with_a_delay() -> None:
    q = queue()
    assert q.publishing(60.0)
    assert not q.publishing(INACTIVE_AFTER_SECONDS)
    t = INACTIVE_AFTER_SECONDS + 100
    q.send(Message(0, t, 1.0, 50.0), t)
    assert not q.publishing(t + 599) and q.publishing(t + 600)


def test_activity_counts_sends_receives_and_deletes_until_taken() -> None:
    q = queue()
    a, b = Message(0, 0.0, 1.0, 50.0), Message(1, 5.0, 1.0, 50.0)
    for m, at in ((a, 0.0), (b, 5.0)):
        q.send(m, at)
        q.make_visible(m)
    assert q.receive(6.0) is a
    q.delete(a, 7.0)
    q.delete(a, 8.0)  # a duplicate delivery finishing late deletes it again
    taken = q.take_activity()
    assert (taken.sent, taken.received, taken.deleted) == (2, 1, 2)
    assert q.take_activity() == type(taken)()


def test_oldest_age_skips_finished_messages() -> None:
    q = queue(max_receive_count=1)
    a, b = Message(0, 0.0, 1.0, 50.0), Message(1, 10.0, 1.0, 50.0)
    assert q.oldest_age(0.0) is None
    for m, at in ((a, 0.0), (b, 10.0)):
        q.send(m, at)
        q.make_visible(m)
    assert q.oldest_age(30.0) == 30.0
    assert q.receive(31.0) is a
    q.delete(a, 32.0)
    assert q.oldest_age(40.0) == 30.0
    assert q.receive(41.0) is b
    q.make_visible(b)
    assert q.receive(42.0) is None  # over maxReceiveCount: dead-lettered
    assert q.oldest_age(50.0) is None
