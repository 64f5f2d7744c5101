"""The idle-detection benchmark's arithmetic: real gaps, time to 0 tasks, goal lines."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks.idle_detection import (
    HEADERS,
    ZERO_MARGIN_SECONDS,
    Row,
    aggregate,
    cells,
    measure_run,
    render,
)
from benchmarks.idle_timeline import (
    first_set_to_zero,
    first_zero,
    gap_followers,
    idle_timeout_seconds,
)
from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, load_service
from sqs_scale_to_zero.simulate.workload import steady


def row(**changes: object) -> Row:
    fields: dict[str, object] = {
        "workload": "w",
        "stack": "ours (default)",
        "idle_timeout": 300.0,
        "real_gaps": 0,
        "launches": 1,
        "launches_after_first_wake": 0,
        "wait_p95_after_first_wake": 0.0,
        "extra_wakes": 0,
        "worst_time_to_set_zero": 330.0,
        "worst_time_to_no_task": 332.0,
        "wake_after_8h": None,
        "interrupted": 0,
        "processed": 3,
        "messages": 3,
    }
    fields.update(changes)
    return Row(**fields)  # type: ignore[arg-type]


def test_real_gaps_are_the_lead_in_and_the_silences_between_messages() -> None:
    items = [WorkItem(400.0, 10.0), WorkItem(500.0, 10.0), WorkItem(820.0, 1.0)]
    assert gap_followers(items, 300.0) == [0, 2]  # 400 s lead-in; 820 - 510 = 310 s
    assert gap_followers(items, 320.0) == [0]
    assert gap_followers(items[1:], 300.0) == [0, 1]
    assert gap_followers([WorkItem(0.0, 500.0), WorkItem(600.0, 1.0)], 300.0) == []


def test_first_zero_finds_the_first_moment_without_a_task() -> None:
    tasks = [(0.0, 100.0), (50.0, 200.0), (300.0, 400.0)]
    assert first_zero(tasks, 10.0, 1000.0) == 200.0
    assert first_zero(tasks, 250.0, 1000.0) == 250.0
    assert first_zero(tasks, 10.0, 150.0) is None


def test_set_to_zero_is_the_first_scaling_activity_to_0_or_an_earlier_0_still_standing() -> None:
    changes = [(60.0, 2), (600.0, 1), (900.0, 0), (1200.0, 1), (1500.0, 0)]
    launches = [0.0, 60.0, 1200.0]
    assert first_set_to_zero(changes, launches, 100.0, 2000.0) == 900.0
    assert first_set_to_zero(changes, launches, 100.0, 900.0) is None
    assert first_set_to_zero(changes, launches, 1000.0, 2000.0) == 1000.0  # set at 900
    assert first_set_to_zero(changes, launches, 1300.0, 2000.0) == 1500.0
    # a launch after the activity to 0 (the fast wake's direct UpdateService) ends that 0
    assert first_set_to_zero(changes, [*launches, 950.0], 1000.0, 2000.0) == 1500.0
    assert first_set_to_zero(changes, [*launches, 950.0], 1000.0, 1400.0) is None
    assert first_set_to_zero([], launches, 0.0, 2000.0) is None


def test_idle_timeout_is_the_scale_in_alarms_window(
    ours_template: Path, anchor_templates: dict[str, Path]
) -> None:
    assert idle_timeout_seconds(load_service(ours_template)) == 300.0
    assert idle_timeout_seconds(load_service(anchor_templates["SeedBlog"])) == 180.0


def test_the_goal_allows_one_launch_per_real_gap_and_no_wait_between_gaps() -> None:
    assert row().failures() == []
    assert row(launches=3, real_gaps=2).failures() == []
    assert row(launches=2).failures() == ["2 task launches, 1 allowed"]
    assert row(extra_wakes=3).failures() == ["3 extra wakes between real gaps"]
    assert row(worst_time_to_set_zero=300.0 + ZERO_MARGIN_SECONDS).failures() == []
    # judged on the moment the service is set to 0, not on the last task's stop after it
    assert row(worst_time_to_set_zero=420.0, worst_time_to_no_task=421.5).failures() == []
    assert row(worst_time_to_set_zero=421.0).failures() == [
        "set to 0 tasks 421 s after a gap's last message (limit 420 s)"
    ]
    assert row(worst_time_to_set_zero=math.inf).failures() == [
        "set to 0 tasks never after a gap's last message (limit 420 s)"
    ]
    assert row(wake_after_8h=2000.0).failures() == ["wake after 8 h 2000 s, today 1046 s"]
    assert row(interrupted=1, processed=2).failures() == ["1 interrupted", "1 not processed"]


def test_a_run_on_the_construct_is_measured_and_judged(
    ours_template: Path, ours_signal_template: Path
) -> None:
    items = steady(interval_seconds=60.0, hours=1.0, work_seconds=5.0)
    for name, path in (
        ("ours (default)", ours_template),
        ("ours (signal)", ours_signal_template),
    ):
        model = load_service(path)
        run = measure_run(model, items, seed=0, idle_timeout=300.0)
        assert run.processed == run.messages == 60 and run.interrupted == 0
        assert len(run.waits_after_first_wake) == 59
        # with no real gap, every wake is extra, and only a wake makes a wait longer than a job
        assert run.extra_wakes <= run.launches - 1
        assert (run.extra_wakes == 0) == all(w <= 5.0 for w in run.waits_after_first_wake)
        (set_zero,) = run.times_to_set_zero  # the trailing hour of silence
        (no_task,) = run.times_to_no_task
        # the idle alarm's scale-in sets 0 at a minute's evaluation; the idle task then exits
        assert 300.0 < set_zero <= 300.0 + ZERO_MARGIN_SECONDS
        assert no_task == pytest.approx(set_zero + SimulationConfig().exit_seconds)
        result = aggregate("steady", name, 300.0, len(gap_followers(items, 300.0)), [run])
        assert result.launches == run.launches
        line = f"- steady, {name}: " + ("PASS" if not result.failures() else "FAIL (")
        assert line in render([result], 1)


@pytest.mark.parametrize("markdown", [False, True])
def test_render_prints_anchors_without_a_verdict(markdown: bool) -> None:
    shown = dict(zip(HEADERS, cells(row(worst_time_to_no_task=math.inf)), strict=True))
    assert (
        dict(zip(HEADERS, cells(row(worst_time_to_set_zero=None)), strict=True))[
            "last message -> set to 0 tasks"
        ]
        == "-"
    )
    assert shown["last message -> set to 0 tasks"] == "330.0 s"
    assert shown["last message -> last task stopped"] == "never"
    text = render([row(), row(stack="seed blog")], 3, markdown=markdown)
    assert "- w, ours (default): PASS" in text and "- w, seed blog" not in text
