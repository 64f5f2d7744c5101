"""After a delivery: delete on success, the requested or backed-off delay otherwise, FIFO kept."""

from __future__ import annotations

import time
from typing import Any

from sqs_scale_to_zero.worker import ConstantBackoff, WorkerStats
from sqs_scale_to_zero.worker.dead_letters import DeadLetters
from sqs_scale_to_zero.worker.deletes import Deleter
from sqs_scale_to_zero.worker.delivery import Outcome
from sqs_scale_to_zero.worker.fifo import FifoGroups
from sqs_scale_to_zero.worker.inflight import Holdings, Job, JobState
from sqs_scale_to_zero.worker.receive_window import ReceiveWindow
from sqs_scale_to_zero.worker.releasing import Releaser
from sqs_scale_to_zero.worker.settling import Settler

from .conftest import queue_counts, send, wait_for
from .parts import received_jobs


def _settler(sqs: Any, url: str, window: ReceiveWindow | None = None) -> tuple[Settler, Any]:
    holdings, fifo, stats = Holdings(), FifoGroups(), WorkerStats()
    window = window or ReceiveWindow()
    deleter = Deleter(sqs, url, stats=stats, backoff=ConstantBackoff(0.1), on_done=holdings.forget)
    deleter.start()
    settler = Settler(
        holdings=holdings,
        fifo=fifo,
        releaser=Releaser(sqs, url, holdings, stats, window=window),
        deleter=deleter,
        dead_letters=DeadLetters(sqs, None, stats),
        stats=stats,
        retry_backoff=ConstantBackoff(2),
        poll_wait_seconds=1,
        window=window,
    )
    return settler, (holdings, fifo, stats, deleter)


def _running(holdings: Holdings, fifo: FifoGroups, jobs: list[Job]) -> None:
    holdings.add(jobs)
    for job in jobs:
        fifo.admit(job)
    jobs[0].state = JobState.RUNNING


def test_success_deletes_and_frees_the_slot(sqs: Any, make_queue: Any) -> None:
    url = make_queue()
    send(sqs, url, ["a"])
    (job,) = received_jobs(sqs, url, 1)
    settler, (holdings, fifo, stats, deleter) = _settler(sqs, url)
    _running(holdings, fifo, [job])
    assert settler.settle(job, Outcome.succeeded(job.message, time.monotonic())) is None
    wait_for(lambda: stats.deleted == 1, what="the delete")
    deleter.close(2)
    assert holdings.active == 0 and queue_counts(sqs, url) == (0, 0)


def test_a_failure_gets_the_retry_backoff_and_a_retry_later_its_own_delay(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue()
    send(sqs, url, ["failing", "later"])
    failing, later = received_jobs(sqs, url, 2)
    settler, (holdings, fifo, stats, deleter) = _settler(sqs, url)
    _running(holdings, fifo, [failing])
    _running(holdings, fifo, [later])
    settler.settle(failing, Outcome.failed(failing.message, time.monotonic(), ValueError()))
    settler.settle(later, Outcome.retry_later(later.message, time.monotonic(), 60))
    deleter.close(2)
    assert (stats.failed, stats.retried) == (1, 1)
    time.sleep(2.5)  # the backoff (2 s) is over, the RetryLater (60 s) is not
    assert queue_counts(sqs, url) == (1, 1)


def test_the_next_of_a_fifo_group_starts_only_after_its_head_succeeded(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(fifo=True)
    send(sqs, url, ["head", "next"], MessageGroupId="g")
    head, following = received_jobs(sqs, url, 2)
    settler, (holdings, fifo, _, deleter) = _settler(sqs, url)
    _running(holdings, fifo, [head, following])
    assert settler.settle(head, Outcome.succeeded(head.message, time.monotonic())) is following
    deleter.close(2)


def test_a_failed_fifo_head_hands_its_group_back_and_waits_out_the_receive_in_flight(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(fifo=True)
    send(sqs, url, ["head", "next"], MessageGroupId="g")
    head, following = received_jobs(sqs, url, 2)
    window = ReceiveWindow()
    window.open(time.monotonic() + 3)
    settler, (holdings, fifo, stats, deleter) = _settler(sqs, url, window)
    _running(holdings, fifo, [head, following])
    failure = Outcome.failed(head.message, time.monotonic(), ValueError())
    assert settler.settle(head, failure) is None
    deleter.close(2)
    assert stats.released == 1 and following.state is JobState.DONE
    assert holdings.snapshot() == []
    # delay raised from the backoff's 2 s to the 3 s the receive in flight may still take
    time.sleep(2.2)
    assert queue_counts(sqs, url) == (1, 1)  # the rest of the group visible, the head not


def test_a_delivery_that_ends_after_its_message_was_handed_back_changes_nothing(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue()
    send(sqs, url, ["a"])
    (job,) = received_jobs(sqs, url, 1)
    settler, (holdings, fifo, stats, deleter) = _settler(sqs, url)
    _running(holdings, fifo, [job])
    holdings.take_back([job])
    assert settler.settle(job, Outcome.succeeded(job.message, time.monotonic())) is None
    deleter.close(2)
    assert stats.succeeded == 0 and stats.deleted == 0
