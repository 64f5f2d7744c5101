"""Signals in a real CLI subprocess: during start-up, in storms, twice, and while idle."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from .conftest import finish, send, start_cli, wait_for

SLOW_IMPORT = """
    import time
    from pathlib import Path

    Path("importing").write_text("")
    time.sleep(1.5)  # a heavy module: the worker has not started yet

    def handle(message):
        pass
"""

MARKS = """
    import time
    from pathlib import Path

    def handle(message):
        Path(message.body.split()[0]).write_text("")
        time.sleep(float(message.body.split()[1]))
"""


def test_sigterm_during_start_up_is_a_clean_stop(make_queue: Any, tmp_path: Path) -> None:
    process = start_cli(tmp_path, SLOW_IMPORT, env={"QUEUE_URL": make_queue()})
    wait_for(lambda: (tmp_path / "importing").exists(), what="the handler module to load")
    process.send_signal(signal.SIGTERM)
    output = finish(process, timeout=15)
    assert process.returncode == 0, output  # not -15: ECS would record a crash
    assert '"message": "worker stopped"' in output


def test_a_storm_of_sigterms_is_harmless(sqs: Any, make_queue: Any, tmp_path: Path) -> None:
    url = make_queue()
    process = start_cli(tmp_path, MARKS, "--poll-wait", "1", env={"QUEUE_URL": url})
    send(sqs, url, ["handled 0"])
    wait_for(lambda: (tmp_path / "handled").exists(), what="a first message")
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(signal.SIGTERM)  # keeps coming while the worker shuts down
        time.sleep(0.005)
    output = finish(process, timeout=5)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert output.strip().splitlines()[-1].startswith('{"time"')
    assert '"message": "worker stopped"' in output.strip().splitlines()[-1]


def test_a_second_ctrl_c_exits_at_once(sqs: Any, make_queue: Any, tmp_path: Path) -> None:
    url = make_queue(visibility_timeout=60)
    process = start_cli(
        tmp_path,
        MARKS,
        "--poll-wait",
        "1",
        "--shutdown-grace",
        "60",
        "--log-format",
        "text",
        env={"QUEUE_URL": url},
    )
    send(sqs, url, ["started 120"])
    wait_for(lambda: (tmp_path / "started").exists(), what="a long message to start")
    process.send_signal(signal.SIGINT)  # would wait up to 60 s for the running message
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    output = finish(process, timeout=10)
    assert process.returncode == 130, output
    assert "press Ctrl-C again to exit at once" in output
    assert "second interrupt: exiting now" in output
    assert "Traceback" not in output


def test_ctrl_c_while_idle_exits_promptly_with_a_hint(
    sqs: Any, make_queue: Any, tmp_path: Path
) -> None:
    # The default 20-second long poll is in flight when the signal comes.
    url = make_queue()
    process = start_cli(tmp_path, MARKS, "--log-format", "text", env={"QUEUE_URL": url})
    send(sqs, url, ["handled 0"])
    wait_for(lambda: (tmp_path / "handled").exists(), what="a first message")
    time.sleep(1)  # now idle, in the next long poll
    process.send_signal(signal.SIGINT)
    output = finish(process, timeout=8)  # not the rest of a 20-second poll
    assert process.returncode == 0, output
    assert "received SIGINT; stopping" in output
    assert "worker stopped" in output
