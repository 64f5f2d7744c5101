"""Handing held messages back: at once, within a deadline, or after a retry delay."""

from __future__ import annotations

import time
from typing import Any

from sqs_scale_to_zero.worker import WorkerStats
from sqs_scale_to_zero.worker.inflight import Holdings, JobState
from sqs_scale_to_zero.worker.releasing import Releaser

from .conftest import queue_counts, send, tight_client
from .parts import received_jobs


def test_give_back_makes_held_messages_visible_at_once_and_forgets_them(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a", "b"])
    jobs = received_jobs(sqs, url, 2)
    held, stats = Holdings(), WorkerStats()
    held.add(jobs)
    releaser = Releaser(sqs, url, held, stats)

    assert releaser.give_back(jobs, "testing") == []

    assert queue_counts(sqs, url) == (2, 0)
    assert stats.released == 2 and held.active == 0 and held.snapshot() == []
    assert all(job.state is JobState.DONE for job in jobs)
    assert releaser.give_back(jobs, "again") == [] and stats.released == 2  # only once


def test_delay_makes_a_message_visible_after_the_delay(sqs: Any, make_queue: Any) -> None:
    url = make_queue(visibility_timeout=30)
    send(sqs, url, ["a"])
    (job,) = received_jobs(sqs, url, 1)
    held = Holdings()
    held.add([job])
    Releaser(sqs, url, held, WorkerStats()).delay(job, 1)
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
    releaser = Releaser(tight_client(proxy.endpoint, read_timeout=5), url, held, WorkerStats())
    proxy.black_hole.set()
    began = time.monotonic()
    assert releaser.give_back_within(jobs, "shutting down", time.monotonic() + 0.5) == 2
    assert time.monotonic() - began < 1.5
