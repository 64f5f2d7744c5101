"""The wake function's fast wake on the synthesized construct, and the race with a stale idle alarm."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate import Result, WorkItem, load_service, simulate
from sqs_scale_to_zero.simulate.template.specs import WakeSpec
from test.simulate.templates import write_template

Edit = Callable[[dict[str, Any]], None]


def _functions(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and "QUEUE_URL" in json.dumps(r)
    ]


def _drop_alarm_name(template: dict[str, Any]) -> None:
    for function in _functions(template):
        function["Environment"]["Variables"].pop("IDLE_ALARM_NAME")


def _drop_action(action: str) -> Edit:
    def edit(template: dict[str, Any]) -> None:
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"]
                if isinstance(actions, list) and action in actions:
                    actions.remove(action)

    return edit


def _drop_insights(template: dict[str, Any]) -> None:
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ECS::Cluster":
            resource["Properties"].pop("ClusterSettings", None)


VARIANTS: dict[str, Edit] = {
    "no-alarm-named": _drop_alarm_name,
    "no-disable": _drop_action("cloudwatch:DisableAlarmActions"),
    "no-update": _drop_action("ecs:UpdateService"),
    "no-insights": _drop_insights,
}


@pytest.fixture(scope="module")
def variants(
    ours_signal_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The synthesized backlog-signal construct, and copies with one thing taken away each."""
    out = {"ours": ours_signal_template}
    directory = tmp_path_factory.mktemp("wake-variants")
    for name, edit in VARIANTS.items():
        template = json.loads(ours_signal_template.read_text())
        edit(template)
        out[name] = write_template(directory, name, template)
    return out


def test_the_construct_function_may_make_every_call_of_the_wake(ours_signal_template: Path) -> None:
    model = load_service(ours_signal_template)
    (poller,) = model.pollers
    idle = next(a for a in model.alarms if "ScaleIn" in a.logical_id)
    assert poller.wake == WakeSpec(
        model.logical_id, idle.logical_id, True, True, True, True, True, 3, 4
    )
    assert not model.container_insights  # the function publishes the desired count


def test_the_template_reader_sees_what_each_variant_takes_away(variants: dict[str, Path]) -> None:
    wake = {name: load_service(path).pollers[0].wake for name, path in variants.items()}
    assert wake["no-alarm-named"] is not None and wake["no-alarm-named"].alarm_logical_id is None
    assert wake["no-disable"] is not None and not wake["no-disable"].disable_alarm_actions
    assert wake["no-update"] is not None and not wake["no-update"].update_service
    assert not load_service(variants["no-insights"]).container_insights


SPACING = 3 * 3600.0
OFFSETS = [float(s) for s in range(3, 60, 5)]
"""Seconds into a minute: with any poll phase, some messages come just before a poll."""


def isolated_messages() -> list[WorkItem]:
    """One 30 s message every 3 hours, each at a different second of its minute."""
    return [WorkItem(SPACING * (k + 1) + s, 30.0, 50.0) for k, s in enumerate(OFFSETS)]


@pytest.fixture(scope="module")
def isolated(variants: dict[str, Path]) -> dict[str, list[Result]]:
    names = list(variants)
    runs = [simulate(list(variants.values()), isolated_messages(), seed=s) for s in range(2)]
    return {name: [run[i] for run in runs] for i, name in enumerate(names)}


def test_ours_wakes_every_message_itself_and_never_wastes_a_start(
    isolated: dict[str, list[Result]],
) -> None:
    for result in isolated["ours"]:
        assert result.fast_wakes == len(OFFSETS) == result.processed
        assert (result.wasted_starts, result.interrupted) == (0, 0)
        assert max(result.scaling_waits()) <= 60.0  # at most one poll period


def test_a_function_naming_no_alarm_has_its_wake_undone_by_the_stale_idle_alarm(
    isolated: dict[str, list[Result]],
) -> None:
    ours, naive = isolated["ours"], isolated["no-alarm-named"]
    assert all(r.wasted_starts >= 1 for r in naive)
    assert all(r.fast_wakes > len(OFFSETS) for r in naive)  # woke again after each undo
    assert sum(max(r.scaling_waits()) for r in naive) > sum(max(r.scaling_waits()) for r in ours)


def test_a_function_that_may_not_disable_the_alarm_leaves_the_wake_to_the_alarms(
    isolated: dict[str, list[Result]],
) -> None:
    for result in isolated["no-disable"]:
        assert result.fast_wakes < len(OFFSETS) and result.processed == len(OFFSETS)
        assert result.interrupted == 0


def test_without_update_permission_nothing_wakes_fast_and_the_alarms_still_do(
    isolated: dict[str, list[Result]],
) -> None:
    for result in isolated["no-update"]:
        assert result.fast_wakes == 0 and result.processed == len(OFFSETS)


def test_synth_summary_says_how_each_function_wakes(variants: dict[str, Path]) -> None:
    from sqs_scale_to_zero.simulate.describe import describe

    def wake_line(name: str) -> str:
        model = load_service(variants[name])
        function = model.pollers[0].function_logical_id
        (line,) = [ln for ln in describe(model) if ln.startswith(f"  {function} ")]
        return line

    assert "holding off" in wake_line("ours") and "until it leaves ALARM" in wake_line("ours")
    assert "naming no idle alarm" in wake_line("no-alarm-named")
    assert "no wake while it alarms" in wake_line("no-disable")
    assert "no fast wake" in wake_line("no-update")
