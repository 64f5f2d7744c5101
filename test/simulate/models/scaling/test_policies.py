"""Application Auto Scaling: step bounds, adjustment types, cooldowns, target tracking."""

from __future__ import annotations

import pytest

from sqs_scale_to_zero.simulate.models.metrics import MetricStore, ServiceGauges, Snapshot
from sqs_scale_to_zero.simulate.models.scaling.policies import (
    ScalableTarget,
    StepPolicyRuntime,
    TargetTrackingRuntime,
    choose_step,
)
from sqs_scale_to_zero.simulate.template.specs import (
    MetricStat,
    StepAdjustmentSpec,
    StepPolicySpec,
    TargetTrackingSpec,
)


def policy(
    kind: str = "ChangeInCapacity",
    steps: tuple[tuple[float | None, float | None, int], ...] = ((0, None, 1),),
    cooldown: float = 300,
    mam: int | None = None,
) -> StepPolicySpec:
    return StepPolicySpec(
        "P",
        kind,
        tuple(StepAdjustmentSpec(lo, hi, a) for lo, hi, a in steps),
        "Maximum",
        cooldown,
        mam,
    )


def test_step_bounds_follow_the_api_reference_examples() -> None:
    # threshold 50: [0, 10) above the threshold, (-10, 0] below it
    p = policy(steps=((None, -10, -2), (-10, 0, -1), (0, 10, 1), (10, None, 2)))
    assert choose_step(p, 50, 50, breach_above=True) == 1
    assert choose_step(p, 59.9, 50) == 1
    assert choose_step(p, 60, 50) == 2
    assert choose_step(p, 50, 50, breach_above=False) == -1
    assert choose_step(p, 40, 50, breach_above=False) == -2
    assert choose_step(p, 40.1, 50, breach_above=False) == -1


def test_no_matching_step_does_nothing() -> None:
    assert choose_step(policy(steps=((0, 5, 1),)), 10, 1) is None


def test_change_exact_and_percent() -> None:
    t = ScalableTarget(0, 10, 2)
    assert StepPolicyRuntime(policy()).invoke(t, 5, 1, now=0) and t.desired == 3
    t = ScalableTarget(0, 10, 3)
    assert StepPolicyRuntime(policy("ExactCapacity", ((None, None, 0),))).invoke(
        t, 0, 1, now=0, breach_above=False
    )
    assert t.desired == 0
    t = ScalableTarget(0, 100, 10)
    StepPolicyRuntime(policy("PercentChangeInCapacity", ((0, None, 25),))).invoke(t, 5, 1, now=0)
    assert t.desired == 12  # 2.5 rounds down
    t = ScalableTarget(0, 100, 2)
    StepPolicyRuntime(policy("PercentChangeInCapacity", ((0, None, 10),))).invoke(t, 5, 1, now=0)
    assert t.desired == 3  # 0.2 rounds to 1
    t = ScalableTarget(0, 100, 2)
    StepPolicyRuntime(policy("PercentChangeInCapacity", ((0, None, 10),), mam=3)).invoke(
        t, 5, 1, now=0
    )
    assert t.desired == 5


def test_capacity_is_clamped_to_min_and_max() -> None:
    t = ScalableTarget(1, 3, 3)
    assert not StepPolicyRuntime(policy()).invoke(t, 5, 1, now=0)
    assert not StepPolicyRuntime(policy(steps=((None, None, -5),))).invoke(
        ScalableTarget(1, 3, 1), 0, 1, now=0
    )


def test_scale_out_cooldown_counts_capacity_already_added() -> None:
    # the API reference's example: +2, then during the cooldown a +3 step adds only 1
    p = StepPolicyRuntime(policy(steps=((0, 10, 2), (10, None, 3)), cooldown=300))
    t = ScalableTarget(0, 20, 4)
    p.invoke(t, 5, 1, now=0)
    assert t.desired == 6
    p.invoke(t, 5, 1, now=60)
    assert t.desired == 6
    p.invoke(t, 50, 1, now=120)
    assert t.desired == 7
    p.invoke(t, 5, 1, now=301)
    assert t.desired == 9


