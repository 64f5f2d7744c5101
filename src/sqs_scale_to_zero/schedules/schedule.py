"""Periodic messages into the service's queue (prop ``schedules``): settings and checks.

Each ``QueueSchedule`` sends one message per run, marked as a Beanstalk periodic task: the
task's name, the run's scheduled time and (optionally) a path, in the message attributes the
Beanstalk daemon uses (:mod:`sqs_scale_to_zero.worker.contract`), which the HTTP delivery turns
into ``X-Aws-Sqsd-Taskname``, ``X-Aws-Sqsd-Scheduled-At`` and the request path. Pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.schedules.expressions import schedule_expression_problem, time_zone_problem
from sqs_scale_to_zero.worker.contract import (
    PERIODIC_TASK_ATTRIBUTE_PREFIX,
    PERIODIC_TASK_BODY,
    PERIODIC_TASK_NAME_ATTRIBUTE,
    PERIODIC_TASK_PATH_ATTRIBUTE,
    PERIODIC_TASK_SCHEDULED_AT_ATTRIBUTE,
)

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
"""EventBridge Scheduler's context attribute, replaced in the target's input at each run by the
time the run was scheduled for, e.g. ``2026-12-06T18:00:00Z`` ("Adding context attributes in
EventBridge Scheduler": https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html)."""

MAX_MESSAGE_ATTRIBUTES = 10
"""SQS's limit of message attributes on one message."""

_PERIODIC_ATTRIBUTES = (
    PERIODIC_TASK_NAME_ATTRIBUTE,
    PERIODIC_TASK_SCHEDULED_AT_ATTRIBUTE,
    PERIODIC_TASK_PATH_ATTRIBUTE,
)
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_TASK_NAME = re.compile(r"^[\x21-\x7e]([\x20-\x7e]{0,78}[\x21-\x7e])?$")
_GROUP_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
_PROP = "schedules"


@dataclass(frozen=True)
class QueueSchedule:
    """A periodic task: a message EventBridge Scheduler sends to the queue on a schedule.

    Example:
        ```python
        QueueSchedule(name="nightly-report", expression="cron(0 23 * * ? *)",
                      time_zone="Europe/Paris", path="/report")
        ```

    Attributes:
        name: The task's name, unique among the service's schedules: printable ASCII, 1 to 80
            characters. Each message carries it as ``beanstalk.sqsd.task_name``. Required.
        expression: When to run, as EventBridge Scheduler writes it: ``"rate(12 hours)"``,
            ``"cron(0 23 * * ? *)"`` (six fields, one of the day fields ``?``) or
            ``"at(2027-01-01T00:00:00)"`` once. Required.
        time_zone: The IANA time zone the expression is read in. Default: ``"UTC"``.
        body: The message body. Default: ``"elasticbeanstalk scheduled job"``, as Beanstalk's
            daemon sends.
        message_attributes: More string message attributes, name to value (names as SQS allows;
            the ``beanstalk.sqsd.*`` names are set by the schedule; at most 10 attributes in
            all). Default: none.
        path: The path the HTTP delivery POSTs this task to (a ``cron.yaml`` task's ``url``),
            starting with ``/``; sent as ``beanstalk.sqsd.path``. Default: the delivery's own.
        message_group_id: The FIFO message group of every run; required with ``fifo=True``
            and refused otherwise. One group per task keeps its runs in order without holding
            up other groups. Default: none.
    """

    name: str
    expression: str
    time_zone: str = "UTC"
    body: Optional[str] = None
    message_attributes: Optional[Mapping[str, str]] = None
    path: Optional[str] = None
    message_group_id: Optional[str] = None


def resolve_schedules(
    *, schedules: Optional[Sequence[QueueSchedule]], fifo: bool
) -> list[QueueSchedule]:
    """Check ``schedules`` for a queue that is FIFO or not.

    Raises:
        ScaleToZeroValidationError: For the first invalid schedule, naming it and the fix.
    """
    if schedules is None:
        return []
    if not isinstance(schedules, list | tuple):
        raise ScaleToZeroValidationError(
            _PROP,
            f"must be a list (got {type(schedules).__name__}): pass e.g. "
            "[QueueSchedule(name='nightly', expression='cron(0 23 * * ? *)')]",
        )
    names: set[str] = set()
    for index, schedule in enumerate(schedules):
        where = f"schedules[{index}]"
        if not isinstance(schedule, QueueSchedule):
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where} must be a QueueSchedule (got {type(schedule).__name__}): pass "
                "QueueSchedule(name=..., expression=...)",
            )
        _check_one(schedule, where, fifo)
        if schedule.name in names:
            raise ScaleToZeroValidationError(
                _PROP, f"{where}.name {schedule.name!r} is used twice: give each task its own name"
            )
        names.add(schedule.name)
    return list(schedules)


