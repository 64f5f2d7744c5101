"""Lambda handler of the fresh backlog signal: publish the live backlog, wake from zero.

Once a minute it publishes a queue's backlog, and wakes its service from zero tasks without
waiting for an alarm.

SQS publishes its own CloudWatch metrics only while a queue is *active*, and "a delay of up to
15 minutes occurs in CloudWatch metrics when a queue is activated from an inactive state"
(Amazon SQS developer guide, "Available CloudWatch metrics for Amazon SQS"). This handler reads
``ApproximateNumberOfMessages``, ``...NotVisible`` and ``...Delayed`` straight from the queue
(``GetQueueAttributes``, which also keeps the queue active) and publishes them under
:data:`~sqs_scale_to_zero.worker.contract.SIGNAL_NAMESPACE`, so the scaling alarms always see a
backlog at most a minute old.

**Fast wake.** When a message is visible and the service's desired count is 0, the handler sets
the desired count to 1 itself (``ecs:UpdateService``) instead of waiting for the datapoint, an
alarm evaluation and a scaling policy. The hazard: after an idle period the idle alarm is in
ALARM, and "for Auto Scaling actions, the alarm continues to invoke the action once per minute
that the alarm remains in the new state" (CloudWatch user guide, "Alarm actions"), so its
``ExactCapacity 0`` would stop the task just started. The handler therefore first disables that
alarm's actions (``DisableAlarmActions``, which keeps the alarm evaluating but invokes nothing)
and enables them again on a later run once the alarm has left ALARM, which it does on the first
busy minute (N of N). A direct wake can then not be undone by a stale idle alarm; the idle alarm
scales the service in again only after a full new ``idle_timeout`` of idle minutes. The desired
count it publishes (:data:`~sqs_scale_to_zero.worker.contract.SIGNAL_DESIRED_METRIC`) is the one
after any wake, so the backlog-sizing policy adds only the tasks the backlog still needs.

The construct ships this file's source inline in the function, with the import from the contract
replaced by the values it names and docstrings and comments dropped
(:func:`sqs_scale_to_zero.backlog_signal.inline_source`), so it runs on the standard library and
the runtime's boto3 alone, and must stay under 4 KB.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from sqs_scale_to_zero.worker.contract import (
    SIGNAL_CLUSTER_NAME,
    SIGNAL_DESIRED_METRIC,
    SIGNAL_IDLE_ALARM_NAME,
    SIGNAL_METRIC_NAMESPACE,
    SIGNAL_METRICS,
    SIGNAL_NAMESPACE,
    SIGNAL_QUEUE_DIMENSION,
    SIGNAL_QUEUE_NAME,
    SIGNAL_QUEUE_URL,
    SIGNAL_SERVICE_NAME,
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
    """Read the queue's attributes, wake the service if it sleeps on work, publish the counts.

    Environment: the contract's ``SIGNAL_QUEUE_URL``, ``SIGNAL_QUEUE_NAME`` and
    ``SIGNAL_METRIC_NAMESPACE``; for the fast wake also ``SIGNAL_CLUSTER_NAME``,
    ``SIGNAL_SERVICE_NAME`` and ``SIGNAL_IDLE_ALARM_NAME``.

    Returns:
        The published values by metric name.

    Raises:
        botocore.exceptions.ClientError: When the queue is missing or a call still fails after
            the client's retries (throttling is retried with backoff). The invocation then
            fails and publishes nothing, so an alarm sees missing data, never a made-up zero.
            A failed wake does not fail the invocation: the counts are still published, so the
            scale-out alarm wakes the service the slow way.
    """
    # Imported here so that the construct can read this module's constants at synthesis
    # without importing boto3; in Lambda the import is cached after the first run.
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(**CLIENT_OPTIONS)
    queue_url = os.environ[SIGNAL_QUEUE_URL]
    sqs = boto3.client("sqs", config=config)
    cloudwatch = boto3.client("cloudwatch", config=config)
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
    visible = values[SIGNAL_METRICS["ApproximateNumberOfMessages"]]
    if os.environ.get(SIGNAL_SERVICE_NAME):
        desired = wake(boto3.client("ecs", config=config), cloudwatch, visible)
        if desired is not None:
            values[SIGNAL_DESIRED_METRIC] = float(desired)
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


def wake(ecs: Any, cloudwatch: Any, visible: float) -> int | None:
    """Wake the service from zero tasks if a message waits; never lower its count.

    Args:
        ecs: An ECS client.
        cloudwatch: A CloudWatch client.
        visible: Messages visible in the queue now.

    Returns:
        The service's desired count after any wake, or ``None`` when it could not be read.
    """
    cluster, service = os.environ[SIGNAL_CLUSTER_NAME], os.environ[SIGNAL_SERVICE_NAME]
    alarm_name = os.environ[SIGNAL_IDLE_ALARM_NAME]
    try:
        services = ecs.describe_services(cluster=cluster, services=[service])["services"]
        (alarm,) = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    except Exception:
        logger.exception("reading service %s or alarm %s failed; no fast wake", service, alarm_name)
        return None
    if not services or services[0].get("status") != "ACTIVE":
        logger.warning("service %s in cluster %s is not active; no fast wake", service, cluster)
        return None
    desired = int(services[0]["desiredCount"])
    in_alarm = alarm["StateValue"] == "ALARM"
    if visible >= 1 and desired == 0:
        try:
            if in_alarm and alarm["ActionsEnabled"]:
                # A stale idle alarm must not undo the wake: hold its actions off first.
                cloudwatch.disable_alarm_actions(AlarmNames=[alarm_name])
            ecs.update_service(cluster=cluster, service=service, desiredCount=1)
        except Exception:
            logger.exception("waking service %s failed; the scale-out alarm will", service)
            return desired
        logger.info("woke service %s: desired count 0 -> 1 (%d visible)", service, visible)
        return 1
    if not alarm["ActionsEnabled"] and not in_alarm:
        # The idle alarm has seen a busy minute since the wake: it may scale in again.
        try:
            cloudwatch.enable_alarm_actions(AlarmNames=[alarm_name])
            logger.info("enabled the actions of %s again", alarm_name)
        except Exception:
            logger.exception("enabling the actions of %s failed; next run retries", alarm_name)
    return desired
