"""CloudWatch alarms: statistics over periods, publishing delay, M of N, TreatMissingData."""

from __future__ import annotations

from collections.abc import Sequence

from sqs_scale_to_zero.simulate.models.alarm_evaluation import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    AlarmRuntime,
)
from sqs_scale_to_zero.simulate.models.metrics import (
    MetricStore,
    QueueGauges,
    Snapshot,
    aggregate,
)
from sqs_scale_to_zero.simulate.template.specs import AlarmSpec, MetricQuery, MetricStat

VISIBLE = MetricStat("AWS/SQS", "ApproximateNumberOfMessagesVisible", {}, "Q", "Maximum", 60)


def alarm(
    *,
    n: int = 1,
    m: int | None = None,
    threshold: float = 1.0,
    comparison: str = "GreaterThanOrEqualToThreshold",
    missing: str = "missing",
    metric: MetricStat = VISIBLE,
    queries: tuple[MetricQuery, ...] | None = None,
) -> AlarmSpec:
    return AlarmSpec(
        logical_id="A",
        queries=queries or (MetricQuery("m", metric, None, True),),
        period=metric.period,
        evaluation_periods=n,
        datapoints_to_alarm=m or n,
        threshold=threshold,
        comparison=comparison,
        treat_missing_data=missing,
        alarm_actions=("P",),
    )


def feed(store: MetricStore, samples: Sequence[int | None]) -> None:
    """Record one minute per sample; ``None`` = the queue is not publishing."""
    for i, v in enumerate(samples, start=1):
        gauges = QueueGauges(v or 0, 0, 0, v is not None)
        store.record_minute(Snapshot(now=60.0 * i, queues={"Q": gauges}))


def test_statistics() -> None:
    assert aggregate([1.0, 3.0, 2.0], "Maximum") == 3.0
    assert aggregate([1.0, 3.0, 2.0], "Minimum") == 1.0
    assert aggregate([1.0, 3.0, 2.0], "Average") == 2.0
    assert aggregate([1.0, 3.0, 2.0], "Sum") == 6.0
    assert aggregate([1.0, 3.0, 2.0], "SampleCount") == 3.0


def test_period_aggregates_one_minute_samples_and_waits_for_the_publishing_delay() -> None:
    store = MetricStore({"AWS/SQS": 60.0})
    five_minutes = MetricStat(
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", {}, "Q", "Maximum", 300
    )
    store.track(five_minutes)
    feed(store, [0, 4, 0, 0, 0, 7])
    # at t=360 the minute ending at 360 is not published yet: the window is minutes 1..5
    assert store.query(five_minutes, 1, now=360.0) == [4.0]
    assert store.query(five_minutes, 1, now=420.0) == [7.0]
    assert store.query(five_minutes, 2, now=420.0) == [0.0, 7.0]


def test_m_out_of_n() -> None:
    store = MetricStore({"AWS/SQS": 0.0})
    rt = AlarmRuntime(alarm(n=3, m=2), store)
    feed(store, [1, 0, 0])
    assert rt.evaluate(180.0).state == OK
    feed_more = [0, 0, 0, 1, 0, 1]
    store2 = MetricStore({"AWS/SQS": 0.0})
    rt2 = AlarmRuntime(alarm(n=3, m=2), store2)
    feed(store2, feed_more)
    assert rt2.evaluate(360.0).state == ALARM  # 1, 0, 1 -> 2 of 3 breach


def test_treat_missing_data_modes() -> None:
    def state(missing: str, samples: list[int | None], initial: str = OK) -> str:
        store = MetricStore({"AWS/SQS": 0.0})
        rt = AlarmRuntime(alarm(n=3, missing=missing), store)
        rt.state = initial
        feed(store, samples)
        return rt.evaluate(60.0 * len(samples)).state

    none: list[int | None] = [None, None, None]
    assert state("missing", none) == INSUFFICIENT_DATA
    assert state("breaching", none) == ALARM
    assert state("notBreaching", none) == OK
    assert state("ignore", none, initial=ALARM) == ALARM
    # some present: missing datapoints count as breaching only with "breaching"
    assert state("breaching", [1, None, None]) == ALARM
    assert state("notBreaching", [1, None, None]) == OK
    assert state("missing", [1, None, 1]) == OK  # 2 present, both breach, 2 < 3


def test_state_change_is_reported_once() -> None:
    store = MetricStore({"AWS/SQS": 0.0})
    rt = AlarmRuntime(alarm(), store)
    feed(store, [2])
    first = rt.evaluate(60.0)
    feed(store, [2])
    second = rt.evaluate(120.0)
    assert (first.state, first.changed, second.state, second.changed) == (
        ALARM,
        True,
        ALARM,
        False,
    )


def test_metric_math_alarm_uses_the_return_data_expression() -> None:
    store = MetricStore({"AWS/SQS": 0.0})
    queries = (
        MetricQuery("visible", VISIBLE, None, False),
        MetricQuery("idle", None, "IF(FILL(visible, 0) == 0, 1, 0)", True),
    )
    rt = AlarmRuntime(alarm(n=2, missing="breaching", queries=queries), store)
    feed(store, [None, 0])
    ev = rt.evaluate(120.0)
    assert ev.datapoints == [1.0, 1.0] and ev.state == ALARM


def test_aggregated_value_for_step_policy() -> None:
    store = MetricStore({"AWS/SQS": 0.0})
    rt = AlarmRuntime(alarm(n=3), store)
    feed(store, [1, 5, 3])
    ev = rt.evaluate(180.0)
    assert ev.aggregated("Maximum", 1.0) == 5.0
    assert ev.aggregated("Average", 1.0) == 3.0
