"""The synth summary's plain paragraph: every value read from the template or simulated on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate.describe import describe, summary
from sqs_scale_to_zero.simulate.plain_summary import (
    PROBE_MESSAGES,
    PROBE_SEEDS,
    Section,
    Wakes,
    measure_wakes,
    paragraph,
    sections,
)
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.template.specs import ServiceModel
from sqs_scale_to_zero.worker import contract
from test.conftest import Synthesized
from test.simulate.templates import write_template

KNOWN = Wakes(waits=(60.0, 90.0, 150.0), back_to_minimum=(420.0,))
"""Wakes given, so that the texts below need no simulation."""


def _texts(model: ServiceModel, wakes: Wakes = KNOWN) -> dict[str, str]:
    return {s.heading: s.text for s in sections(model, wakes=wakes)}


def _edited(template: Path, tmp_path: Path, **changes: Any) -> ServiceModel:
    """``template`` with each resource of a type given its properties' changes."""
    body = json.loads(template.read_text())
    for resource in body["Resources"].values():
        for key, value in changes.get(resource["Type"].split("::")[-1], {}).items():
            if key in resource["Properties"]:
                resource["Properties"][key] = value
    return load_service(write_template(tmp_path, "Edited", body))


@pytest.fixture(scope="module")
def ours(ours_template: Path) -> ServiceModel:
    return load_service(ours_template)


def test_the_default_in_plain_words(ours: ServiceModel) -> None:
    texts = _texts(ours)
    assert texts["wakes"] == (
        "a message to the idle service starts after about 1.5 min (at most 2.5 min in 3 "
        "simulated wakes)"
    )
    assert texts["sleeps"] == (
        "back to 0 tasks about 7.0 min after its last message (5 idle minutes, judged on "
        "the queue's messages and the tasks' CPU)"
    )
    assert texts["scales"] == "up to 4 tasks, one per 3 waiting messages"
    assert texts["protects"] == "scale-in never stops a task working on a message"
    assert texts["watches"] == (
        "tasks that take no message while messages wait raise an alarm and are set to 0 tasks "
        "after 14 such minutes"
    )
    assert texts["fails"] == "a message received 3 times goes to the DLQ"


def test_no_watch_is_told_without_the_alarm_on_tasks_taking_no_message(
    ours_template: Path, tmp_path: Path
) -> None:
    body = json.loads(ours_template.read_text())
    for lid in [k for k in body["Resources"] if contract.NOT_WORKING_ALARM_ID in k]:
        del body["Resources"][lid]

    texts = _texts(load_service(write_template(tmp_path, "NoWatch", body)))

    assert "watches" not in texts and texts["fails"].endswith("goes to the DLQ")


def test_the_values_follow_the_template(ours_template: Path, tmp_path: Path) -> None:
    # given the default with other capacity, idle evaluation and redrive values
    model = _edited(
        ours_template,
        tmp_path,
        ScalableTarget={"MaxCapacity": 9},
        Queue={"RedrivePolicy": None},
    )
    body = json.loads((tmp_path / "Edited.template.json").read_text())
    idle = next(k for k in body["Resources"] if k.startswith("WorkerScaleInAlarm"))
    body["Resources"][idle]["Properties"].update(EvaluationPeriods=7, DatapointsToAlarm=7)
    model = load_service(write_template(tmp_path, "Edited", body))
    # then the plain words say them
    texts = _texts(model)
    assert texts["scales"].startswith("up to 9 tasks")
    assert "(7 idle minutes" in texts["sleeps"]
    assert "fails" not in texts


def test_kept_warm_needs_no_wake(ours_template: Path, tmp_path: Path) -> None:
    model = _edited(ours_template, tmp_path, ScalableTarget={"MinCapacity": 1})
    texts = _texts(model, wakes=Wakes((), ()))
    assert texts["wakes"] == "keeps 1 task running, so a message starts at once"
    assert texts["sleeps"].startswith("back to 1 task (5 idle minutes")


def test_the_wakes_are_simulated_and_the_service_sleeps_after_its_idle_minutes(
    ours: ServiceModel,
) -> None:
    measured = measure_wakes(ours)
    assert len(measured.waits) == PROBE_MESSAGES * len(PROBE_SEEDS)
    assert min(measured.waits) > 0, "each message finds the service at zero"
    idle_alarm = next(a for a in ours.alarms if a.evaluation_periods == 5)
    idle_seconds = idle_alarm.datapoints_to_alarm * idle_alarm.period
    assert len(measured.back_to_minimum) == len(measured.waits)
    assert min(measured.back_to_minimum) >= idle_seconds


@pytest.mark.parametrize(
    ("fixture", "scales"),
    [
        ("sized_service", "up to 50 tasks, one per 10 waiting messages"),
        ("brought_queue_service", "up to 10 tasks, adding 1 to 3 at a time as messages wait"),
    ],
)
def test_the_scale_out_steps_in_words(
    fixture: str, scales: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    synthesized: Synthesized = request.getfixturevalue(fixture)
    model = load_service(write_template(tmp_path, "S", synthesized.template.to_json()))
    assert _texts(model)["scales"] == scales


def test_twenty_step_levels_are_one_range_in_the_details(
    sized_service: Synthesized, tmp_path: Path
) -> None:
    model = load_service(write_template(tmp_path, "S", sized_service.template.to_json()))
    (steps,) = [line for line in describe(model) if "steps:" in line and "ChangeInCapacity" in line]
    assert steps.lstrip().startswith("steps: [1, 441) -> +1 to +44, a task per 10 (19 levels), ")
    assert len(steps) < 200, "not one entry per level"
    lines = summary(model, details=True, wakes=KNOWN)
    assert lines[1].startswith("  A message to the idle service") and "  details:" in lines
    assert max(len(line) for line in lines) <= 94


def test_the_paragraph_is_wrapped_and_capitalized() -> None:
    words = [Section("a", "one " * 30), Section("b", "two")]
    lines = paragraph(words, width=40)
    assert lines[0].startswith("One one") and lines[-1].endswith("; two.")
    assert max(len(line) for line in lines) <= 40


def test_a_long_idle_look_back_still_measures_wakes_from_zero(
    ours_template: Path, tmp_path: Path
) -> None:
    # given an idle alarm that looks back three hours (longer than the default spacing)
    body = json.loads(ours_template.read_text())
    idle = next(k for k in body["Resources"] if k.startswith("WorkerScaleInAlarm"))
    body["Resources"][idle]["Properties"].update(EvaluationPeriods=180, DatapointsToAlarm=180)
    # (and no other scale-in: the alarm for tasks doing no work would set it to zero first)
    for lid, resource in body["Resources"].items():
        if contract.NOT_WORKING_ALARM_ID in lid:
            resource["Properties"].pop("AlarmActions")
    model = load_service(write_template(tmp_path, "LongIdle", body))
    # then every isolated message still finds the service at zero
    measured = measure_wakes(model)
    assert len(measured.waits) == PROBE_MESSAGES * len(PROBE_SEEDS)
    assert min(measured.waits) > 0 and min(measured.back_to_minimum) >= 180 * 60
    assert "(180 idle minutes" in _texts(model, wakes=measured)["sleeps"]
