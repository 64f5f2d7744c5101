"""Messages from schedules and topics: read from the template, and each wakes a service at zero.

Two stacks are synthesized once: one with periodic tasks only, one with topic subscriptions
only, so each source's messages are counted alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from sqs_scale_to_zero import QueueSchedule, ScaleToZeroQueueService, TopicSubscription
from sqs_scale_to_zero.simulate import SimulationInputError, WorkItem, load_service, simulate
from test.conftest import TEST_ENV, TEST_IMAGE

PARTNER_TOPIC = "arn:aws:sns:us-east-1:444455556666:partner-events"


@dataclass(frozen=True)
class Templates:
    scheduled: Path
    subscribed: Path
    orders_topic: str
    """The logical ID of the subscribed stack's own topic."""


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    out = tmp_path_factory.mktemp("sources")
    app = cdk.App(outdir=str(out))
    scheduled = cdk.Stack(app, "Scheduled", env=TEST_ENV)
    ScaleToZeroQueueService(
        scheduled,
        "Worker",
        image=TEST_IMAGE,
        monitoring=False,
        schedules=[
            QueueSchedule(
                name="nightly-report",
                expression="cron(0 2 * * ? *)",
                time_zone="Europe/Paris",
                path="/report",
            ),
            QueueSchedule(name="cleanup", expression="rate(2 hours)"),
        ],
    )
    subscribed = cdk.Stack(app, "Subscribed", env=TEST_ENV)
    orders = sns.Topic(subscribed, "Orders")
    ScaleToZeroQueueService(
        subscribed,
        "Worker",
        image=TEST_IMAGE,
        monitoring=False,
        topics=[
            TopicSubscription(topic=orders, filter_policy={"event": ["order_placed"]}),
            TopicSubscription(topic=sns.Topic.from_topic_arn(subscribed, "P", PARTNER_TOPIC)),
        ],
    )
    app.synth()
    return Templates(
        scheduled=out / "Scheduled.template.json",
        subscribed=out / "Subscribed.template.json",
        orders_topic=subscribed.get_logical_id(orders.node.default_child),  # type: ignore[arg-type]
    )


def test_the_reader_finds_the_schedules_sending_to_the_queue(templates: Templates) -> None:
    periodic = load_service(templates.scheduled).sources.periodic
    assert [(p.name, p.expression, p.time_zone) for p in periodic] == [
        ("nightly-report", "cron(0 2 * * ? *)", "Europe/Paris"),
        ("cleanup", "rate(2 hours)", "UTC"),
    ]


def test_the_reader_finds_the_subscriptions_and_their_filters(templates: Templates) -> None:
    subscriptions = load_service(templates.subscribed).sources.subscriptions
    assert [(s.topic, s.filter_policy) for s in subscriptions] == [
        (f"{{ref:{templates.orders_topic}}}", {"event": ["order_placed"]}),
        (PARTNER_TOPIC, None),
    ]


def test_a_scheduled_message_wakes_the_service_from_zero(templates: Templates) -> None:
    # Given the nightly task (02:00 Paris = 01:00 UTC on the epoch's Monday, virtual 3600 s)
    # and two hours of the cleanup task, when nothing else is sent,
    (result,) = simulate(
        [templates.scheduled],
        [WorkItem(0, 45, 20, schedule="nightly-report")],
        horizon=3 * 3600,
        seed=3,
    )
    # then every scheduled message is processed, the first by a task started for it: the task
    # running at the start had gone (idle), so the first message waited for a task to start.
    assert result.messages >= 2  # the nightly run and at least one cleanup run
    assert result.processed == result.messages
    assert result.task_launches >= 1 and result.task_starts[0] > 0
    assert max(result.waits) < 15 * 60


def test_a_topic_message_wakes_the_service_from_zero(templates: Templates) -> None:
    # Given one order placed and one cancelled on the topic, and one partner event,
    workload = [
        WorkItem(600, 20, topic=templates.orders_topic, attributes={"event": "order_placed"}),
        WorkItem(700, 20, topic=templates.orders_topic, attributes={"event": "order_cancelled"}),
        WorkItem(800, 20, topic="partner-events"),
    ]
    (result,) = simulate([templates.subscribed], workload, horizon=2 * 3600, seed=1)
    # then the filter policy lets two through, and a task started from zero processes them.
    assert result.messages == 2 and result.processed == 2
    assert result.task_launches >= 1 and result.task_starts[0] > 0


def test_publishing_to_a_topic_the_queue_does_not_subscribe_is_refused(
    templates: Templates,
) -> None:
    with pytest.raises(SimulationInputError, match="does not subscribe"):
        simulate([templates.subscribed], [WorkItem(0, 1, topic="Elsewhere")], horizon=3600)


def test_describing_a_schedule_that_sends_nothing_is_refused(templates: Templates) -> None:
    with pytest.raises(SimulationInputError, match="sends nothing to the queue"):
        simulate([templates.scheduled], [WorkItem(0, 1, schedule="weekly")], horizon=3600)


def test_a_workload_file_names_topics_attributes_and_schedules(tmp_path: Path) -> None:
    from sqs_scale_to_zero.simulate import read_jsonl

    path = tmp_path / "w.jsonl"
    path.write_text(
        '{"at": 5, "work_seconds": 2, "topic": "orders", "attributes": {"event": "a"}}\n'
        '{"schedule": "nightly-report", "work_seconds": 30, "cpu_percent": 10}\n'
    )
    assert read_jsonl(path) == [
        WorkItem(0, 30, 10, schedule="nightly-report"),
        WorkItem(5, 2, topic="orders", attributes={"event": "a"}),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"at": 1, "work_seconds": 1, "topic": ""}', "topic must be a non-empty string"),
        ('{"work_seconds": 1, "schedule": 5}', "schedule must be a non-empty string"),
        ('{"at": 1, "work_seconds": 1, "topic": "t", "attributes": [1]}', "attributes must be"),
    ],
)
def test_a_bad_source_in_a_workload_file_names_the_line(
    tmp_path: Path, line: str, message: str
) -> None:
    from sqs_scale_to_zero.simulate import read_jsonl

    path = tmp_path / "w.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(SimulationInputError, match=message):
        read_jsonl(path)


def test_the_synth_summary_lists_the_schedules_and_topics(templates: Templates) -> None:
    from sqs_scale_to_zero.simulate.describe import describe

    scheduled = describe(load_service(templates.scheduled))
    assert (
        "  periodic task nightly-report: cron(0 2 * * ? *) (Europe/Paris), one message a run"
        in (scheduled)
    )
    subscribed = describe(load_service(templates.subscribed))
    assert f"  subscribed to topic {templates.orders_topic}, filtered on event" in subscribed
    assert f"  subscribed to topic {PARTNER_TOPIC}" in subscribed
