"""The workload as it reaches the queue: direct sends, topic messages, schedules' runs.

A workload message with a ``topic`` is published to that topic (named by its logical ID, its
name or its ARN); it reaches the queue through each matching subscription whose filter policy
lets it through, :data:`SNS_DELIVERY_SECONDS` later. SNS documents no delivery latency to SQS,
so the model takes a pessimistic few seconds. A workload message with a ``schedule`` describes
the work of each run of that schedule (named by its task name or logical ID); a schedule the
workload does not describe still sends, and its messages take :data:`UNDESCRIBED_WORK_SECONDS`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.message_sources.filter_match import policy_matches
from sqs_scale_to_zero.simulate.models.message_sources.schedule_times import run_times
from sqs_scale_to_zero.simulate.template.specs import MessageSources, SubscriptionSpec
from sqs_scale_to_zero.simulate.workload.items import WorkItem

SNS_DELIVERY_SECONDS = 5.0
"""Seconds from a publish to the message's arrival in a subscribed queue (pessimistic)."""

UNDESCRIBED_WORK_SECONDS = 1.0
"""The work of a scheduled message whose schedule the workload does not describe."""


def delivered(
    sources: MessageSources,
    workload: Sequence[WorkItem],
    horizon: float,
    rng: random.Random,
    where: str,
) -> list[WorkItem]:
    """The messages the queue receives, in the order they arrive.

    Raises:
        SimulationInputError: The workload names a topic the queue does not subscribe to, or a
            schedule that does not send to the queue.
    """
    arriving: list[WorkItem] = []
    described: dict[str, WorkItem] = {}
    names = {p.name for p in sources.periodic} | {p.logical_id for p in sources.periodic}
    for item in workload:
        if item.schedule is not None:
            if item.schedule not in names:
                raise SimulationInputError(
                    f"{where}: the workload describes schedule {item.schedule!r}, which sends "
                    f"nothing to the queue (schedules: {', '.join(sorted(names)) or 'none'})"
                )
            described[item.schedule] = item
        elif item.topic is not None:
            arriving.extend(_through_topic(sources.subscriptions, item, where))
        else:
            arriving.append(item)
    for periodic in sources.periodic:
        work = described.get(periodic.name) or described.get(periodic.logical_id)
        for at in run_times(
            periodic.expression, periodic.time_zone, horizon, rng, f"{where}: {periodic.logical_id}"
        ):
            arriving.append(
                WorkItem(
                    at,
                    work.work_seconds if work else UNDESCRIBED_WORK_SECONDS,
                    work.cpu_percent if work else 50.0,
                )
            )
    return sorted(arriving, key=lambda w: w.at)


def _through_topic(
    subscriptions: Sequence[SubscriptionSpec], item: WorkItem, where: str
) -> list[WorkItem]:
    topic = str(item.topic)
    matching = [s for s in subscriptions if _names(s.topic, topic)]
    if not matching:
        raise SimulationInputError(
            f"{where}: the workload publishes to topic {topic!r}, to which the queue does not "
            "subscribe"
        )
    return [
        WorkItem(item.at + SNS_DELIVERY_SECONDS, item.work_seconds, item.cpu_percent)
        for s in matching
        if s.filter_policy is None or policy_matches(s.filter_policy, item.attributes or {})
    ]


def _names(template_topic: str, topic: str) -> bool:
    """Whether the template's ``TopicArn`` (``{ref:Logical}`` or an ARN) is ``topic``."""
    return template_topic in (topic, f"{{ref:{topic}}}") or template_topic.endswith(f":{topic}")
