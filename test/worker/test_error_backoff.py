"""The wait after a failed SQS call: counted, logged with its count, cut short by a drain."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from botocore.exceptions import EndpointConnectionError  # type: ignore[import-untyped]

from sqs_scale_to_zero.worker import ConstantBackoff, ExponentialBackoff, WorkerStats
from sqs_scale_to_zero.worker.error_backoff import ErrorBackoff

ERROR = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")


def test_it_counts_logs_and_waits_the_policys_delay(caplog: pytest.LogCaptureFixture) -> None:
    stats = WorkerStats()
    backoff = ErrorBackoff(ConstantBackoff(0.2), stats, threading.Event())
    caplog.set_level(logging.WARNING)
    began = time.monotonic()
    assert backoff.wait("ReceiveMessage", 3, ERROR, logging.WARNING) is False
    assert time.monotonic() - began >= 0.19
    assert stats.sqs_errors == 1
    (record,) = caplog.records
    assert record.getMessage().startswith("ReceiveMessage failed (3 in a row), retrying in 0.2 s")
    assert record.__dict__["consecutive_failures"] == 3


def test_a_drain_or_stop_cuts_the_wait_short() -> None:
    interrupt = threading.Event()
    backoff = ErrorBackoff(ExponentialBackoff(30, 30), WorkerStats(), interrupt)
    threading.Timer(0.1, interrupt.set).start()
    began = time.monotonic()
    assert backoff.wait("GetQueueAttributes", 1, ERROR, logging.ERROR) is True
    assert time.monotonic() - began < 5
