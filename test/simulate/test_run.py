"""The event loop end to end on small cases: tasks, visibility, protection, cost, determinism."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import Result, SimulationConfig, WorkItem, simulate
from sqs_scale_to_zero.simulate.config import default_horizon
from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.cost import FargatePricing
from sqs_scale_to_zero.simulate.models.tasks import StartLatency
from test.simulate.reference_template import reference_template
from test.simulate.templates import write_template

FIXED_START = SimulationConfig(start_latency=StartLatency(30, 30, 30), gauge_sample_second=60.0)
"""Fixed task start, and SQS's gauges sampled at each minute's end, for exact timings."""


def test_always_on_processes_at_once_and_pays_for_every_hour(
    anchor_templates: dict[str, Path],
) -> None:
    items = [WorkItem(60.0 * i, 10.0, 50.0) for i in range(10)]
    (r,) = simulate([anchor_templates["AlwaysOn"]], items, horizon=3600)
    assert (r.processed, r.interrupted, r.unprocessed, r.task_launches) == (10, 0, 0, 1)
    assert r.wait_seconds() == {"p50": 0.0, "p95": 0.0, "max": 0.0}
    assert r.task_hours == pytest.approx(1.0)
    assert r.idle_task_hours == pytest.approx(1.0 - 100 / 3600)
    assert r.cost_usd == pytest.approx(FargatePricing().hourly(256, 512))


def test_one_worker_drains_a_backlog_in_order(
    anchor_templates: dict[str, Path],
) -> None:
    (r,) = simulate(
        [anchor_templates["AlwaysOn"]],
        [WorkItem(0.0, 100.0, 50.0) for _ in range(3)],
        horizon=3600,
    )
    assert sorted(r.waits) == [0.0, 100.0, 200.0]


def test_wake_from_zero_waits_for_the_alarm_and_the_task_start(
    reference_template_path: Path,
) -> None:
    # message at 30 s -> visible in the minute ending at 60 s -> published at 120 s -> alarm
    # at 120 s -> task starts at 120 s and polls at 150 s (the reference starts at 0 tasks)
    (r,) = simulate([reference_template_path], [WorkItem(30.0, 10.0, 50.0)], config=FIXED_START)
    assert r.processed == 1 and r.waits == [pytest.approx(120.0)]


def test_killed_message_reappears_when_its_visibility_lapses(
    anchor_templates: dict[str, Path],
) -> None:
    # seed blog: 12 h visibility; a 1 h job at 0 % CPU is killed, comes back after 12 h, is killed again
    (r,) = simulate(
        [anchor_templates["SeedBlog"]],
        [WorkItem(600.0, 3600.0, 0.0)],
        horizon=13 * 3600,
        seed=1,
    )
    assert (r.processed, r.interrupted, r.unprocessed) == (0, 2, 1)
    (short,) = simulate(
        [anchor_templates["SeedBlog"]],
        [WorkItem(600.0, 3600.0, 0.0)],
        horizon=11 * 3600,
        seed=1,
    )
    assert short.interrupted == 1


def run_with_blind_scale_in(tmp_path: Path, *, protection: bool) -> list[Result]:
    """Our design with a scale-in alarm that ignores in-flight work; one 30-minute job."""
    t = copy.deepcopy(reference_template(protection=protection))
    idle = t["Resources"]["IdleAlarm"]["Properties"]["Metrics"][-1]
    idle["Expression"] = "IF(FILL(visible, 0) == 0, 1, 0)"
    template = write_template(tmp_path, "T", t)
    return simulate(
        [template], [WorkItem(30.0, 1800.0, 90.0)], config=FIXED_START, horizon=4 * 3600
    )


def test_released_message_is_visible_at_once_with_shutdown_grace(
    tmp_path: Path,
) -> None:
    (r,) = run_with_blind_scale_in(tmp_path, protection=False)
    # each start is interrupted ~5 idle minutes later; the grace release makes the message
    # visible again immediately, so it is retried until it reaches the DLQ (maxReceiveCount 5)
    assert r.interrupted == 5 and r.dead_lettered == 1 and r.processed == 0


def test_task_protection_keeps_a_busy_task_through_exact_capacity_zero(
    tmp_path: Path,
) -> None:
    (r,) = run_with_blind_scale_in(tmp_path, protection=True)
    assert (r.processed, r.interrupted) == (1, 0)
    # the task stops as soon as protection is released: billed about start + work, not more
    assert r.task_hours < (30 + 120 + 1800 + 60) / 3600 + 0.2


def test_unprocessed_messages_at_the_horizon_are_reported(
    anchor_templates: dict[str, Path],
) -> None:
    (r,) = simulate(
        [anchor_templates["AlwaysOn"]],
        [WorkItem(0.0, 600.0, 50.0) for _ in range(5)],
        horizon=1200,
    )
    assert (r.processed, r.unprocessed) == (2, 3)


def test_same_seed_same_result_and_seed_matters(ours_template: Path) -> None:
    items = [WorkItem(3600.0 * i, 30.0, 50.0) for i in range(1, 6)]
    a = [r.to_json() for r in simulate([ours_template], items, seed=5)]
    b = [r.to_json() for r in simulate([ours_template], items, seed=5)]
    c = [r.to_json() for r in simulate([ours_template], items, seed=6)]
    assert json.dumps(a) == json.dumps(b)
    assert a[0]["wait_seconds"] != c[0]["wait_seconds"]


def test_default_horizon_covers_the_last_job_plus_an_hour() -> None:
    assert default_horizon([WorkItem(100.0, 50.0)]) == 3780.0
    assert default_horizon([]) == 3600.0


def test_bad_horizon_is_rejected(ours_template: Path) -> None:
    with pytest.raises(SimulationInputError, match="horizon must be a positive number"):
        simulate([ours_template], [WorkItem(0.0, 1.0)], horizon=0)


def test_workload_may_be_a_file_or_a_generator_spec(ours_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    path.write_text('{"at": 30, "work_seconds": 10, "cpu_percent": 50}\n')
    (r,) = simulate([ours_template], path)
    assert r.processed == 1
    (g,) = simulate([ours_template], "burst:count=20,at=60")
    assert g.processed == 20


def test_a_new_metric_source_can_be_registered(tmp_path: Path) -> None:
    """A fresh-backlog metric (custom namespace, never delayed by inactivity) drives the wake alarm."""
    from sqs_scale_to_zero.simulate.models.metrics import Snapshot, register_metric_source
    from sqs_scale_to_zero.simulate.template.specs import MetricStat

    def backlog(snapshot: Snapshot, metric: MetricStat) -> float | None:
        gauges = snapshot.queues.get(metric.subject or "")
        return None if gauges is None else float(gauges.visible + gauges.in_flight)

    register_metric_source("Test/FreshBacklog", "Backlog", backlog)
    t = copy.deepcopy(reference_template())
    wake = t["Resources"]["WakeAlarm"]["Properties"]
    wake["Namespace"], wake["MetricName"] = "Test/FreshBacklog", "Backlog"
    path = write_template(tmp_path, "Fresh", t)
    # after 8 h idle the SQS metrics are missing for up to 15 min; the custom source is not,
    # and the idle alarm (which reads the missing SQS metrics as idle) loses to the larger wake proposal
    waits = [
        simulate([path], [WorkItem(8 * 3600.0, 10.0, 50.0)], seed=s, config=FIXED_START)[0].waits[0]
        for s in range(3)
    ]
    # sent as a minute starts: that minute's datapoint is seen as it ends, then the 30 s start
    assert waits == [pytest.approx(90.0)] * 3


def test_a_message_sent_on_a_minute_boundary_counts_in_the_minute_it_starts(
    ours_template: Path,
) -> None:
    from sqs_scale_to_zero.simulate.run import Simulation
    from sqs_scale_to_zero.simulate.template.reader import load_service

    model = load_service(ours_template)
    sim = Simulation(model, [WorkItem(120.0, 10.0, 50.0)], config=FIXED_START, horizon=600)
    sim.run()
    sent = next(
        q.metric
        for a in model.alarms
        for q in a.queries
        if q.metric is not None and q.metric.metric_name == "NumberOfMessagesSent"
    )
    # minutes [0, 60), [60, 120), [120, 180): the send at 120 s is in the third
    assert sim.store.samples(sent)[:3] == [0.0, 0.0, 1.0]


def test_task_start_share_and_drain_on_a_wake_from_zero(reference_template_path: Path) -> None:
    # wake as above: the task is asked for at 120 s and polls at 150 s; the second message,
    # sent at 130 s while that task starts, waits 20 s of the start and then 10 s behind the first
    items = [WorkItem(30.0, 10.0, 50.0), WorkItem(130.0, 10.0, 50.0)]
    (r,) = simulate([reference_template_path], items, config=FIXED_START)
    assert r.waits == [pytest.approx(120.0), pytest.approx(30.0)]
    assert r.task_starts == [pytest.approx(30.0), pytest.approx(20.0)]
    assert r.scaling_waits() == [pytest.approx(90.0), pytest.approx(10.0)]
    assert r.drain_seconds == pytest.approx(170.0 - 30.0)
    entry = r.to_json()
    assert entry["drain_seconds"] == pytest.approx(140.0)
    assert entry["wait_minus_task_start_seconds"]["max"] == pytest.approx(90.0)
    assert entry["fast_wakes"] == 0
    # the second message made the reference scale out to a second task, which never served one
    assert (entry["task_launches"], entry["wasted_starts"]) == (2, 1)


def test_an_already_running_task_adds_no_task_start(anchor_templates: dict[str, Path]) -> None:
    (r,) = simulate([anchor_templates["AlwaysOn"]], [WorkItem(10.0, 5.0, 50.0)], horizon=600)
    assert r.task_starts == [0.0] and r.drain_seconds == pytest.approx(5.0)


def test_no_drain_time_while_messages_are_left(reference_template_path: Path) -> None:
    (r,) = simulate([reference_template_path], "burst:count=100", horizon=300)
    assert r.unprocessed > 0 and r.drain_seconds is None and r.to_json()["drain_seconds"] is None
