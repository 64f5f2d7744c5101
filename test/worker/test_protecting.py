"""Task protection around receiving: an agent error is not a refusal; a refusal holds receiving."""

from __future__ import annotations

import threading
from typing import Any

from sqs_scale_to_zero.worker import ConstantBackoff, EcsAgentTaskProtection
from sqs_scale_to_zero.worker.protecting import ProtectionKeeper

from .conftest import EcsAgent


def _keeper(agent: EcsAgent, over: threading.Event | None = None) -> ProtectionKeeper:
    protection = EcsAgentTaskProtection(agent.uri, expires_in_minutes=1, renew_after_seconds=30)
    return ProtectionKeeper(protection, ConstantBackoff(0.1), over or threading.Event())


def test_protection_is_asked_for_after_a_receive_and_released_when_idle(
    ecs_agent: EcsAgent,
) -> None:
    keeper = _keeper(ecs_agent)
    keeper.after_receive(3)
    assert ecs_agent.protected and not keeper.refused
    keeper.release()
    assert not ecs_agent.protected


def test_a_refusal_holds_receiving_until_protection_is_granted(ecs_agent: EcsAgent) -> None:
    ecs_agent.refuse = True
    keeper = _keeper(ecs_agent)
    keeper.after_receive(1)
    assert keeper.refused
    assert not keeper.try_again()  # still refused
    ecs_agent.refuse = False
    assert keeper.try_again() and not keeper.refused and ecs_agent.protected
    keeper.release()


def test_an_agent_error_is_not_a_refusal(ecs_agent: EcsAgent) -> None:
    ecs_agent.fault = "http500"
    keeper = _keeper(ecs_agent)
    keeper.after_receive(1)
    assert not keeper.refused


def test_a_drain_or_stop_ends_the_wait_for_the_next_try(ecs_agent: Any) -> None:
    ecs_agent.refuse = True
    over = threading.Event()
    keeper = _keeper(ecs_agent, over)
    keeper.after_receive(1)
    over.set()
    calls = len(ecs_agent.calls)
    assert not keeper.try_again() and len(ecs_agent.calls) == calls
