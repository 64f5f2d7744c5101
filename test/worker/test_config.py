"""Settings: every bad value is refused at start-up with one line naming it, exit 2."""

from __future__ import annotations

import asyncio
import math
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.worker import (
    ConfigurationError,
    IdleShutdown,
    Message,
    Worker,
    WorkerConfig,
    contract,
)

from .conftest import fast_worker, queue_counts, receive_log, send, wait_for, worker_client

QUEUE = {"QUEUE_URL": "http://127.0.0.1:9/123456789012/q"}
NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    ("overrides", "environ", "named"),
    [
        ({"shutdown_grace_seconds": NAN}, {}, "shutdown_grace_seconds"),
        ({}, {"SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS": "nan"}, "$SCALE_TO_ZERO_SHUTDOWN_GRACE"),
        ({}, {"SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS": "inf"}, "$SCALE_TO_ZERO_SHUTDOWN_GRACE"),
        ({"heartbeat_interval_seconds": NAN}, {}, "heartbeat_interval_seconds"),
        ({"heartbeat_interval_seconds": INF}, {}, "heartbeat_interval_seconds"),
        ({}, {"SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS": "inf"}, "$SCALE_TO_ZERO_VISIBILITY"),
        ({}, {"SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS": "4.5"}, "$SCALE_TO_ZERO_VISIBILITY"),
        ({"visibility_timeout_seconds": 43201}, {}, "visibility_timeout_seconds"),
        ({"concurrency": 2.5}, {}, "concurrency"),
        ({"concurrency": True}, {}, "concurrency"),
        ({"concurrency": 0}, {}, "concurrency"),
        ({"poll_wait_seconds": NAN}, {}, "poll_wait_seconds"),
        ({"poll_wait_seconds": 21}, {}, "poll_wait_seconds"),
        ({"batch_fill_seconds": -1}, {}, "batch_fill_seconds"),
        ({"prefetch_seconds": INF}, {}, "prefetch_seconds"),
        (
            {"visibility_timeout_seconds": 5, "heartbeat_interval_seconds": 600},
            {},
            "heartbeat_interval_seconds",
        ),
        ({}, {"SCALE_TO_ZERO_TASK_PROTECTION": "maybe"}, "$SCALE_TO_ZERO_TASK_PROTECTION"),
        ({}, {"SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS": "0"}, "$SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS"),
        ({}, {"SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS": "-30"}, "$SCALE_TO_ZERO_DEPLOY_CHECK"),
        ({}, {"SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS": "nan"}, "$SCALE_TO_ZERO_DEPLOY_CHECK"),
        ({}, {"SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS": "soon"}, "$SCALE_TO_ZERO_DEPLOY_CHECK"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(
    overrides: dict[str, Any], environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(named)):
        WorkerConfig.from_environment({**QUEUE, **environ}, **overrides)


def test_concurrency_from_the_environment_must_be_a_whole_number() -> None:
    environ = {**QUEUE, "SCALE_TO_ZERO_CONCURRENCY": "abc"}
    with pytest.raises(ConfigurationError, match=r"\$SCALE_TO_ZERO_CONCURRENCY"):
        WorkerConfig.from_environment(environ, concurrency_from_environment=True)
    # The library reads it only when asked to (the CLI does).
    assert WorkerConfig.from_environment(environ).concurrency == 1


def test_settings_come_from_the_environment_and_arguments_win() -> None:
    environ = {
        **QUEUE,
        "SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS": "300",
        "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS": "0.5",
        "SCALE_TO_ZERO_CONCURRENCY": "3",
    }
    config = WorkerConfig.from_environment(environ, concurrency_from_environment=True)
    assert (config.visibility_timeout_seconds, config.concurrency) == (300, 3)
    assert config.poll_wait_seconds == 0  # never longer than the grace period
    assert config.heartbeat_interval(300) == 60
    assert WorkerConfig.from_environment(environ, concurrency=5).concurrency == 5


def test_the_deploy_check_settings_come_from_the_environment() -> None:
    environ = {
        **QUEUE,
        "SCALE_TO_ZERO_DEPLOY_STACK": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE": "WorkerService1234",
        "SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS": "45",
        "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/abc",
    }
    config = WorkerConfig.from_environment(environ)
    assert config.deploy_stack == environ["SCALE_TO_ZERO_DEPLOY_STACK"]
    assert config.deploy_service_resource == "WorkerService1234"
    assert config.deploy_check_seconds == 45
    assert config.task_metadata_uri == "http://169.254.170.2/v4/abc"
    unset = WorkerConfig.from_environment(QUEUE)
    assert (unset.deploy_stack, unset.deploy_service_resource, unset.task_metadata_uri) == (
        None,
        None,
        None,
    )
    assert unset.deploy_check_seconds == contract.DEPLOY_CHECK_MIN_SECONDS


def test_worker_refuses_a_fractional_concurrency_before_making_a_client() -> None:
    with pytest.raises(ConfigurationError, match="concurrency must be a whole number"):
        Worker(print, QUEUE["QUEUE_URL"], concurrency=2.5, environ={})  # type: ignore[arg-type]


def test_idle_shutdown_refuses_nan() -> None:
    with pytest.raises(ValueError, match="idle_seconds"):
        IdleShutdown(NAN)


def test_the_variable_is_checked_against_the_queues_real_visibility_timeout(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    # The variable says 300 s, the queue really has 2 s: trusting the variable would let the
    # heartbeat sleep while the message becomes visible to another consumer.
    url = make_queue(visibility_timeout=2)
    calls: list[str] = []

    def slow(m: Message) -> None:
        calls.append("slow")
        time.sleep(5)

    worker = fast_worker(
        slow,
        url,
        environ={"SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS": "300"},
    )
    first = start(worker)
    send(sqs, url, ["long"])
    wait_for(lambda: calls == ["slow"], what="the job to start")
    second = start(fast_worker(lambda m: calls.append("other"), url))
    wait_for(lambda: worker.stats.succeeded == 1, timeout=15, what="the job to finish")
    first.stop()
    second.stop()
    assert worker.visibility_timeout_seconds == 2
    assert calls == ["slow"]


@pytest.mark.parametrize(
    "settings",
    [{"poll_wait_seconds": 0}, {"shutdown_grace_seconds": 0.5}],
    ids=["no-poll-wait", "grace-below-a-second"],
)
def test_a_short_poll_never_spins_on_an_empty_queue(
    make_queue: Any, start: Any, settings: dict[str, float]
) -> None:
    url = make_queue()
    client = worker_client(settings.get("poll_wait_seconds", 1))
    receives = receive_log(client)
    worker = fast_worker(print, url, sqs_client=client, **settings)
    running = start(worker)
    wait_for(lambda: len(receives) >= 1, what="a first receive")
    time.sleep(2)
    running.stop()
    assert len(receives) <= 4  # about one a second, not hundreds


def _cli(tmp_path: Path, *args: str, env: dict[str, str], app: str = "") -> Any:
    (tmp_path / "app.py").write_text(textwrap.dedent(app) or "def handle(message):\n    pass\n")
    return subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.worker", "app:handle", *args],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--shutdown-grace", "nan"], {}, "--shutdown-grace"),
        (["--heartbeat-interval", "nan"], {}, "--heartbeat-interval"),
        (["--heartbeat-interval", "inf"], {}, "--heartbeat-interval"),
        (["--stop-when-idle", "nan"], {}, "idle_seconds"),
        ([], {"SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS": "inf"}, "$SCALE_TO_ZERO_SHUTDOWN_GRACE"),
        ([], {"SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS": "inf"}, "$SCALE_TO_ZERO_VISIBILITY"),
        ([], {"SCALE_TO_ZERO_CONCURRENCY": "abc"}, "$SCALE_TO_ZERO_CONCURRENCY"),
    ],
)
def test_cli_refuses_a_bad_setting_in_one_line_with_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], named: str
) -> None:
    result = _cli(tmp_path, *args, env={**QUEUE, **env})
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and named in result.stderr


