"""Lambda handler of the fresh backlog signal: publish a queue's live backlog once a minute.

SQS publishes its own CloudWatch metrics only while a queue is *active*, and "a delay of up to
15 minutes occurs in CloudWatch metrics when a queue is activated from an inactive state"
(Amazon SQS developer guide, "Available CloudWatch metrics for Amazon SQS"). This handler reads
``ApproximateNumberOfMessages``, ``...NotVisible`` and ``...Delayed`` straight from the queue
(``GetQueueAttributes``, which also keeps the queue active) and publishes them under
:data:`~sqs_scale_to_zero.worker.contract.SIGNAL_NAMESPACE`, so the scaling alarms always see a
backlog at most a minute old.

The construct ships this file's source inline in the function, with the import from the contract
replaced by the values it names (:func:`sqs_scale_to_zero.backlog_signal.inline_source`), so it
runs on the standard library and the runtime's boto3 alone, and must stay under 4 KB.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from sqs_scale_to_zero.worker.contract import (
    SIGNAL_METRIC_NAMESPACE,
    SIGNAL_METRICS,
    SIGNAL_NAMESPACE,
    SIGNAL_QUEUE_DIMENSION,
    SIGNAL_QUEUE_NAME,
    SIGNAL_QUEUE_URL,
)

CLIENT_OPTIONS: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 4},
}
"""botocore client settings: short timeouts; throttling is retried with backoff."""

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


def handler(event: Any = None, context: Any = None) -> dict[str, float]:
    """Read the queue's attributes and publish them as one-minute metrics.

    Environment: the contract's ``SIGNAL_QUEUE_URL``, ``SIGNAL_QUEUE_NAME`` and
    ``SIGNAL_METRIC_NAMESPACE``.

    Returns:
        The published values by metric name.

    Raises:
        botocore.exceptions.ClientError: When the queue is missing or a call still fails after
            the client's retries (throttling is retried with backoff). The invocation then
            fails and publishes nothing, so an alarm sees missing data, never a made-up zero.
    """
    # Imported here so that the construct can read this module's constants at synthesis
    # without importing boto3; in Lambda the import is cached after the first run.
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    queue_url = os.environ[SIGNAL_QUEUE_URL]
    sqs = boto3.client("sqs", config=Config(**CLIENT_OPTIONS))
    cloudwatch = boto3.client("cloudwatch", config=Config(**CLIENT_OPTIONS))
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=list(SIGNAL_METRICS)
        )["Attributes"]
    except Exception:
        logger.exception("reading the backlog of %s failed; publishing nothing", queue_url)
        raise
    now = datetime.datetime.now(datetime.UTC)
    values = {
        name: float(attributes.get(attribute, 0)) for attribute, name in SIGNAL_METRICS.items()
    }
    cloudwatch.put_metric_data(
        Namespace=os.environ.get(SIGNAL_METRIC_NAMESPACE, SIGNAL_NAMESPACE),
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [
                    {"Name": SIGNAL_QUEUE_DIMENSION, "Value": os.environ[SIGNAL_QUEUE_NAME]}
                ],
                "Timestamp": now,
                "Value": value,
                "Unit": "Count",
            }
            for name, value in values.items()
        ],
    )
    logger.info("published backlog of %s: %s", queue_url, values)
    return values
