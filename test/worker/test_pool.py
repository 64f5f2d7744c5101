"""The handler pool: one delivery at a time per thread, FIFO groups in order, clean stop."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqs_scale_to_zero.worker.delivery import Outcome
from sqs_scale_to_zero.worker.fifo import FifoGroups
from sqs_scale_to_zero.worker.handlers import FunctionDelivery
from sqs_scale_to_zero.worker.inflight import Holdings, Job, JobState
from sqs_scale_to_zero.worker.message import Message
from sqs_scale_to_zero.worker.pool import HandlerPool

from .conftest import wait_for


def _job(body: str, group: str | None = None) -> Job:
    message = Message(body=body, message_id=body, receipt_handle=body, group_id=group)
    return Job(message, received_at=time.monotonic(), visible_until=time.monotonic() + 30)


class Record:
    """The settle step of a pool under test: notes what finished, frees the slot."""

    def __init__(self, holdings: Holdings, fifo: FifoGroups) -> None:
        self.holdings = holdings
        self.fifo = fifo
        self.settled: list[tuple[str, str]] = []

    def settle(self, job: Job, outcome: Outcome) -> Job | None:
        with self.holdings.lock:
            job.state = JobState.FINISHING
            upcoming = self.fifo.succeeded(job)
        self.settled.append((job.message.body, outcome.name))
        self.holdings.forget(job)
        self.holdings.free_slot()
        return upcoming


def _pool(handler: Any, concurrency: int) -> tuple[HandlerPool, Holdings, Record]:
    holdings, fifo = Holdings(), FifoGroups()
    record = Record(holdings, fifo)
    pool = HandlerPool(
        FunctionDelivery(handler),
        concurrency,
        holdings=holdings,
        fifo=fifo,
        settle=record.settle,
    )
    return pool, holdings, record


def test_it_runs_up_to_concurrency_deliveries_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def handle(message: Message) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    pool, holdings, record = _pool(handle, 3)
    jobs = [_job(f"m{i}") for i in range(9)]
    holdings.add(jobs)
    pool.start()
    pool.dispatch(jobs)
    wait_for(lambda: len(record.settled) == 9, timeout=10, what="nine deliveries")
    pool.stop()
    assert most == 3
    assert pool.average_seconds is not None and pool.average_seconds >= 0.04


def test_a_fifo_group_runs_one_at_a_time_in_the_order_received() -> None:
    order: list[str] = []

    def handle(message: Message) -> None:
        order.append(message.body)
        time.sleep(0.01)

    pool, holdings, record = _pool(handle, 4)
    jobs = [_job(f"{group}{i}", group) for i in range(3) for group in "ab"]
    holdings.add(jobs)
    pool.start()
    pool.dispatch(jobs)
    wait_for(lambda: len(record.settled) == 6, timeout=10, what="six deliveries")
    pool.stop()
    for group in "ab":
        assert [body for body in order if body[0] == group] == [f"{group}{i}" for i in range(3)]


def test_jobs_handed_back_before_they_start_are_skipped() -> None:
    gate = threading.Event()
    pool, holdings, record = _pool(lambda m: gate.wait(5), 1)
    first, second = _job("first"), _job("second")
    holdings.add([first, second])
    pool.start()
    pool.dispatch([first, second])
    wait_for(lambda: first.state is JobState.RUNNING, what="the first delivery")
    assert pool.take_waiting() == [second]
    holdings.take_back([second])
    gate.set()
    wait_for(lambda: len(record.settled) == 1, what="the first to finish")
    pool.stop()
    time.sleep(0.1)
    assert record.settled == [("first", "succeeded")]


def test_stop_ends_the_threads_and_closes_each_ones_delivery() -> None:
    closed: list[str] = []

    class Closing(FunctionDelivery):
        def close(self) -> None:
            closed.append(threading.current_thread().name)
            super().close()

    holdings, fifo = Holdings(), FifoGroups()
    pool = HandlerPool(
        Closing(print), 2, holdings=holdings, fifo=fifo, settle=Record(holdings, fifo).settle
    )
    pool.start()
    pool.stop()
    wait_for(lambda: len(closed) == 2, what="both threads to end")
    assert sorted(closed) == ["sqs-handler-0", "sqs-handler-1"]
