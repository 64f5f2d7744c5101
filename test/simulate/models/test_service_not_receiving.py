"""Tasks that run but never take a message (``SimulationConfig(tasks_receive=False)``: a crash
at start, a wrong queue, access denied), against the construct's default template: the alarm
for tasks doing no work pages within its window and sets the service to zero, again and again,
where without monitoring the broken task runs the whole horizon; a working service never trips
it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, simulate
from sqs_scale_to_zero.simulate.run import run_simulation
from sqs_scale_to_zero.simulate.template.reader import TemplateReader
from sqs_scale_to_zero.simulate.timeline.record import Timeline
from sqs_scale_to_zero.worker import contract

HORIZON_HOURS = 3
ONE_MESSAGE = [WorkItem(60.0, 10.0, 50.0)]
BROKEN = SimulationConfig(tasks_receive=False)
SEEDS = range(3)


def timeline_of(template: Path, config: SimulationConfig | None, seed: int) -> Timeline:
    reader = TemplateReader.from_path(template)
    (sid,) = reader.service_ids()
    result = run_simulation(
        reader.service(sid),
        ONE_MESSAGE,
        seed=seed,
        horizon=HORIZON_HOURS * 3600,
        config=config,
        timeline=True,
    )
    assert result.timeline is not None
    return result.timeline


def not_working_states(timeline: Timeline) -> list[str]:
    (index,) = [
        i for i, lid in enumerate(timeline.alarm_ids) if contract.NOT_WORKING_ALARM_ID in lid
    ]
    return [row.alarms[index] for row in timeline.rows]


def window_minutes(template: Path) -> int:
    reader = TemplateReader.from_path(template)
    (alarm,) = [
        props
        for lid, props in reader.of_type("AWS::CloudWatch::Alarm").items()
        if contract.NOT_WORKING_ALARM_ID in lid
    ]
    return int(alarm["EvaluationPeriods"])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_default_pages_and_scales_in_within_its_window(ours_template: Path, seed: int) -> None:
    timeline = timeline_of(ours_template, BROKEN, seed)
    states = not_working_states(timeline)
    first_task = next(r.minute for r in timeline.rows if r.tasks_running > 0)

    paged = states.index("ALARM")
    # within the alarm's window (15 minutes), counted from the first task's minute
    assert paged - first_task <= window_minutes(ours_template)
    assert all(row.visible == 1 and row.received == 0 for row in timeline.rows[1 : paged + 1])
    # set to zero at once: no task at the next boundary, with the message still waiting
    scaled_in = next(r for r in timeline.rows[paged:] if r.tasks_running == 0)
    assert scaled_in.minute - paged <= 2
    assert scaled_in.visible == 1 and scaled_in.in_flight == 0
    # it stays paged while the tasks take nothing
    assert set(states[paged:]) == {"ALARM"}
    (message,) = timeline.messages
    assert message.receives == 0


def test_without_monitoring_the_broken_task_runs_the_whole_horizon(
    ours_template: Path, anchor_templates: dict[str, Path]
) -> None:
    alarmed, unmonitored = simulate(
        [ours_template, anchor_templates["ScaleToZeroUnprotected"]],
        ONE_MESSAGE,
        horizon=HORIZON_HOURS * 3600,
        config=BROKEN,
    )

    assert alarmed.processed == unmonitored.processed == 0
    assert unmonitored.task_launches == 1
    assert unmonitored.task_hours == pytest.approx(HORIZON_HOURS, rel=0.02)
    # set to zero every few minutes, and the waiting message wakes it again at once
    assert alarmed.task_launches >= 10
    assert alarmed.task_hours < 0.9 * HORIZON_HOURS


@pytest.mark.parametrize("seed", SEEDS)
def test_a_working_service_never_trips_it(ours_template: Path, seed: int) -> None:
    timeline = timeline_of(ours_template, None, seed)

    assert set(not_working_states(timeline)) == {"OK"}
    (message,) = timeline.messages
    assert message.finished is not None
