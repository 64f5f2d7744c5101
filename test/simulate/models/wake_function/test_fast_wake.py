"""The wake function's fast wake, call by call, against the documented handler behaviour."""

from __future__ import annotations

import pytest

from sqs_scale_to_zero.simulate.models.alarm_evaluation import ALARM, OK, AlarmRuntime
from sqs_scale_to_zero.simulate.models.metrics import MetricStore
from sqs_scale_to_zero.simulate.models.wake_function.fast_wake import FastWakeRuntime, WakeOutcome
from sqs_scale_to_zero.simulate.template.specs import AlarmSpec, MetricQuery, MetricStat, WakeSpec

FULL = WakeSpec("Svc", "Idle", True, True, True, True, True)


def _alarm(state: str, *, enabled: bool = True) -> AlarmRuntime:
    metric = MetricStat("AWS/SQS", "NumberOfMessagesSent", {}, "Q", "Sum", 60)
    spec = AlarmSpec(
        "Idle",
        (MetricQuery("m", metric, None, True),),
        60,
        5,
        5,
        1.0,
        "GreaterThanOrEqualToThreshold",
        "notBreaching",
        ("ToZero",),
    )
    alarm = AlarmRuntime(spec, MetricStore())
    alarm.state = state
    alarm.actions_enabled = enabled
    return alarm


def test_a_visible_message_at_zero_disables_a_stale_idle_alarm_then_wakes() -> None:
    alarm = _alarm(ALARM)
    assert FastWakeRuntime(FULL, alarm).run(visible=1, desired=0) == WakeOutcome(1, True)
    assert not alarm.actions_enabled


def test_no_wake_without_a_visible_message_or_with_tasks_desired() -> None:
    alarm = _alarm(ALARM)
    wake = FastWakeRuntime(FULL, alarm)
    assert wake.run(visible=0, desired=0) == WakeOutcome(0, False)
    assert wake.run(visible=5, desired=2) == WakeOutcome(2, False)
    assert alarm.actions_enabled


def test_actions_come_back_once_the_alarm_has_left_alarm() -> None:
    alarm = _alarm(ALARM, enabled=False)
    wake = FastWakeRuntime(FULL, alarm)
    wake.run(visible=0, desired=1)
    assert not alarm.actions_enabled  # still in ALARM: held off
    alarm.state = OK
    wake.run(visible=0, desired=1)
    assert alarm.actions_enabled


def test_a_denied_disable_means_no_wake_as_in_the_handlers_single_try() -> None:
    spec = WakeSpec("Svc", "Idle", True, True, True, False, True)
    alarm = _alarm(ALARM)
    assert FastWakeRuntime(spec, alarm).run(visible=1, desired=0) == WakeOutcome(0, False)
    assert alarm.actions_enabled


def test_a_denied_update_after_the_disable_leaves_the_actions_disabled() -> None:
    spec = WakeSpec("Svc", "Idle", True, False, True, True, True)
    alarm = _alarm(ALARM)
    assert FastWakeRuntime(spec, alarm).run(visible=1, desired=0) == WakeOutcome(0, False)
    assert not alarm.actions_enabled


def test_a_function_that_names_no_alarm_wakes_unguarded() -> None:
    spec = WakeSpec("Svc", None, True, True)
    assert FastWakeRuntime(spec, None).run(visible=1, desired=0) == WakeOutcome(1, True)


@pytest.mark.parametrize(
    "spec",
    [WakeSpec("Svc", "Idle", False, True, True, True, True), WakeSpec("Svc", "Idle", True, True)],
    ids=["describe services denied", "describe alarms denied"],
)
def test_a_denied_read_publishes_no_desired_count_and_never_wakes(spec: WakeSpec) -> None:
    assert FastWakeRuntime(spec, _alarm(ALARM)).run(visible=3, desired=0) == WakeOutcome(
        None, False
    )


def test_an_alarm_with_disabled_actions_evaluates_but_invokes_nothing() -> None:
    from sqs_scale_to_zero.simulate.models.scaling.policies import (
        ScalableTarget,
        StepPolicyRuntime,
        apply_scaling,
    )
    from sqs_scale_to_zero.simulate.template.specs import StepAdjustmentSpec, StepPolicySpec

    metric = MetricStat("Custom", "Flag", {}, None, "Maximum", 60)
    spec = AlarmSpec(
        "Idle",
        (MetricQuery("m", metric, None, True),),
        60,
        1,
        1,
        1.0,
        "GreaterThanOrEqualToThreshold",
        "breaching",
        ("ToZero",),
    )
    store = MetricStore()
    alarm = AlarmRuntime(spec, store)
    policy = StepPolicyRuntime(
        StepPolicySpec("ToZero", "ExactCapacity", (StepAdjustmentSpec(0.0, None, 0),))
    )
    target = ScalableTarget(0, 4, 1)
    alarm.actions_enabled = False
    apply_scaling(target, [alarm], {"ToZero": policy}, [], store, 60.0)
    assert alarm.state == ALARM and target.desired == 1
    alarm.actions_enabled = True
    apply_scaling(target, [alarm], {"ToZero": policy}, [], store, 120.0)
    assert target.desired == 0
