"""ECS task scale-in protection around work, against a stand-in for the ECS agent endpoint."""

from __future__ import annotations

import time
from typing import Any

from sqs_scale_to_zero.worker import (
    EcsAgentTaskProtection,
    Message,
    NoTaskProtection,
    Worker,
)

from .conftest import EcsAgent, fast_worker, queue_counts, send, wait_for

AWS_QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"


def test_protection_is_on_before_work_and_off_after(
    sqs: Any, make_queue: Any, start: Any, ecs_agent: EcsAgent
) -> None:
    url = make_queue()
    protected_while_handling: list[bool] = []

    def handle(message: Message) -> None:
        protected_while_handling.append(ecs_agent.protected)

    worker = fast_worker(handle, url, concurrency=2, environ={"ECS_AGENT_URI": ecs_agent.uri})
    assert isinstance(worker.task_protection, EcsAgentTaskProtection)
    running = start(worker)
    time.sleep(1.5)  # an idle worker asks for nothing
    assert ecs_agent.calls == []

    send(sqs, url, [f"m{i}" for i in range(5)])
    wait_for(lambda: worker.stats.succeeded == 5, what="5 messages handled")
    wait_for(lambda: not ecs_agent.protected, what="protection released once idle")
    running.stop()

    assert protected_while_handling == [True] * 5
    bodies = [body for _, body in ecs_agent.calls]
    assert bodies[0] == {"ProtectionEnabled": True, "ExpiresInMinutes": 60}
    assert bodies[-1] == {"ProtectionEnabled": False}


def test_refused_protection_releases_the_messages_without_running_them(
    sqs: Any, make_queue: Any, start: Any, ecs_agent: EcsAgent
) -> None:
    url = make_queue(visibility_timeout=60)
    send(sqs, url, ["not now"])
    ecs_agent.refuse = True
    handled: list[str] = []
    worker = fast_worker(
        lambda m: handled.append(m.body), url, environ={"ECS_AGENT_URI": ecs_agent.uri}
    )
    running = start(worker)
    wait_for(lambda: worker.stats.released >= 1, what="the message released")
    running.stop()

    assert handled == []
    # Released with visibility 0: visible again at once, not after the 60-second timeout.
    assert queue_counts(sqs, url) == (1, 0)


def test_unreachable_agent_is_logged_and_retried_never_fatal(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    url = make_queue()
    protection = EcsAgentTaskProtection("http://127.0.0.1:9", timeout_seconds=0.2, attempts=2)
    worker = fast_worker(lambda m: None, url, task_protection=protection)
    running = start(worker)
    send(sqs, url, ["x"])
    wait_for(lambda: worker.stats.released >= 2, what="two refused attempts")
    assert running.thread.is_alive()
    running.stop()
    assert worker.stats.succeeded == 0


def test_off_ecs_or_disabled_protection_is_a_no_op() -> None:
    off_ecs = Worker(print, AWS_QUEUE_URL, environ={})
    disabled = Worker(
        print,
        AWS_QUEUE_URL,
        environ={
            "ECS_AGENT_URI": "http://agent",
            "SCALE_TO_ZERO_TASK_PROTECTION": "disabled",
        },
    )
    assert isinstance(off_ecs.task_protection, NoTaskProtection)
    assert isinstance(disabled.task_protection, NoTaskProtection)


def test_protection_is_renewed_while_a_long_job_runs(
    sqs: Any, make_queue: Any, start: Any, ecs_agent: EcsAgent
) -> None:
    url = make_queue()
    protection = EcsAgentTaskProtection(
        ecs_agent.uri, expires_in_minutes=1, renew_after_seconds=0.3
    )
    worker = fast_worker(lambda m: time.sleep(1.6), url, task_protection=protection)
    running = start(worker)
    send(sqs, url, ["long"])
    wait_for(lambda: worker.stats.succeeded == 1, what="the long job")
    wait_for(lambda: not ecs_agent.protected, what="protection released once idle")
    running.stop()

    bodies = [body for _, body in ecs_agent.calls]
    turned_on = [b for b in bodies if b["ProtectionEnabled"]]
    assert len(turned_on) >= 4  # the first call and at least three renewals
    assert all(b["ExpiresInMinutes"] == 1 for b in turned_on)
    assert bodies[-1] == {"ProtectionEnabled": False}


def test_region_comes_from_an_aws_queue_url_when_none_is_configured(
    monkeypatch: Any,
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    worker = Worker(print, AWS_QUEUE_URL, environ={})
    assert worker._sqs.meta.region_name == "eu-west-1"