def _check_one(schedule: QueueSchedule, where: str, fifo: bool) -> None:
    if not isinstance(schedule.name, str) or not _TASK_NAME.match(schedule.name):
        raise ScaleToZeroValidationError(
            _PROP,
            f"{where}.name must be 1 to 80 printable ASCII characters, not starting or ending "
            f"with a space (got {schedule.name!r})",
        )
    problem = schedule_expression_problem(schedule.expression)
    if problem:
        raise ScaleToZeroValidationError(_PROP, f"{where}.expression: {problem}")
    problem = time_zone_problem(schedule.time_zone)
    if problem:
        raise ScaleToZeroValidationError(_PROP, f"{where}.time_zone: {problem}")
    if schedule.body is not None and (not isinstance(schedule.body, str) or not schedule.body):
        raise ScaleToZeroValidationError(
            _PROP, f"{where}.body must be a non-empty string (SQS refuses an empty body)"
        )
    if schedule.path is not None and (
        not isinstance(schedule.path, str) or not schedule.path.startswith("/")
    ):
        raise ScaleToZeroValidationError(
            _PROP, f"{where}.path must start with '/' (got {schedule.path!r}), e.g. '/report'"
        )
    _check_attributes(schedule, where)
    group = schedule.message_group_id
    if fifo and group is None:
        raise ScaleToZeroValidationError(
            _PROP,
            f"{where}.message_group_id is required on a FIFO queue: every FIFO message needs "
            f"a group; set e.g. message_group_id={schedule.name!r}",
        )
    if not fifo and group is not None:
        raise ScaleToZeroValidationError(
            _PROP, f"{where}.message_group_id applies only to FIFO queues: drop it or set fifo=True"
        )
    if group is not None and (not isinstance(group, str) or not _GROUP_ID.match(group)):
        raise ScaleToZeroValidationError(
            _PROP,
            f"{where}.message_group_id must be 1 to 128 printable ASCII characters without "
            f"spaces (got {group!r})",
        )


def _check_attributes(schedule: QueueSchedule, where: str) -> None:
    attributes = schedule.message_attributes
    if attributes is None:
        return
    if not isinstance(attributes, Mapping):
        raise ScaleToZeroValidationError(
            _PROP, f"{where}.message_attributes must be a mapping of names to strings"
        )
    for name, value in attributes.items():
        if not isinstance(name, str) or not _ATTRIBUTE_NAME.match(name) or ".." in name:
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where}.message_attributes: {name!r} is not an SQS attribute name (letters, "
                "digits, '_', '-', '.'; no '..'; up to 256 characters)",
            )
        if (
            name.startswith((".",))
            or name.endswith(".")
            or name.lower().startswith(("aws.", "amazon."))
        ):
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where}.message_attributes: {name!r} starts or ends with '.' or uses a "
                "reserved 'AWS.'/'Amazon.' prefix: rename it",
            )
        if name.startswith(PERIODIC_TASK_ATTRIBUTE_PREFIX):
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where}.message_attributes: {name!r} is the periodic task's own "
                f"({PERIODIC_TASK_ATTRIBUTE_PREFIX}*), set by the schedule: use name= or path=",
            )
        if not isinstance(value, str) or not value:
            raise ScaleToZeroValidationError(
                _PROP, f"{where}.message_attributes[{name!r}] must be a non-empty string"
            )
    if len(attributes) + len(_PERIODIC_ATTRIBUTES) > MAX_MESSAGE_ATTRIBUTES:
        raise ScaleToZeroValidationError(
            _PROP,
            f"{where}.message_attributes has {len(attributes)} attributes; with the schedule's "
            f"own {len(_PERIODIC_ATTRIBUTES)} a message may carry {MAX_MESSAGE_ATTRIBUTES}: "
            "move some into the body",
        )


def send_message_input(schedule: QueueSchedule, queue_url: str) -> dict[str, Any]:
    """The ``SendMessage`` request EventBridge Scheduler makes at each run.

    Its universal target ``arn:aws:scheduler:::aws-sdk:sqs:sendMessage`` takes the API's own
    parameters.
    """
    attributes = {
        PERIODIC_TASK_NAME_ATTRIBUTE: schedule.name,
        PERIODIC_TASK_SCHEDULED_AT_ATTRIBUTE: SCHEDULED_TIME,
        **({PERIODIC_TASK_PATH_ATTRIBUTE: schedule.path} if schedule.path else {}),
        **dict(schedule.message_attributes or {}),
    }
    request: dict[str, Any] = {
        "QueueUrl": queue_url,
        "MessageBody": schedule.body or PERIODIC_TASK_BODY,
        "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
        },
    }
    if schedule.message_group_id is not None:
        request["MessageGroupId"] = schedule.message_group_id
        # A retried run keeps its scheduled time, so SQS drops the duplicate within 5 minutes.
        request["MessageDeduplicationId"] = f"{schedule.name.replace(' ', '_')}-{SCHEDULED_TIME}"
    return request