def test_cli_refuses_a_heartbeat_longer_than_the_queues_timeout_before_receiving(
    sqs: Any, make_queue: Any, tmp_path: Path
) -> None:
    url = make_queue(visibility_timeout=5)
    send(sqs, url, ["untouched"])
    result = _cli(tmp_path, "--heartbeat-interval", "600", env={"QUEUE_URL": url})
    assert result.returncode == 2, result.stderr
    assert "--heartbeat-interval (600 s) must be at most half" in result.stderr
    assert "Traceback" not in result.stderr
    assert queue_counts(sqs, url) == (1, 0)
    (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"  # never received before


@pytest.mark.parametrize(
    "app",
    ["def handle(message) pass\n", "raise RuntimeError('no config file')\n"],
    ids=["syntax-error", "exception-at-import"],
)
def test_a_handler_module_that_fails_to_import_is_named_first(tmp_path: Path, app: str) -> None:
    result = _cli(tmp_path, env=QUEUE, app=app)
    assert result.returncode == 2
    first, *rest = result.stderr.splitlines()
    assert first == "error: handler module 'app' failed to import"
    assert any(line.startswith("Traceback") for line in rest)  # the user's traceback is kept


def test_a_missing_handler_module_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.worker", "nosuchmodule:handle"],
        cwd=tmp_path,
        env={**os.environ, **QUEUE},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no module named 'nosuchmodule'" in result.stderr


def test_an_async_handler_is_awaited(sqs: Any, make_queue: Any, start: Any) -> None:
    url = make_queue()
    ran: list[str] = []

    async def handle(message: Message) -> None:
        await asyncio.sleep(0.01)
        ran.append(message.body)

    worker = fast_worker(handle, url, concurrency=2)
    running = start(worker)
    send(sqs, url, ["a", "b", "c"])
    wait_for(lambda: worker.stats.deleted == 3, what="3 messages deleted")
    running.stop()
    assert sorted(ran) == ["a", "b", "c"]
