"""SIGTERM in a real subprocess running the CLI: no message is lost or stuck invisible."""

from __future__ import annotations

import signal
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import queue_counts, send, start_cli, wait_for

HANDLER = textwrap.dedent(
    """
    import time
    from pathlib import Path

    def handle(message):
        Path("started").write_text(message.body)
        time.sleep(float(message.body))
        Path("finished").write_text(message.body)
    """
)


@pytest.mark.parametrize(
    ("sleep", "grace", "finished"),
    [(1.5, 6, True), (60, 1, False)],
    ids=[
        "handler-finishes-within-grace-and-is-deleted",
        "grace-runs-out-and-it-is-released",
    ],
)
def test_sigterm_mid_message(
    sqs: Any,
    make_queue: Any,
    tmp_path: Path,
    sleep: float,
    grace: float,
    finished: bool,
) -> None:
    url = make_queue(visibility_timeout=120)
    process = start_cli(
        tmp_path,
        HANDLER,
        "--poll-wait",
        "1",
        env={"QUEUE_URL": url, "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS": str(grace)},
    )
    try:
        send(sqs, url, [str(sleep)])
        wait_for(lambda: (tmp_path / "started").exists(), what="the handler to start")
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=grace + 10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert time.monotonic() - stopped_at < grace + 4
    assert (tmp_path / "finished").exists() is finished
    if finished:
        assert queue_counts(sqs, url) == (0, 0), "a finished message must be deleted"
    else:
        # Released with visibility 0: visible again now, not after the 120-second timeout.
        assert queue_counts(sqs, url) == (1, 0), output
    assert '"message": "worker stopped"' in output
