"""HTTP delivery while the app is not there, and the runtime's stops.

No receive is spent while the app cannot take a message: at start, after it died mid-request
or while idle, and after it refused a connection. SIGTERM and the deploy drain behave as with a
Python handler. Against moto's SQS server and the Node.js app ``http_app.js``.
"""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.local_sqs import free_port
from sqs_scale_to_zero.worker import ConstantBackoff

from .conftest import (
    EcsAgent,
    Running,
    finish,
    queue_counts,
    receive_log,
    send,
    wait_for,
    worker_client,
)
from .deploys import Deployed, drain_environ, messages
from .http_apps import (
    NodeApp,
    needs_node,
    node_app,
    start_runtime,
)

pytestmark = needs_node

IN_FLIGHT_RECEIVE_SECONDS = 1.5
"""Longer than the test workers' long poll (1 s): a receive already waiting when the app went
away still returns what arrives meanwhile, and hands it back (a known cost, see the README)."""


def receive_counts(app: NodeApp) -> dict[str, list[str]]:
    counts: dict[str, list[str]] = {}
    for post in app.posts():
        counts.setdefault(post["body"], []).append(post["headers"]["x-aws-sqsd-receive-count"])
    return counts


def test_an_app_that_starts_after_the_runtime_loses_no_receive(
    make_queue: Callable[..., str], sqs: Any, deliver: Callable[..., Running]
) -> None:
    # given a queue that dead-letters on the first failed receive, and no app yet
    url = make_queue(dlq_after=1)
    send(sqs, url, ["one", "two", "three"])
    port = free_port()
    client = worker_client()
    receives = receive_log(client)
    deliver(url, port, sqs_client=client)

    # when the app takes three seconds to start
    time.sleep(3)
    assert receives == [] and queue_counts(sqs, url) == (3, 0)
    with node_app(port) as app:
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the deliveries")

        # then each message reached it on its first receive; none was dead-lettered
        assert receive_counts(app) == {"one": ["1"], "two": ["1"], "three": ["1"]}
    assert queue_counts(sqs, url + "-dlq") == (0, 0)


def test_an_app_that_dies_mid_request_gets_the_message_again_once_it_is_back(
    make_queue: Callable[..., str], sqs: Any, deliver: Callable[..., Running]
) -> None:
    # given an app that dies while it holds a request
    url = make_queue(visibility_timeout=30)
    port = free_port()
    first = NodeApp(port)
    running = deliver(url, port, retry_backoff=ConstantBackoff(600))
    send(sqs, url, [json.dumps({"die": True})])
    assert first.wait_exit() == 3

    # when messages arrive while it is down
    wait_for(lambda: running.worker.paused, what="the pause")
    time.sleep(IN_FLIGHT_RECEIVE_SECONDS)
    send(sqs, url, ["while down"])
    time.sleep(2)
    assert queue_counts(sqs, url) == (2, 0)  # nothing received while the app is away

    # then, once a new app listens, both are delivered: the one it died on a second time,
    # after one long poll rather than the 600 s backoff
    with node_app(port, IGNORE_DIE="1") as second:
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the deliveries")
        assert receive_counts(second) == {json.dumps({"die": True}): ["2"], "while down": ["1"]}
    first.stop()


def test_an_app_that_dies_while_idle_is_noticed_before_the_next_receive(
    make_queue: Callable[..., str], sqs: Any, deliver: Callable[..., Running]
) -> None:
    # given a runtime delivering to an app, which stops while nothing is open
    url = make_queue(dlq_after=1)
    port = free_port()
    with node_app(port):
        running = deliver(url, port)
        send(sqs, url, ["before"])
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the first delivery")
    wait_for(lambda: running.worker.paused, what="the pause")
    time.sleep(IN_FLIGHT_RECEIVE_SECONDS)

    # when a message arrives, then the app comes back
    send(sqs, url, ["after"])
    time.sleep(1.5)
    assert queue_counts(sqs, url) == (1, 0)
    with node_app(port) as app:
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the second delivery")
        # then the message was received once, by the app that could take it
        assert receive_counts(app) == {"after": ["1"]}
    assert queue_counts(sqs, url + "-dlq") == (0, 0)


