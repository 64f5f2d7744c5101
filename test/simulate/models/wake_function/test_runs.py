"""The wake function's runs: found in the template, sampled, published (the backlog signal), timed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero import wake_function_handler
from sqs_scale_to_zero.simulate import SimulationConfig, WorkItem, simulate
from sqs_scale_to_zero.simulate.describe import describe
from sqs_scale_to_zero.simulate.models.metrics import (
    QUEUE_GAUGES,
    MetricStore,
    QueueGauges,
    Snapshot,
    find_metric_source,
)
from sqs_scale_to_zero.simulate.models.queue import INACTIVE_AFTER_SECONDS, Message, SqsQueue
from sqs_scale_to_zero.simulate.models.tasks import StartLatency
from sqs_scale_to_zero.simulate.models.wake_function.reader import schedule_rate_seconds
from sqs_scale_to_zero.simulate.models.wake_function.runs import (
    PUBLISH_AFTER_RUN_SECONDS,
    PollerRuntime,
)
from sqs_scale_to_zero.simulate.run import Simulation
from sqs_scale_to_zero.simulate.template.reader import TemplateReader, load_service
from sqs_scale_to_zero.simulate.template.specs import MetricStat, QueuePollerSpec, QueueSpec
from sqs_scale_to_zero.worker import contract
from test.simulate.reference_template import reference_template
from test.simulate.templates import write_template

FIXED_START = SimulationConfig(start_latency=StartLatency(30, 30, 30), gauge_sample_second=60.0)
"""Fixed task start, and SQS's gauges sampled at each minute's end, for exact timings."""


def with_poller(
    template: dict[str, Any],
    *,
    schedule: str = "rate(1 minute)",
    queue_url: Any = None,
    namespace: str | None = contract.SIGNAL_NAMESPACE,
    state: str = "ENABLED",
    signal_alarms: bool = False,
) -> dict[str, Any]:
    """``template`` plus a rule invoking a function that reads the queue (the backlog signal).

    Args:
        template: A template with an SQS queue ``Queue``.
        schedule: The rule's ``ScheduleExpression``.
        queue_url: The function's ``QUEUE_URL``. Default: ``Ref`` to ``Queue``.
        namespace: Its ``METRIC_NAMESPACE`` (``None``: unset).
        state: The rule's ``State``.
        signal_alarms: Point every alarm's AWS/SQS metrics at ``namespace``.
    """
    t = copy.deepcopy(template)
    variables: dict[str, Any] = {contract.SIGNAL_QUEUE_URL: queue_url or {"Ref": "Queue"}}
    if namespace is not None:
        variables[contract.SIGNAL_METRIC_NAMESPACE] = namespace
    t["Resources"]["SignalFunction"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Environment": {"Variables": variables}},
    }
    t["Resources"]["SignalRule"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "ScheduleExpression": schedule,
            "State": state,
            "Targets": [{"Arn": {"Fn::GetAtt": ["SignalFunction", "Arn"]}, "Id": "Target0"}],
        },
    }
    if signal_alarms and namespace is not None:
        for res in t["Resources"].values():
            if res["Type"] != "AWS::CloudWatch::Alarm":
                continue
            props = res["Properties"]
            metrics = [
                q["MetricStat"]["Metric"] for q in props.get("Metrics", []) if "MetricStat" in q
            ]
            for m in [props, *metrics]:
                if m.get("Namespace") == "AWS/SQS":
                    m["Namespace"] = namespace
    return t


# --- template detection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60.0),
        ("rate(5 minutes)", 300.0),
        ("rate(2 hours)", 7200.0),
        ("rate(1 day)", 86400.0),
        ("rate(0 minutes)", None),
        ("cron(* * * * ? *)", None),
        ("rate(1 second)", None),
        (None, None),
    ],
)
def test_schedule_rate_seconds(expression: str | None, seconds: float | None) -> None:
    assert schedule_rate_seconds(expression) == seconds


def test_the_synthesized_backlog_signal_is_a_one_minute_poller_of_the_service_queue(
    ours_signal_template: Path, ours_template: Path
) -> None:
    m = load_service(ours_signal_template)
    (poller,) = m.pollers
    assert (poller.queue_logical_id, poller.period, poller.namespace) == (
        m.queue.logical_id,
        60.0,
        contract.SIGNAL_NAMESPACE,
    )
    signal_metrics = [
        q.metric
        for a in m.alarms
        for q in a.queries
        if q.metric and q.metric.namespace == poller.namespace
    ]
    assert signal_metrics and all(s.subject == m.queue.logical_id for s in signal_metrics)
    # The default's function publishes only the desired count, while tasks run.
    (fast,) = load_service(ours_template).pollers
    assert (fast.period, fast.publishes_backlog, fast.wake is not None) == (60.0, False, True)


def test_a_hand_written_poller_with_a_five_minute_rate() -> None:
    m = TemplateReader(with_poller(reference_template(), schedule="rate(5 minutes)"), "t").service()
    assert m.pollers == (
        QueuePollerSpec("SignalRule", "SignalFunction", "Queue", 300.0, contract.SIGNAL_NAMESPACE),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"state": "DISABLED"},
        {"schedule": "cron(0/1 * * * ? *)"},
        {"queue_url": {"Ref": "Dlq"}},
        {"queue_url": "https://example.invalid/123456789012/other"},
    ],
)
def test_rules_that_do_not_poll_the_queue_on_a_rate_are_ignored(kwargs: dict[str, Any]) -> None:
    m = TemplateReader(with_poller(reference_template(), **kwargs), "t").service()
    assert m.pollers == ()


def test_a_poller_without_a_namespace_only_keeps_the_queue_active() -> None:
    m = TemplateReader(with_poller(reference_template(), namespace=None), "t").service()
    (poller,) = m.pollers
    assert poller.namespace is None and PollerRuntime(poller, 0.0).sample_key is None


def test_the_simulated_namespace_and_names_are_the_handlers() -> None:
    # The handler's own module globals (it imports them without re-exporting them).
    handler = vars(wake_function_handler)
    assert handler["SIGNAL_QUEUE_DIMENSION"] == contract.SIGNAL_QUEUE_DIMENSION
    assert set(handler["SIGNAL_METRICS"].values()) == set(QUEUE_GAUGES)


# --- runs, metric source, publish delay -----------------------------------------------------


def test_a_run_reads_the_live_counts_and_keeps_the_queue_active() -> None:
    queue = SqsQueue(QueueSpec("Queue", "q"), lambda: 900.0)
    queue.send(Message(0, 0.0, 1.0, 1.0), 0.0)
    runtime = PollerRuntime(QueuePollerSpec("R", "F", "Queue", 60.0, "NS"), 0.0)
    assert runtime.run(queue, 10.0) == QueueGauges(0, 0, 1, True)
    later = INACTIVE_AFTER_SECONDS + 100.0
    runtime.run(queue, later - 60.0)
    assert not queue.inactive(later) and queue.publishing(later)


@pytest.mark.parametrize(
    ("phase", "period", "delay"),
    [
        (0.0, 60.0, 0.0),
        (45.0, 60.0, 0.0),
        (50.0, 60.0, 5.0),
        (59.0, 60.0, 14.0),
        (290.0, 300.0, 5.0),
    ],
)
def test_publish_delay_after_the_minute_follows_the_run_phase(
    phase: float, period: float, delay: float
) -> None:
    runtime = PollerRuntime(QueuePollerSpec("R", "F", "Queue", period, "NS"), phase)
    assert runtime.publish_delay(PUBLISH_AFTER_RUN_SECONDS) == pytest.approx(delay)


def test_signal_source_reads_polled_counts_and_never_the_sqs_gauges() -> None:
    metric = MetricStat(
        contract.SIGNAL_NAMESPACE,
        "ApproximateNumberOfMessagesNotVisible",
        {},
        "Queue",
        "Maximum",
        60,
    )
    source = find_metric_source(metric.namespace, metric.metric_name)
    assert source is not None
    sqs_only = Snapshot(60.0, queues={"Queue": QueueGauges(3, 2, 1, True)})
    assert source(sqs_only, metric) is None  # no run in the minute: missing, not zero
    polled = Snapshot(
        60.0,
        queues={"Queue": QueueGauges(3, 2, 1, False)},  # SQS itself silent (inactive queue)
        polled={(contract.SIGNAL_NAMESPACE, "Queue"): QueueGauges(4, 5, 6, True)},
    )
    assert source(polled, metric) == 5.0


def test_store_shows_a_late_run_one_minute_later() -> None:
    metric = MetricStat("NS", "ApproximateNumberOfMessagesVisible", {}, "Queue", "Maximum", 60)
    late = PollerRuntime(QueuePollerSpec("R", "F", "Queue", 60.0, "NS"), 55.0)
    store = MetricStore({"NS": late.publish_delay()})
    store.track(metric)
    store._series[store.key(metric)].append(1.0)  # the run at 55 s saw one message
    assert store.query(metric, 1, 60.0) == [None]
    assert store.query(metric, 1, 120.0) == [1.0]


# --- engine ---------------------------------------------------------------------------------


def test_wake_on_the_signal_is_exactly_run_publish_alarm_start(tmp_path: Path) -> None:
    """Message at 30 s, tasks start in 30 s, scale-out alarm reads the signal.

    A run at phase p >= 30 s sees the message; its datapoint is visible at p + 15 s, i.e. at the
    60 s evaluation when p <= 45 s (wait 60 s), else at 120 s (wait 120 s). A run before 30 s
    misses it and the next run's datapoint is evaluated at 120 s.
    """
    template = write_template(tmp_path, "T", with_poller(reference_template(), signal_alarms=True))
    model = load_service(template)
    seen = set()
    for seed in range(12):
        sim = Simulation(model, [WorkItem(30.0, 10.0, 50.0)], seed=seed, config=FIXED_START)
        phase = sim.pollers[0].phase
        expected = 60.0 if 30.0 <= phase <= 45.0 else 120.0
        result = sim.run()
        assert result.waits == [pytest.approx(expected)], phase
        seen.add(expected)
    assert seen == {60.0, 120.0}


def test_a_polled_queue_never_goes_inactive(tmp_path: Path) -> None:
    """AWS/SQS alarms, plus a poller: after 8 idle hours SQS metrics flow at once."""
    plain = write_template(tmp_path, "Plain", reference_template())
    polled = write_template(tmp_path, "Polled", with_poller(reference_template(), namespace=None))
    late = [WorkItem(8 * 3600.0 + 30.0, 10.0, 50.0)]
    for seed in range(3):
        without, with_ = simulate([plain, polled], late, seed=seed, config=FIXED_START)
        assert with_.waits == [pytest.approx(120.0)]  # as for a message on an active queue
        assert without.waits[0] > 120.0


def test_a_configured_namespace_delay_wins_over_the_run_phase(tmp_path: Path) -> None:
    """``publish_delay`` for the namespace overrides the phase: 120 s after the minute ends."""
    template = write_template(tmp_path, "T", with_poller(reference_template(), signal_alarms=True))
    model = load_service(template)
    config = SimulationConfig(
        start_latency=StartLatency(30, 30, 30),
        publish_delay={"AWS/SQS": 60.0, "AWS/ECS": 60.0, contract.SIGNAL_NAMESPACE: 120.0},
    )
    seen = set()
    for seed in range(8):
        sim = Simulation(model, [WorkItem(30.0, 10.0, 50.0)], seed=seed, config=config)
        # bucket 0 (run at >= 30 s) is visible at 180 s, bucket 1 at 240 s; start 30 s
        expected = 180.0 if sim.pollers[0].phase >= 30.0 else 240.0
        assert sim.run().waits == [pytest.approx(expected)]
        seen.add(expected)
    assert seen == {180.0, 240.0}


def test_describe_names_the_poller(ours_signal_template: Path) -> None:
    lines = describe(load_service(ours_signal_template))
    assert any(
        line.startswith("  queue read every 60 s by ")
        and line.endswith(f"(keeps it active; publishes its counts to {contract.SIGNAL_NAMESPACE})")
        for line in lines
    )
