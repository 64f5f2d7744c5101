"""Building blocks for the unit tests of the worker's parts: real messages from moto's SQS."""

from __future__ import annotations

import time
from typing import Any

from sqs_scale_to_zero.worker.inflight import Job
from sqs_scale_to_zero.worker.message import Message


def received_jobs(sqs: Any, url: str, count: int, visibility: int = 30) -> list[Job]:
    """Receive ``count`` messages of ``url`` (sent before) as the worker's ``Job`` objects."""
    jobs: list[Job] = []
    deadline = time.monotonic() + 10
    while len(jobs) < count and time.monotonic() < deadline:
        started = time.monotonic()
        raw = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, count - len(jobs)),
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        jobs += [
            Job(Message.from_sqs(item), received_at=started, visible_until=started + visibility)
            for item in raw
        ]
    assert len(jobs) == count, f"received {len(jobs)} of {count}"
    return jobs
