"""Deletes: batched when messages finish together, and lingering on a standard queue."""

from __future__ import annotations

import time
from typing import Any

from sqs_scale_to_zero.worker import ConstantBackoff, WorkerStats
from sqs_scale_to_zero.worker.deletes import Deleter
from sqs_scale_to_zero.worker.inflight import Holdings

from .conftest import queue_counts, send, wait_for, worker_client
from .parts import received_jobs


def _calls(client: Any) -> list[int]:
    sizes: list[int] = []
    client.meta.events.register(
        "before-parameter-build.sqs.DeleteMessageBatch",
        lambda params, **_: sizes.append(len(params["Entries"])),
    )
    return sizes


def test_messages_finishing_one_by_one_share_a_call_while_they_linger(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(visibility_timeout=60)
    send(sqs, url, [f"m{i}" for i in range(5)])
    jobs = received_jobs(sqs, url, 5, visibility=60)
    client = worker_client()
    sizes = _calls(client)
    held, stats = Holdings(), WorkerStats()
    held.add(jobs)
    deleter = Deleter(
        client,
        url,
        stats=stats,
        backoff=ConstantBackoff(0.1),
        on_done=held.forget,
        linger_seconds=1,
    )
    deleter.start()
    for job in jobs:  # a 50 ms handler at concurrency 1
        deleter.delete(job)
        time.sleep(0.05)
    wait_for(lambda: stats.deleted == 5, what="five deletes")
    assert deleter.close(2) == 0
    assert sizes == [5] and queue_counts(sqs, url) == (0, 0)


def test_without_linger_or_near_its_visibility_end_a_message_is_deleted_at_once(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue(visibility_timeout=60)
    send(sqs, url, ["soon invisible no more", "no linger"])
    near_end, plain = received_jobs(sqs, url, 2, visibility=60)
    near_end.visible_until = time.monotonic() + 2  # within LINGER_MARGIN_SECONDS
    client = worker_client()
    sizes = _calls(client)
    stats = WorkerStats()
    lingering = Deleter(
        client, url, stats=stats, backoff=ConstantBackoff(0.1), on_done=print, linger_seconds=30
    )
    lingering.start()
    lingering.delete(near_end)
    wait_for(lambda: stats.deleted == 1, timeout=5, what="the delete near the end")
    at_once = Deleter(client, url, stats=stats, backoff=ConstantBackoff(0.1), on_done=print)
    at_once.start()
    at_once.delete(plain)
    wait_for(lambda: stats.deleted == 2, timeout=5, what="the delete without linger")
    assert sizes == [1, 1]
    assert lingering.close(2) == 0 and at_once.close(2) == 0


def test_close_deletes_what_lingers_at_once(sqs: Any, make_queue: Any) -> None:
    url = make_queue(visibility_timeout=60)
    send(sqs, url, ["a"])
    (job,) = received_jobs(sqs, url, 1, visibility=60)
    stats = WorkerStats()
    deleter = Deleter(
        sqs, url, stats=stats, backoff=ConstantBackoff(0.1), on_done=print, linger_seconds=30
    )
    deleter.start()
    deleter.delete(job)
    began = time.monotonic()
    assert deleter.close(5) == 0
    assert time.monotonic() - began < 2 and stats.deleted == 1


def test_a_lingering_delete_goes_out_once_the_worker_falls_idle(sqs: Any, make_queue: Any) -> None:
    url = make_queue(visibility_timeout=60)
    send(sqs, url, ["last"])
    (job,) = received_jobs(sqs, url, 1, visibility=60)
    stats = WorkerStats()
    busy = [True]
    deleter = Deleter(
        sqs,
        url,
        stats=stats,
        backoff=ConstantBackoff(0.1),
        on_done=print,
        linger_seconds=30,
        busy=lambda: busy[0],
    )
    deleter.start()
    deleter.delete(job)
    time.sleep(0.5)
    assert stats.deleted == 0  # lingers while more may finish
    busy[0] = False  # nothing held any more
    wait_for(lambda: stats.deleted == 1, timeout=2, what="the delete once idle")
    assert deleter.close(2) == 0
