"""Fargate prices from task CPU and memory."""

from __future__ import annotations

import pytest

from sqs_scale_to_zero.simulate.models.cost import FargatePricing


def test_hourly_price_is_vcpu_plus_memory() -> None:
    p = FargatePricing()
    assert p.hourly(1024, 2048) == pytest.approx(0.04048 + 2 * 0.004445)
    assert p.hourly(256, 512) == pytest.approx(0.25 * 0.04048 + 0.5 * 0.004445)


def test_arm64_and_spot_are_cheaper() -> None:
    p = FargatePricing()
    assert p.hourly(1024, 2048, arm64=True) == pytest.approx(0.03238 + 2 * 0.00356)
    assert p.hourly(1024, 2048, spot=True) == pytest.approx(0.3 * p.hourly(1024, 2048))


def test_one_minute_minimum_per_task() -> None:
    p = FargatePricing()
    assert p.task_cost(5, 1024, 2048) == p.task_cost(60, 1024, 2048)
    assert p.task_cost(3600, 1024, 2048) == pytest.approx(p.hourly(1024, 2048))


def test_prices_are_configurable() -> None:
    assert FargatePricing(vcpu_hour=1.0, gb_hour=0.0).hourly(2048, 4096) == 2.0
