"""Legal but surprising values synthesize with a CDK warning that says why, in plain words:
a ``max_capacity`` that is expensive at full scale (in dollars), and a FIFO queue without
content-based deduplication (what producers must send)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match

from sqs_scale_to_zero import ScaleToZeroQueueService
from sqs_scale_to_zero.advice import (
    FIFO_DEDUPLICATION_WARNING,
    FULL_SCALE_WARNING_USD_PER_HOUR,
    MAX_CAPACITY_COST_WARNING,
    full_scale_hourly_usd,
)
from sqs_scale_to_zero.simulate.models.cost import FargatePricing
from test.conftest import TEST_ENV, TEST_IMAGE


def warnings_of(**props: Any) -> list[str]:
    """The warning messages of a stack holding one service with ``props``."""
    app = cdk.App()
    stack = cdk.Stack(app, "AdviceStack", env=TEST_ENV)
    queue = props.pop("brought_fifo", None)
    if queue:
        props["queue"] = sqs.Queue(stack, "Brought", fifo=True)
    ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, **props)
    found = Annotations.from_stack(stack).find_warning("*", Match.any_value())
    return [str(w.entry.data) for w in found]


@pytest.fixture(scope="module")
def huge() -> list[str]:
    return warnings_of(max_capacity=10000)


@pytest.fixture(scope="module")
def defaults() -> list[str]:
    return warnings_of()


def test_a_max_capacity_expensive_at_full_scale_is_said_in_dollars(huge: list[str]) -> None:
    (warning,) = [w for w in huge if "max_capacity=10000" in w]
    hourly = full_scale_hourly_usd(10000, 256, 512, arm64=False, spot=False)

    assert f"about ${hourly:,.2f} an hour" in warning
    assert "256 CPU units, 512 MiB, X86_64" in warning and hourly == pytest.approx(123.43, abs=0.01)
    assert f"[ack: {MAX_CAPACITY_COST_WARNING}]" in warning


def test_the_price_is_the_simulators_fargate_pricing() -> None:
    assert full_scale_hourly_usd(10, 1024, 2048, arm64=False, spot=True) == pytest.approx(
        10 * FargatePricing().hourly(1024, 2048, spot=True)
    )


def test_the_default_service_synthesizes_without_a_warning(defaults: list[str]) -> None:
    assert defaults == []


def test_a_max_capacity_just_under_the_threshold_is_not_said() -> None:
    per_task = full_scale_hourly_usd(1, 256, 512, arm64=False, spot=False)
    below = int(FULL_SCALE_WARNING_USD_PER_HOUR / per_task) - 1

    assert warnings_of(max_capacity=below) == []


def test_fifo_without_content_based_deduplication_says_what_producers_send() -> None:
    (warning,) = warnings_of(fifo=True)

    assert "must send a MessageDeduplicationId" in warning
    assert "content_based_deduplication=True" in warning
    assert f"[ack: {FIFO_DEDUPLICATION_WARNING}]" in warning


def test_fifo_with_content_based_deduplication_or_brought_is_not_said() -> None:
    assert warnings_of(fifo=True, content_based_deduplication=True) == []
    assert warnings_of(brought_fifo=True) == []
