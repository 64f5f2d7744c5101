"""The wake function's Lambda handler: keep the queue active, wake from zero, publish the signal.

Once a minute it reads a queue's counts and wakes its service from zero tasks without waiting
for an alarm; with the fresh signal it also publishes the counts: the backlog signal.

SQS publishes its own CloudWatch metrics only while a queue is *active*: "CloudWatch considers
a queue to be active for up to six hours if it contains any messages or if any action accesses
it", and "a delay of up to 15 minutes occurs in CloudWatch metrics when a queue is activated
from an inactive state" (Amazon SQS developer guide, "Available CloudWatch metrics for Amazon
SQS"). Reading ``ApproximateNumberOfMessages``, ``...NotVisible`` and ``...Delayed`` with
``GetQueueAttributes`` is such an action, so SQS's own metrics never stop.

What it publishes (:data:`~sqs_scale_to_zero.worker.contract.SIGNAL_PUBLISHES`, to the
namespace in ``SIGNAL_METRIC_NAMESPACE``; nothing when that is unset):

* ``SIGNAL_PUBLISHES_BACKLOG`` (the fresh signal): the three counts every run, and the desired
  count after any wake, so the scaling alarms see a backlog at most a minute old.
* ``SIGNAL_PUBLISHES_DESIRED`` (the fast wake): only the desired count after any wake, and only
  when it is at least 1: the backlog sizing subtracts the tasks already there, and while the
  service is idle nothing is sent (CloudWatch meters a custom metric only in the hours it is
  sent; a missing point reads as 0 tasks, which is what it is).

**Fast wake.** When a message is visible and the service's desired count is 0, the handler sets
the desired count itself (``ecs:UpdateService``), to the backlog's level (one task per
``SIGNAL_MESSAGES_PER_TASK`` visible messages, at most ``SIGNAL_MAX_CAPACITY``; 1 where unset),
instead of waiting for a datapoint, an alarm evaluation and a scaling policy. The hazard: after
an idle period the idle alarm is in ALARM, and "for Auto Scaling actions, the alarm continues to
invoke the action once per minute that the alarm remains in the new state" (CloudWatch user
guide, "Alarm actions"), so its ``ExactCapacity 0`` would stop the task just started. The
handler therefore first disables that alarm's actions (``DisableAlarmActions``, which keeps the
alarm evaluating but invokes nothing) and enables them again on a later run once the alarm has
left ALARM, which it does on the first busy minute (N of N). A direct wake can then not be
undone by a stale idle alarm; the idle alarm scales the service in again only after a full new
``idle_timeout`` of idle minutes. The desired count it publishes
(:data:`~sqs_scale_to_zero.worker.contract.SIGNAL_DESIRED_METRIC`) is the one after any wake, so
the backlog-sizing policy adds only the tasks the backlog still needs. A failed wake fails
nothing: the scale-out alarm wakes the service the slow way.

**Instances at once.** On GPU instances (``SIGNAL_AUTO_SCALING_GROUP`` set) a wake from zero
also raises the Auto Scaling group's desired capacity to the instances the woken tasks need
(``ceil(tasks / SIGNAL_TASKS_PER_INSTANCE)``, at most the group's ``MaxSize``, never lower than
it is), so the instance launch starts with the wake instead of after ECS managed scaling's next
``CapacityProviderReservation`` datapoint and alarm. Managed scaling stays in charge: it keeps
tracking its target, and removes the instance once it has run no task for its scale-in period;
the instance is protected from scale-in as every new instance of the group is (managed
termination protection sets ``NewInstancesProtectedFromScaleIn``).

The construct ships this file's source inline in the function, with the import from the contract
replaced by the values it names and docstrings and comments dropped
(:func:`sqs_scale_to_zero.wake_function.inline_source`), so it runs on the standard library and
the runtime's boto3 alone, and must stay under 4 KB.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
from typing import Any

from sqs_scale_to_zero.worker.contract import (
    SIGNAL_AUTO_SCALING_GROUP,
    SIGNAL_CLUSTER_NAME,
    SIGNAL_DESIRED_METRIC,
    SIGNAL_IDLE_ALARM_NAME,
    SIGNAL_MAX_CAPACITY,
    SIGNAL_MESSAGES_PER_TASK,
    SIGNAL_METRIC_NAMESPACE,
    SIGNAL_METRICS,
    SIGNAL_PUBLISHES,
    SIGNAL_PUBLISHES_DESIRED,
    SIGNAL_QUEUE_DIMENSION,
    SIGNAL_QUEUE_NAME,
    SIGNAL_QUEUE_URL,
    SIGNAL_SERVICE_NAME,
    SIGNAL_TASKS_PER_INSTANCE,
)

CLIENT_OPTIONS: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 4},
}
"""botocore client settings: short timeouts; throttling is retried with backoff."""

VISIBLE = SIGNAL_METRICS["ApproximateNumberOfMessages"]
"""The published name of the visible count, which decides a wake."""

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


def handler(event: Any = None, context: Any = None) -> dict[str, float]:
    """Read the queue's counts, wake the service if it sleeps on work, publish what the mode says.

    Environment: the contract's ``SIGNAL_QUEUE_URL`` and ``SIGNAL_QUEUE_NAME``; to publish,
    ``SIGNAL_METRIC_NAMESPACE`` and ``SIGNAL_PUBLISHES``; for the fast wake also
    ``SIGNAL_CLUSTER_NAME``, ``SIGNAL_SERVICE_NAME`` and ``SIGNAL_IDLE_ALARM_NAME``.

    Returns:
        The counts read and, when the service could be read, its desired count after any wake,
        by metric name.

    Raises:
        botocore.exceptions.ClientError: When the queue is missing or a call still fails after
            the client's retries (throttling is retried with backoff). The invocation then
            fails and publishes nothing, so an alarm sees missing data, never a made-up zero.
            A failed wake does not fail the invocation.
    """
    # Imported here so that the construct can read this module's constants at synthesis
    # without importing boto3; in Lambda the import is cached after the first run.
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(**CLIENT_OPTIONS)
    env = os.environ
    sqs = boto3.client("sqs", config=config)
    cloudwatch = boto3.client("cloudwatch", config=config)
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=env[SIGNAL_QUEUE_URL], AttributeNames=list(SIGNAL_METRICS)
        )["Attributes"]
    except Exception:
        logger.exception("reading the counts of %s failed", env[SIGNAL_QUEUE_URL])
        raise
    now = datetime.datetime.now(datetime.UTC)
    values = {name: float(attributes.get(key, 0)) for key, name in SIGNAL_METRICS.items()}
    published = dict(values)
    if env.get(SIGNAL_SERVICE_NAME):
        client = functools.partial(boto3.client, config=config)
        desired = wake(client("ecs"), cloudwatch, values[VISIBLE], client)
        if desired is not None:
            values[SIGNAL_DESIRED_METRIC] = published[SIGNAL_DESIRED_METRIC] = float(desired)
    if env.get(SIGNAL_PUBLISHES) == SIGNAL_PUBLISHES_DESIRED:
        desired_now = published.get(SIGNAL_DESIRED_METRIC, 0.0)
        published = {SIGNAL_DESIRED_METRIC: desired_now} if desired_now >= 1 else {}
    namespace = env.get(SIGNAL_METRIC_NAMESPACE)
    if namespace and published:
        dimensions = [{"Name": SIGNAL_QUEUE_DIMENSION, "Value": env[SIGNAL_QUEUE_NAME]}]
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {"MetricName": k, "Dimensions": dimensions, "Timestamp": now, "Value": v}
                for k, v in published.items()
            ],
        )
        logger.info("published %s", published)
    return values


def wake(ecs: Any, cloudwatch: Any, visible: float, client: Any) -> int | None:
    """Wake the service from zero tasks if a message waits; never lower its count.

    The wake sets the desired count to the backlog's level, as the backlog sizing would:
    ``ceil(visible / SIGNAL_MESSAGES_PER_TASK)`` tasks, at most ``SIGNAL_MAX_CAPACITY`` (1
    where either is unset), so a burst that lands on a sleeping service is sized at once.

    Args:
        ecs: An ECS client.
        cloudwatch: A CloudWatch client.
        visible: Messages visible in the queue now.
        client: Makes the Auto Scaling client (with the short timeouts), when
            ``SIGNAL_AUTO_SCALING_GROUP`` is set.

    Returns:
        The service's desired count after any wake, or ``None`` when it could not be read.
    """
    env = os.environ
    cluster, service = env[SIGNAL_CLUSTER_NAME], env[SIGNAL_SERVICE_NAME]
    alarm_name = env[SIGNAL_IDLE_ALARM_NAME]
    try:
        services = ecs.describe_services(cluster=cluster, services=[service])["services"]
        (alarm,) = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    except Exception:
        logger.exception("reading %s or %s failed; no fast wake", service, alarm_name)
        return None
    if not services or services[0].get("status") != "ACTIVE":
        logger.warning("%s is not active; no fast wake", service)
        return None
    desired = int(services[0]["desiredCount"])
    in_alarm = alarm["StateValue"] == "ALARM"
    if visible >= 1 and desired == 0:
        per_task = int(env.get(SIGNAL_MESSAGES_PER_TASK) or visible)
        level = min(int(env.get(SIGNAL_MAX_CAPACITY) or 1), -(-int(visible) // per_task))
        try:
            if in_alarm and alarm["ActionsEnabled"]:
                # A stale idle alarm must not undo the wake: hold its actions off first.
                cloudwatch.disable_alarm_actions(AlarmNames=[alarm_name])
            ecs.update_service(cluster=cluster, service=service, desiredCount=level)
        except Exception:
            logger.exception("waking %s failed; the alarm will", service)
            return desired
        logger.info("woke %s: 0 -> %d (%d visible)", service, level, visible)
        group = env.get(SIGNAL_AUTO_SCALING_GROUP)
        if group:
            per = int(env.get(SIGNAL_TASKS_PER_INSTANCE) or 1)
            launch(client("autoscaling"), group, -(-level // per))
        return level
    if not alarm["ActionsEnabled"] and not in_alarm:
        # The idle alarm has seen a busy minute since the wake: it may scale in again.
        try:
            cloudwatch.enable_alarm_actions(AlarmNames=[alarm_name])
            logger.info("enabled %s again", alarm_name)
        except Exception:
            logger.exception("enabling %s failed; next run retries", alarm_name)
    return desired


def launch(autoscaling: Any, group: str, instances: int) -> None:
    """Raise ``group``'s desired capacity to ``instances`` now; never lower it, never past max.

    Without it the woken tasks wait in PROVISIONING until ECS managed scaling sees them in its
    next ``CapacityProviderReservation`` datapoint and its alarm acts; managed scaling goes on
    tracking its target afterwards. A failure is logged: managed scaling launches the slow way.
    """
    try:
        (found,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])[
            "AutoScalingGroups"
        ]
        wanted = min(instances, found["MaxSize"])
        if wanted > found["DesiredCapacity"]:
            autoscaling.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=wanted)
            logger.info("raised %s to %d instances", group, wanted)
    except Exception:
        logger.exception("raising %s failed; managed scaling will", group)
