"""A pause, a drain or a stop hands back the messages not started, each received once only.

The worker keeps several receives in flight (see ``receiving.py``); a message handed back must
not be visible to them, or they take it again and raise its receive count toward the queue's
dead-letter queue. moto's receives are made atomic here (``atomic_moto_receives``), as SQS's are,
so every count is SQS's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sqs_scale_to_zero.worker import Worker

from .conftest import Running, fast_worker, queue_counts, send, wait_for
from .deploys import LongJob
from .parts import received_jobs

pytestmark = pytest.mark.usefixtures("atomic_moto_receives")


def _prefetched(
    make_queue: Callable[..., str], sqs: Any, start: Callable[[Worker], Running]
) -> tuple[str, LongJob, Worker, Running]:
    """A worker that runs one long job and has prefetched three more behind it."""
    url = make_queue(visibility_timeout=30)
    job = LongJob()
    worker = fast_worker(job, url, concurrency=1)
    running = start(worker)
    send(sqs, url, ["quick"])  # one finished handler: now the worker prefetches
    wait_for(lambda: worker.stats.deleted == 1, what="the first message")
    send(sqs, url, ["long"] * 4)
    wait_for(job.started.is_set, what="the long job")
    wait_for(lambda: worker.stats.received == 5, what="the prefetch")
    return url, job, worker, running


def _received_once_each(sqs: Any, url: str, count: int) -> None:
    """The ``count`` visible messages were received once before: by the worker, now handed back."""
    jobs = received_jobs(sqs, url, count)
    assert [job.message.receive_count for job in jobs] == [2] * count


def test_drain_hands_back_messages_it_has_not_started(
    make_queue: Callable[..., str],
    sqs: Any,
    start: Callable[[Worker], Running],
) -> None:
    # given a worker that runs one long job and has prefetched three more behind it
    url, job, worker, running = _prefetched(make_queue, sqs, start)

    # when it drains
    worker.drain("a test says so")

    # then the three waiting ones are visible again soon, and the running one finishes
    wait_for(lambda: queue_counts(sqs, url) == (3, 1), what="the hand-back")
    job.finish.set()
    running.thread.join(15)
    assert not running.thread.is_alive()
    assert job.handled == ["quick", "long"]
    assert queue_counts(sqs, url) == (3, 0)
    assert worker.stats.released == 3 and worker.stats.received == 5
    _received_once_each(sqs, url, 3)


def test_pause_hands_back_messages_it_has_not_started_once(
    make_queue: Callable[..., str],
    sqs: Any,
    start: Callable[[Worker], Running],
) -> None:
    # given a worker that runs one long job and has prefetched three more behind it
    url, job, worker, running = _prefetched(make_queue, sqs, start)

    # when it pauses
    worker.pause_receiving("a test says so")

    # then the three waiting ones are visible again soon, and none is received again
    wait_for(lambda: queue_counts(sqs, url) == (3, 1), what="the hand-back")
    job.finish.set()
    wait_for(lambda: queue_counts(sqs, url) == (3, 0), what="the long job")
    worker.stop()
    running.thread.join(15)
    assert not running.thread.is_alive()
    assert worker.stats.released == 3 and worker.stats.received == 5
    _received_once_each(sqs, url, 3)


def test_stop_hands_back_messages_it_has_not_started_once(
    make_queue: Callable[..., str],
    sqs: Any,
    start: Callable[[Worker], Running],
) -> None:
    # given a worker that runs one long job and has prefetched three more behind it
    url, job, worker, running = _prefetched(make_queue, sqs, start)

    # when it stops, and the long job finishes within the grace period
    worker.stop()
    wait_for(lambda: worker.stats.released == 3, what="the hand-back")
    job.finish.set()
    running.thread.join(15)

    # then the three waiting ones are handed back once, and no receive took them again
    assert not running.thread.is_alive()
    assert job.handled == ["quick", "long"]
    wait_for(lambda: queue_counts(sqs, url) == (3, 0), what="the hand-back")
    assert worker.stats.released == 3 and worker.stats.received == 5
    _received_once_each(sqs, url, 3)
