"""Tasks that run but never take a message (``SimulationConfig(tasks_receive=False)``): the
construct's tasks-not-receiving alarm sets the service to zero again and again, where without it
the broken task runs the whole horizon; a working service never trips it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, simulate

HORIZON_HOURS = 3
ONE_MESSAGE = [WorkItem(60.0, 10.0, 50.0)]
BROKEN = SimulationConfig(tasks_receive=False)


@pytest.fixture(scope="module")
def templates(ours_watched_template: Path, anchor_templates: dict[str, Path]) -> tuple[Path, Path]:
    """(the construct with the alarm; the construct with monitoring off)."""
    return ours_watched_template, anchor_templates["ScaleToZeroUnprotected"]


def test_the_alarm_scales_in_tasks_that_take_no_message(templates: tuple[Path, Path]) -> None:
    alarmed, unmonitored = simulate(
        list(templates), ONE_MESSAGE, horizon=HORIZON_HOURS * 3600, config=BROKEN
    )

    assert alarmed.processed == unmonitored.processed == 0
    # without the alarm one broken task runs the whole horizon; nothing else stops it
    assert unmonitored.task_launches == 1
    assert unmonitored.task_hours == pytest.approx(HORIZON_HOURS, rel=0.02)
    # with it the service is set to zero every few minutes, and the message wakes it again
    assert alarmed.task_launches >= 5
    assert alarmed.task_hours < 0.9 * HORIZON_HOURS


def test_a_working_service_never_trips_it(ours_watched_template: Path) -> None:
    (result,) = simulate([ours_watched_template], ONE_MESSAGE, horizon=HORIZON_HOURS * 3600)

    assert result.processed == 1
    assert result.task_launches == 1  # woken once, set to zero once by the idle alarm
