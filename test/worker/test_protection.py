"""ECS task scale-in protection around work, against a stand-in for the ECS agent endpoint."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from sqs_scale_to_zero.worker import (
    ConstantBackoff,
    EcsAgentTaskProtection,
    Message,
    NoTaskProtection,
    Worker,
)
from sqs_scale_to_zero.worker.client import make_sqs_client

from .conftest import AGENT_FAULTS, EcsAgent, fast_worker, queue_counts, send, wait_for

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


@pytest.mark.parametrize("fault", [*AGENT_FAULTS, "flapping", "unreachable"])
def test_a_failing_ecs_agent_never_costs_a_message_a_receive(
    sqs: Any, make_queue: Any, start: Any, ecs_agent: EcsAgent, fault: str
) -> None:
    # Given an agent that answers 500, 400, garbage, too late, every other time, or not at all,
    url = make_queue(dlq_after=2)
    ecs_agent.fault = "http500" if fault == "flapping" else fault
    ecs_agent.flap = fault == "flapping"
    ecs_agent.slow_seconds = 0.6
    uri = "http://127.0.0.1:9" if fault == "unreachable" else ecs_agent.uri
    protection = EcsAgentTaskProtection(
        uri, timeout_seconds=0.3, attempts=2, backoff=ConstantBackoff(0)
    )
    handled: Counter[str] = Counter()
    worker = fast_worker(
        lambda m: handled.update([m.body]), url, concurrency=2, task_protection=protection
    )
    running = start(worker)
    # when messages arrive,
    send(sqs, url, [f"m{i}" for i in range(5)])
    wait_for(lambda: worker.stats.deleted == 5, what="5 messages deleted")
    running.stop()
    # then each ran once, none was handed back, and the dead-letter queue is empty.
    assert handled == Counter({f"m{i}": 1 for i in range(5)})
    assert worker.stats.released == 0
    assert queue_counts(sqs, url + "-dlq") == (0, 0)


def test_refused_protection_runs_what_it_holds_and_receives_no_more(
    sqs: Any, make_queue: Any, start: Any, ecs_agent: EcsAgent
) -> None:
    url = make_queue(visibility_timeout=60, dlq_after=2)
    send(sqs, url, ["received before the refusal"])
    ecs_agent.refuse = True  # ECS: this task is being stopped (scale-in)
    handled: list[str] = []
    worker = fast_worker(
        lambda m: handled.append(m.body), url, environ={"ECS_AGENT_URI": ecs_agent.uri}
    )
    running = start(worker)
    wait_for(lambda: handled == ["received before the refusal"], what="the held message to run")
    wait_for(lambda: worker.stats.deleted == 1, what="its delete")
    send(sqs, url, ["later 1", "later 2"])
    calls = len(ecs_agent.calls)
    wait_for(lambda: len(ecs_agent.calls) >= calls + 3, what="protection tried again")
    # Nothing more was received while ECS refuses: the new messages wait in the queue.
    assert handled == ["received before the refusal"]
    assert queue_counts(sqs, url) == (2, 0)

    ecs_agent.refuse = False  # the scale-in was cancelled
    wait_for(lambda: len(handled) == 3, what="receiving again once protection is granted")
    running.stop()  # and a stop (SIGTERM) still ends it cleanly
    assert worker.stats.released == 0
    assert queue_counts(sqs, url + "-dlq") == (0, 0)


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
    Worker(print, AWS_QUEUE_URL, environ={})  # no NoRegionError
    assert make_sqs_client(20, queue_url=AWS_QUEUE_URL).meta.region_name == "eu-west-1"
