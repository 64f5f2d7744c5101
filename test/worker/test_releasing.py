"""Handing held messages back: at once, within a deadline, or after a retry delay."""

from __future__ import annotations

import time
from typing import Any

from sqs_scale_to_zero.worker import WorkerStats
from sqs_scale_to_zero.worker.inflight import Holdings, JobState
from sqs_scale_to_zero.worker.receive_window import ReceiveWindow
from sqs_scale_to_zero.worker.releasing import Releaser

from .conftest import queue_counts, send, tight_client, wait_for
from .parts import received_jobs


def test_give_back_makes_held_messages_visible_at_once_and_forgets_them(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a", "b"])
    jobs = received_jobs(sqs, url, 2)
    held, stats = Holdings(), WorkerStats()
    held.add(jobs)
    releaser = Releaser(sqs, url, held, stats, window=ReceiveWindow())

    assert releaser.give_back(jobs, "testing") == []

    assert queue_counts(sqs, url) == (2, 0)
    assert stats.released == 2 and held.active == 0 and held.snapshot() == []
    assert all(job.state is JobState.DONE for job in jobs)
    assert releaser.give_back(jobs, "again") == [] and stats.released == 2  # only once


def test_a_hand_back_stays_out_of_reach_of_the_receives_in_flight_until_they_return(
    sqs: Any, make_queue: Any
) -> None:
    # given two held messages, and two receives in flight that may take 20 s more
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a", "b"])
    jobs = received_jobs(sqs, url, 2)
    held, stats, window = Holdings(), WorkerStats(), ReceiveWindow()
    held.add(jobs)
    first, second = (window.open(time.monotonic() + 20) for _ in range(2))
    releaser = Releaser(sqs, url, held, stats, window=window)

    # when they are handed back
    assert releaser.give_back(jobs, "testing") == []

    # then no receive in flight can take them; once both returned, they are visible at once
    assert stats.released == 2 and held.active == 0
    assert queue_counts(sqs, url) == (0, 2)
    window.close(first)
    releaser.receive_returned()
    assert queue_counts(sqs, url) == (0, 2)  # the other one is still in flight
    window.close(second)
    releaser.receive_returned()
    assert queue_counts(sqs, url) == (2, 0)
    assert stats.released == 2  # counted once


def test_a_hand_back_is_visible_at_the_latest_when_the_receives_in_flight_must_have_returned(
    sqs: Any, make_queue: Any
) -> None:
    # a receive that never reports back (its loop died) delays the hand-back, no longer
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a"])
    jobs = received_jobs(sqs, url, 1)
    held, window = Holdings(), ReceiveWindow()
    held.add(jobs)
    window.open(time.monotonic() + 1.5)
    Releaser(sqs, url, held, WorkerStats(), window=window).give_back(jobs, "testing")
    assert queue_counts(sqs, url) == (0, 1)
    wait_for(lambda: queue_counts(sqs, url) == (1, 0), timeout=5, what="the bound")


def test_a_hand_back_about_to_be_visible_is_left_to_become_visible_by_itself(
    sqs: Any, make_queue: Any
) -> None:
    # a change sent so late could reach SQS after a successor received the message
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a"])
    jobs = received_jobs(sqs, url, 1)
    held, window = Holdings(), ReceiveWindow()
    held.add(jobs)
    token = window.open(time.monotonic() + 0.5)
    releaser = Releaser(sqs, url, held, WorkerStats(), window=window)
    releaser.give_back(jobs, "testing")  # visible in 1 s, no more than the margin
    window.close(token)
    releaser.receive_returned()
    assert queue_counts(sqs, url) == (0, 1)
    wait_for(lambda: queue_counts(sqs, url) == (1, 0), timeout=5, what="the visibility")


def test_followers_of_a_failed_fifo_head_are_handed_back_at_once_beside_a_receive(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a"])
    jobs = received_jobs(sqs, url, 1)
    held, window = Holdings(), ReceiveWindow()
    held.add(jobs)
    window.open(time.monotonic() + 20)
    releaser = Releaser(sqs, url, held, WorkerStats(), window=window)
    releaser.give_back(jobs, "testing", group_locked=True)
    assert queue_counts(sqs, url) == (1, 0)


def test_delay_makes_a_message_visible_after_the_delay(sqs: Any, make_queue: Any) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a"])
    (job,) = received_jobs(sqs, url, 1)
    held = Holdings()
    held.add([job])
    Releaser(sqs, url, held, WorkerStats(), window=ReceiveWindow()).delay(job, 1)
    assert queue_counts(sqs, url) == (0, 1)
    time.sleep(1.5)
    assert queue_counts(sqs, url) == (1, 0)
    assert held.snapshot() == []


def test_give_back_within_a_deadline_counts_what_sqs_did_not_answer_in_time(
    sqs: Any, make_queue: Any, proxy: Any
) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a", "b"])
    jobs = received_jobs(sqs, url, 2)
    held = Holdings()
    held.add(jobs)
    releaser = Releaser(
        tight_client(proxy.endpoint, read_timeout=5),
        url,
        held,
        WorkerStats(),
        window=ReceiveWindow(),
    )
    proxy.black_hole.set()
    began = time.monotonic()
    assert releaser.give_back_within(jobs, "shutting down", time.monotonic() + 0.5) == 2
    assert time.monotonic() - began < 1.5