def test_a_smaller_scale_out_during_the_cooldown_never_lowers_capacity() -> None:
    # "won't increase the desired capacity again unless either a larger scale out is
    # triggered or the cooldown period ends": a +2 breach after a +5 one keeps the 5.
    p = StepPolicyRuntime(policy(steps=((0, 10, 2), (10, None, 5)), cooldown=300))
    t = ScalableTarget(0, 20, 0)
    p.invoke(t, 5, 1, now=0)
    assert t.desired == 2
    p.invoke(t, 50, 1, now=60)
    assert t.desired == 5
    p.invoke(t, 5, 1, now=120)
    assert t.desired == 5


def test_scale_in_cooldown_blocks_until_expired_or_a_scale_out() -> None:
    down = StepPolicyRuntime(policy(steps=((None, None, -1),), cooldown=300))
    up = StepPolicyRuntime(policy(cooldown=0))
    t = ScalableTarget(0, 10, 5)
    down.invoke(t, 0, 1, now=0)
    down.invoke(t, 0, 1, now=60)
    assert t.desired == 4
    down.invoke(t, 0, 1, now=300)
    assert t.desired == 3
    up.invoke(t, 5, 1, now=320)
    down.invoke(t, 0, 1, now=330)
    assert t.desired == 3  # 4 after the scale-out, then the blocked scale-in is allowed again


def test_each_scaling_activity_is_recorded_with_its_time_and_new_count() -> None:
    up = StepPolicyRuntime(policy(steps=((0, 10, 2), (10, None, 5)), cooldown=300))
    to_zero = StepPolicyRuntime(policy("ExactCapacity", ((None, None, 0),), cooldown=0))
    t = ScalableTarget(0, 4, 0)
    assert t.changes == []
    up.invoke(t, 5, 1, now=0)
    up.invoke(t, 5, 1, now=60)  # inside the cooldown: no change, nothing recorded
    up.invoke(t, 50, 1, now=120)  # clamped to max 4
    assert not t.set_desired(9, 150)  # clamped to 4 again: unchanged, nothing recorded
    to_zero.invoke(t, 0, 1, now=600, breach_above=False)
    assert t.changes == [(0, 2), (120, 4), (600, 0)]
    assert len(t.changes) == t.activities


CPU = MetricStat("AWS/ECS", "CPUUtilization", {}, "S", "Average", 60)


def cpu_store(values: list[float | None]) -> MetricStore:
    store = MetricStore({"AWS/ECS": 0.0})
    store.track(CPU)
    for i, v in enumerate(values, start=1):
        store.record_minute(Snapshot(60.0 * i, services={"S": ServiceGauges(v, 1, 1)}))
    return store


def tracking() -> TargetTrackingRuntime:
    return TargetTrackingRuntime(
        TargetTrackingSpec("T", 50.0, None, "ECSServiceAverageCPUUtilization"), CPU
    )


def test_target_tracking_scales_out_after_three_high_minutes() -> None:
    t = ScalableTarget(0, 10, 2)
    assert not tracking().invoke(t, cpu_store([90.0, 90.0]), 120.0)
    assert tracking().invoke(t, cpu_store([90.0, 90.0, 90.0]), 180.0)
    assert t.desired == 4  # ceil(2 * 90 / 50)


def test_target_tracking_scales_in_after_fifteen_low_minutes_and_never_on_missing_data() -> None:
    t = ScalableTarget(0, 10, 2)
    assert not tracking().invoke(t, cpu_store([1.0] * 14), 14 * 60.0)
    assert tracking().invoke(t, cpu_store([1.0] * 15), 15 * 60.0)
    assert t.desired == 1
    t0 = ScalableTarget(0, 10, 0)
    assert not tracking().invoke(t0, cpu_store([None] * 20), 20 * 60.0)
    assert t0.desired == 0


@pytest.mark.parametrize("value", [0.0, 0.004])
def test_target_tracking_can_reach_zero_with_min_zero(value: float) -> None:
    t = ScalableTarget(0, 10, 1)
    tracking().invoke(t, cpu_store([value] * 15), 15 * 60.0)
    assert t.desired == 0 if value == 0.0 else t.desired == 1
