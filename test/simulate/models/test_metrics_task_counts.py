"""Container Insights' task counts and the signal's desired count as metric sources."""

from __future__ import annotations

from pathlib import Path

from sqs_scale_to_zero.simulate.models.metrics import (
    CONTAINER_INSIGHTS_NAMESPACE,
    DEFAULT_PUBLISH_DELAY,
    QueueGauges,
    ServiceGauges,
    Snapshot,
    find_metric_source,
)
from sqs_scale_to_zero.simulate.run import Simulation
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.template.specs import MetricStat
from sqs_scale_to_zero.simulate.workload import WorkItem
from sqs_scale_to_zero.worker import contract


def _metric(namespace: str, name: str, subject: str) -> MetricStat:
    return MetricStat(namespace, name, {}, subject, "Maximum", 60)


def test_insights_counts_exist_only_where_container_insights_is_on() -> None:
    desired = _metric(CONTAINER_INSIGHTS_NAMESPACE, "DesiredTaskCount", "Svc")
    running = _metric(CONTAINER_INSIGHTS_NAMESPACE, "RunningTaskCount", "Svc")
    on = Snapshot(0.0, services={"Svc": ServiceGauges(None, 0, 0, insights=True)})
    off = Snapshot(0.0, services={"Svc": ServiceGauges(None, 2, 3)})
    for metric, value in ((desired, 0.0), (running, 0.0)):
        source = find_metric_source(metric.namespace, metric.metric_name)
        assert source is not None
        assert source(on, metric) == value  # 0 is a datapoint, not missing data
        assert source(off, metric) is None
    assert DEFAULT_PUBLISH_DELAY[CONTAINER_INSIGHTS_NAMESPACE] == DEFAULT_PUBLISH_DELAY["AWS/ECS"]


def test_the_signal_desired_count_is_what_the_run_read_and_absent_otherwise() -> None:
    metric = _metric(contract.SIGNAL_NAMESPACE, contract.SIGNAL_DESIRED_METRIC, "Q")
    source = find_metric_source(metric.namespace, metric.metric_name)
    assert source is not None
    read = QueueGauges(1, 0, 0, True, desired=1)
    unread = QueueGauges(1, 0, 0, True)
    key = (contract.SIGNAL_NAMESPACE, "Q")
    assert source(Snapshot(0.0, polled={key: read}), metric) == 1.0
    assert source(Snapshot(0.0, polled={key: unread}), metric) is None
    assert source(Snapshot(0.0), metric) is None


def test_the_construct_sizing_alarm_reads_a_desired_series_that_is_zero_at_zero(
    ours_on_alarm_template: Path,
) -> None:
    """Container Insights' desired count, where the sizing reads it (``Wake.ON_ALARM``)."""
    model = load_service(ours_on_alarm_template)
    assert model.container_insights
    sim = Simulation(model, [WorkItem(4 * 3600.0 + 7, 30.0, 50.0)], seed=0, horizon=5 * 3600.0)
    sim.run()
    # the sizing alarm and the tasks-not-receiving alarm read the same series
    desired, *others = [
        q.metric
        for a in model.alarms
        for q in a.queries
        if q.metric is not None and q.metric.metric_name == "DesiredTaskCount"
    ]
    assert all(other == desired for other in others)
    series = sim.store.samples(desired)
    assert series[0] == 1.0 and 0.0 in series and None not in series
    assert 1.0 in series[4 * 60 : 4 * 60 + 10]  # the wake from zero shows within minutes
