"""SQS unreachable or black-holed: the worker still exits in time, and says what it left."""

from __future__ import annotations

import json
import logging
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.worker import ConstantBackoff, Message, Worker
from sqs_scale_to_zero.worker.contract import SHUTDOWN_MARGIN_SECONDS

from .conftest import fast_worker, finish, send, start_cli, tight_client, wait_for
from .faults import FaultyProxy

SLEEPER = """
    import time
    from pathlib import Path

    def handle(message):
        Path("started").write_text(message.body)
        time.sleep(float(message.body))
"""


def test_sigterm_while_sqs_is_black_holed_exits_before_the_stop_timeout(
    sqs: Any, make_queue: Any, proxy: FaultyProxy, tmp_path: Path
) -> None:
    # Given a worker running a long message, with SQS reached through a path that then
    # drops every packet (the SDK's own timeouts and retries would take about a minute),
    grace = 2
    url = make_queue(visibility_timeout=30)
    process = start_cli(
        tmp_path,
        SLEEPER,
        "--poll-wait",
        "1",
        env={
            "QUEUE_URL": url,
            "AWS_ENDPOINT_URL_SQS": proxy.endpoint,
            "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS": str(grace),
        },
    )
    send(sqs, url, ["60"])
    wait_for(lambda: (tmp_path / "started").exists(), what="the handler to start")
    proxy.black_hole.set()
    # when ECS sends SIGTERM,
    process.send_signal(signal.SIGTERM)
    # then it exits 0 before ECS's SIGKILL (grace + the construct's margin) ...
    output = finish(process, timeout=grace + SHUTDOWN_MARGIN_SECONDS)
    assert process.returncode == 0, output
    # ... and its last line says what it could not release.
    last = json.loads(output.strip().splitlines()[-1])
    assert last["message"].startswith("worker stopped; could not release 1 message(s)"), last
    assert last["unreleased"] == 1


def test_a_delete_retried_past_the_visibility_timeout_is_logged_and_counted(
    sqs: Any,
    make_queue: Any,
    proxy: FaultyProxy,
    start: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = make_queue(visibility_timeout=2)

    def handle(message: Message) -> None:
        if message.receive_count == 1:
            proxy.black_hole.set()  # the outage begins as the first delivery finishes

    worker = _worker(handle, url, proxy)
    running = start(worker)
    send(sqs, url, ["x"])
    wait_for(lambda: proxy.black_hole.is_set(), what="the handler")
    time.sleep(3)  # longer than the 2-second visibility timeout
    proxy.black_hole.clear()
    wait_for(lambda: worker.stats.deleted >= 1, what="the delete to get through")
    running.stop()

    # It may have been delivered again meanwhile (that is the duplicate); never silently.
    assert worker.stats.late_deletes >= 1
    assert "after its visibility lapsed" in caplog.text
    assert "SQS may deliver it again, a duplicate" in caplog.text


def test_a_delete_given_up_is_logged_and_counted_in_the_exit_summary(
    sqs: Any,
    make_queue: Any,
    proxy: FaultyProxy,
    start: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sqs_scale_to_zero.worker")
    url = make_queue(visibility_timeout=2)
    worker = _worker(lambda m: proxy.black_hole.set(), url, proxy)
    running = start(worker)
    send(sqs, url, ["x"])
    wait_for(lambda: worker.stats.delete_failures == 1, timeout=30, what="the delete given up")
    running.stop()

    assert "gave up deleting" in caplog.text
    (summary,) = [r for r in caplog.records if r.getMessage().startswith("worker stopped")]
    assert summary.delete_failures == 1  # type: ignore[attr-defined]


def _worker(handler: Any, url: str, proxy: FaultyProxy) -> Worker:
    return fast_worker(
        handler,
        url,
        sqs_client=tight_client(proxy.endpoint),
        error_backoff=ConstantBackoff(0.2),
        shutdown_grace_seconds=1,
    )
