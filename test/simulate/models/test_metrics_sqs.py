"""SQS's metrics in the simulator: gauges as one seeded sample a minute, activity as exact sums.

Each case runs the always-on anchor (one task that takes each message at once) and reads the
one-minute datapoints the metric store recorded, index = minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, load_service
from sqs_scale_to_zero.simulate.run import Simulation
from sqs_scale_to_zero.simulate.template.specs import MetricStat

METRICS = {
    "visible": ("ApproximateNumberOfMessagesVisible", "Maximum"),
    "in_flight": ("ApproximateNumberOfMessagesNotVisible", "Maximum"),
    "oldest": ("ApproximateAgeOfOldestMessage", "Maximum"),
    "sent": ("NumberOfMessagesSent", "Sum"),
    "received": ("NumberOfMessagesReceived", "Sum"),
    "deleted": ("NumberOfMessagesDeleted", "Sum"),
}


def datapoints(
    template: Path,
    workload: list[WorkItem],
    *,
    minutes: int,
    seed: int = 0,
    config: SimulationConfig | None = None,
) -> dict[str, list[float | None]]:
    """Run ``minutes`` of ``workload`` and return every AWS/SQS series of the service's queue."""
    model = load_service(template)
    sim = Simulation(model, workload, seed=seed, horizon=60.0 * minutes + 1, config=config)
    metrics = {
        key: MetricStat("AWS/SQS", name, {}, model.queue.logical_id, stat, 60)
        for key, (name, stat) in METRICS.items()
    }
    for metric in metrics.values():
        sim.store.track(metric)
    sim.run()
    return {key: sim.store.samples(metric) for key, metric in metrics.items()}


def at_second(second: float) -> SimulationConfig:
    return SimulationConfig(gauge_sample_second=second)


def test_a_gauge_misses_a_message_handled_between_two_samples(
    anchor_templates: dict[str, Path],
) -> None:
    """Sent at 10 s, received at once, deleted at 15 s: a sample at 30 s sees nothing."""
    always_on = anchor_templates["AlwaysOn"]
    seen = datapoints(always_on, [WorkItem(10.0, 5.0)], minutes=2, config=at_second(30.0))
    assert (seen["visible"], seen["in_flight"]) == ([0.0, 0.0], [0.0, 0.0])
    assert (seen["sent"], seen["received"], seen["deleted"]) == ([1.0, 0.0],) * 3
    during = datapoints(always_on, [WorkItem(10.0, 5.0)], minutes=2, config=at_second(12.0))
    assert during["in_flight"] == [1.0, 0.0]


def test_the_sample_moment_is_seeded_and_differs_from_minute_to_minute(
    anchor_templates: dict[str, Path],
) -> None:
    """A message at the start of every minute, in flight for its first 30 s: each minute's
    sample sees it or not depending on its moment (about half of them do)."""
    items = [WorkItem(60.0 * i, 30.0) for i in range(120)]
    always_on = anchor_templates["AlwaysOn"]
    first = datapoints(always_on, items, minutes=120, seed=1)["in_flight"]
    again = datapoints(always_on, items, minutes=120, seed=1)["in_flight"]
    other = datapoints(always_on, items, minutes=120, seed=2)["in_flight"]
    assert first == again and first != other
    assert set(first) == {0.0, 1.0} and 30 < first.count(1.0) < 90
    pinned = datapoints(always_on, items, minutes=120, config=at_second(45.0))["in_flight"]
    assert set(pinned) == {0.0}


def test_the_sums_count_every_send_receive_and_delete_of_the_minute(
    anchor_templates: dict[str, Path],
) -> None:
    items = [WorkItem(1.0 + 5 * i, 1.0) for i in range(10)]  # 10 short jobs in the first minute
    seen = datapoints(anchor_templates["AlwaysOn"], items, minutes=2)
    assert (seen["sent"], seen["received"], seen["deleted"]) == ([10.0, 0.0],) * 3
    assert max(v or 0.0 for v in seen["in_flight"]) <= 1.0


def test_the_age_of_the_oldest_message_is_sampled_and_absent_on_an_empty_queue(
    anchor_templates: dict[str, Path],
) -> None:
    """One 100 s job sent at 0 s: 30 s old at the first sample, 90 s at the second, then gone."""
    seen = datapoints(
        anchor_templates["AlwaysOn"], [WorkItem(0.0, 100.0)], minutes=3, config=at_second(30.0)
    )
    assert seen["oldest"] == [30.0, 90.0, None]


def test_an_inactive_queue_publishes_no_sums_either(reference_template_path: Path) -> None:
    """The reference service starts at zero tasks: after 6 h its queue is inactive; a message at
    8 h wakes it, and SQS's metrics resume after the wake delay, sums and gauges alike."""
    seen = datapoints(
        reference_template_path,
        [WorkItem(8 * 3600.0 + 10.0, 10.0)],
        minutes=9 * 60,
        seed=3,
        config=SimulationConfig(wake_metrics_delay_max=900.0),
    )
    published = [v is not None for v in seen["visible"]]
    for key in ("in_flight", "sent", "received", "deleted"):
        assert [v is not None for v in seen[key]] == published, key
    assert not any(published[6 * 60 + 1 : 8 * 60])
    assert all(published[8 * 60 + 15 :])
    assert sum(v or 0.0 for v in seen["sent"]) <= 1.0


@pytest.mark.parametrize("second", [-1.0, 60.5])
def test_a_sample_moment_outside_the_minute_is_rejected(
    second: float, anchor_templates: dict[str, Path]
) -> None:
    from sqs_scale_to_zero.simulate.errors import SimulationArgumentError

    with pytest.raises(SimulationArgumentError, match="gauge_sample_second"):
        datapoints(anchor_templates["AlwaysOn"], [], minutes=1, config=at_second(second))