def test_a_refused_connection_costs_one_receive_and_no_backoff(
    make_queue: Callable[..., str], sqs: Any, deliver: Callable[..., Running]
) -> None:
    # given a runtime that checks an idle app only every minute, and the app gone
    url = make_queue(visibility_timeout=30, dlq_after=3)
    port = free_port()
    with node_app(port):
        running = deliver(url, port, idle_check=60.0, retry_backoff=ConstantBackoff(600))
        send(sqs, url, ["warm-up"])
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the first delivery")

    # when a message finds the port closed
    send(sqs, url, ["refused"])
    wait_for(lambda: running.worker.paused, what="the pause")

    # then it is visible again after one long poll (not after the 600 s backoff), and the app
    # that comes back gets it on its second receive
    wait_for(lambda: queue_counts(sqs, url) == (1, 0), what="the message back in the queue")
    with node_app(port) as app:
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the delivery")
        assert receive_counts(app) == {"refused": ["2"]}


def test_sigterm_during_a_request_lets_it_finish_then_exits_0(
    make_queue: Callable[..., str], sqs: Any
) -> None:
    # given the runtime's CLI delivering a 3-second job
    url = make_queue(visibility_timeout=2)
    with node_app() as app:
        process = start_runtime(url, f"{app.url}/work", "--shutdown-grace", "10")
        send(sqs, url, [json.dumps({"sleep_ms": 3000})])
        wait_for(lambda: len(app.posts()) == 1, what="the POST")

        # when ECS stops the task
        process.send_signal(signal.SIGTERM)
        output = finish(process, timeout=20)

        # then the request finished, its message is deleted, and the runtime exited 0
        assert process.returncode == 0, output
        assert queue_counts(sqs, url) == (0, 0)
        assert "Traceback" not in output
        assert len(app.posts()) == 1


def test_an_outdated_task_drains_its_open_requests_then_exits(
    make_queue: Callable[..., str],
    sqs: Any,
    ecs_agent: EcsAgent,
    deploy: Callable[..., Deployed],
    deliver: Callable[..., Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a task of revision 1 delivering a 4-second job, and a service whose primary runs
    # revision 2
    service = deploy(running=1)
    ecs_agent.task_metadata = service.identity(revision=1)
    url = make_queue(visibility_timeout=2)
    caplog.set_level(logging.INFO)
    with node_app() as app:
        send(sqs, url, [json.dumps({"sleep_ms": 4000})])
        running = deliver(
            url,
            app.port,
            concurrency=2,
            environ=drain_environ(ecs_agent, service.stack_id),
        )
        wait_for(lambda: len(app.posts()) == 1, what="the POST")

        # when the task finds out and more messages arrive
        wait_for(lambda: bool(messages(caplog, "draining:")), what="the drain")
        send(sqs, url, ["for the new task"])

        # then the open request finishes, the task exits, and the new message is left alone
        running.thread.join(20)
        assert not running.thread.is_alive(), "run() did not return after the drain"
        assert running.error is None
        assert len(app.posts()) == 1
    assert queue_counts(sqs, url) == (1, 0)
    assert ecs_agent.calls[-1][1] == {"ProtectionEnabled": False}
    assert messages(caplog, "drain finished")


def test_the_app_coming_back_does_not_lift_a_deploys_pause(
    make_queue: Callable[..., str], sqs: Any, deliver: Callable[..., Running]
) -> None:
    # given a runtime delivering to an app, paused for a deploy
    url = make_queue()
    port = free_port()
    with node_app(port):
        running = deliver(url, port)
        wait_for(lambda: not running.worker.paused, what="the app to answer")
        running.worker.pause_receiving("a newer deployment runs no task yet")

    # when the app goes away and comes back
    time.sleep(1)  # several idle checks find it gone
    with node_app(port):
        time.sleep(1)  # several checks find it back

        # then the deploy's pause still holds: only the deploy's watch lifts it
        assert running.worker.paused
        running.worker.resume_receiving("the new deployment runs a task")
        send(sqs, url, ["after the deploy"])
        wait_for(lambda: queue_counts(sqs, url) == (0, 0), what="the delivery")
