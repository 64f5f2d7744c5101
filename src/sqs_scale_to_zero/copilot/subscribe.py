"""A manifest's ``subscribe`` section: the topics and the service's queue settings.

Copilot names a topic ``APP-ENV-SERVICE-TOPIC`` and a FIFO topic with ``.fifo``; a worker's
FIFO queue (``subscribe.queue.fifo``) subscribes to FIFO topics only.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqs_scale_to_zero.copilot.fields import boolean, mapping, only, string, whole, whole_seconds
from sqs_scale_to_zero.copilot.plan import CopilotTopic, ManifestError, WorkerPlan
from sqs_scale_to_zero.topics.filter_policy import filter_policy_problem
from sqs_scale_to_zero.worker.contract import (
    SQS_MAX_DELAY_SECONDS,
    SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
)


def read_subscribe(value: object, plan: WorkerPlan) -> None:
    """Carry ``subscribe`` into ``plan``.

    Raises:
        ManifestError: An unknown field or a bad value.
    """
    if value is None:
        return
    subscribe = mapping(value, "subscribe")
    only(subscribe, "subscribe", ("topics", "queue"))
    _queue(subscribe.get("queue"), plan)
    topics = subscribe.get("topics") or []
    if not isinstance(topics, list):
        raise ManifestError("subscribe.topics: must be a list of {name, service}")
    for index, topic in enumerate(topics):
        where = f"subscribe.topics[{index}]"
        entry = mapping(topic, where)
        only(entry, where, ("name", "service", "filter_policy", "queue"))
        name = string(entry.get("name"), f"{where}.name")
        service = string(entry.get("service"), f"{where}.service")
        policy = entry.get("filter_policy")
        if policy is not None:
            problem = filter_policy_problem(policy)
            if problem:
                raise ManifestError(
                    f"{where}.filter_policy: not a valid SNS filter policy: {problem}"
                )
        if entry.get("queue"):
            plan.drop(
                f"{where}.queue",
                "one queue per service: this topic's messages go to the service's queue",
            )
        topic_name = f"{plan.app}-{plan.env}-{service}-{name}"
        if plan.fifo and not topic_name.endswith(".fifo"):
            topic_name += ".fifo"
        plan.topics.append(
            CopilotTopic(service=service, name=name, topic_name=topic_name, filter_policy=policy)
        )


def _queue(value: object, plan: WorkerPlan) -> None:
    if value is None:
        return
    queue = mapping(value, "subscribe.queue")
    only(queue, "subscribe.queue", ("retention", "timeout", "delay", "dead_letter", "fifo"))
    if "retention" in queue:
        plan.retention_seconds = whole_seconds(
            queue["retention"], "subscribe.queue.retention", 60, 14 * 86400
        )
    if "timeout" in queue:
        plan.visibility_timeout_seconds = whole_seconds(
            queue["timeout"], "subscribe.queue.timeout", 1, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS
        )
    if "delay" in queue:
        plan.delay_seconds = whole_seconds(
            queue["delay"], "subscribe.queue.delay", 0, SQS_MAX_DELAY_SECONDS
        )
    if "dead_letter" in queue:
        dead_letter = mapping(queue["dead_letter"], "subscribe.queue.dead_letter")
        only(dead_letter, "subscribe.queue.dead_letter", ("tries",))
        plan.max_receive_count = whole(
            dead_letter.get("tries"), "subscribe.queue.dead_letter.tries", 1, 1000
        )
    fifo = queue.get("fifo")
    if isinstance(fifo, Mapping):
        only(
            fifo,
            "subscribe.queue.fifo",
            (
                "content_based_deduplication",
                "high_throughput",
                "deduplication_scope",
                "throughput_limit",
            ),
        )
        plan.fifo = True
        if "content_based_deduplication" in fifo:
            plan.content_based_deduplication = boolean(
                fifo["content_based_deduplication"],
                "subscribe.queue.fifo.content_based_deduplication",
            )
        for key in ("high_throughput", "deduplication_scope", "throughput_limit"):
            if key in fifo:
                plan.drop(f"subscribe.queue.fifo.{key}", "FIFO throughput settings are not carried")
    elif fifo is not None:
        plan.fifo = boolean(fifo, "subscribe.queue.fifo")
