"""The request Elastic Beanstalk's worker daemon (``sqsd``) makes for one message, rebuilt.

An app written for a Beanstalk worker environment reads these, so the names, values and formats
follow the daemon, as documented in the Elastic Beanstalk developer guide ("Elastic Beanstalk
worker environments": the daemon's HTTP headers, and those of periodic tasks) and as its source
shows where the guide is silent (the Ruby ``aws-sqsd`` daemon of the Beanstalk platform, as
published in the flovilmart/aws-sqsd repository, ``lib/aws-sqsd/daemon.rb`` and ``cron.rb``:
``X-Aws-Sqsd-Sent-At`` and ``X-Aws-Sqsd-Path``, ISO 8601 times in UTC, attributes whose data
type starts with ``String`` or ``Number``, the ``beanstalk.sqsd.*`` attributes of a periodic
task and its empty body).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqs_scale_to_zero.worker.message import Message

logger = logging.getLogger("sqs_scale_to_zero.worker")

USER_AGENT = "aws-sqsd/1.1 (sqs-scale-to-zero)"
"""Starts with ``aws-sqsd``, as the guide documents (``aws-sqsd`` or ``aws-sqsd/1.1``): apps
and frameworks recognise the daemon's requests by it."""

TASK_NAME_ATTRIBUTE = "beanstalk.sqsd.task_name"
"""Message attribute naming a periodic task (set by Beanstalk's scheduler, ``cron.yaml``)."""

SCHEDULED_TIME_ATTRIBUTE = "beanstalk.sqsd.scheduled_time"
"""Message attribute with the time a periodic task was scheduled for."""

PATH_ATTRIBUTE = "beanstalk.sqsd.path"
"""Message attribute with the path a periodic task is POSTed to (its ``url`` in ``cron.yaml``)."""

RESERVED_ATTRIBUTE_PREFIX = "beanstalk.sqsd."
"""Attributes with this prefix steer the daemon and are never sent as ``X-Aws-Sqsd-Attr-*``."""

ATTRIBUTE_HEADER_PREFIX = "X-Aws-Sqsd-Attr-"
"""``X-Aws-Sqsd-Attr-<name>`` carries each String or Number message attribute."""


@dataclass(frozen=True)
class SqsdRequest:
    """One POST to the app.

    Attributes:
        path: Where to POST: the configured path, or a periodic task's own.
        headers: The daemon's headers, in order.
        body: The message body as UTF-8 (empty for a periodic task, as the daemon sends).
    """

    path: str
    headers: list[tuple[str, str]]
    body: bytes


def sqsd_request(message: Message, *, queue_name: str, path: str, content_type: str) -> SqsdRequest:
    """The daemon's POST for ``message``.

    Args:
        message: The message received. Required.
        queue_name: The queue's name, sent as ``X-Aws-Sqsd-Queue``. Required.
        path: The configured path. Required.
        content_type: The configured ``Content-Type``. Required.

    Returns:
        The request: a periodic task's (its path, ``X-Aws-Sqsd-Taskname``,
        ``X-Aws-Sqsd-Scheduled-At``, no body) when the message carries
        ``beanstalk.sqsd.scheduled_time``, else the message's (its body).
    """
    system = message.attributes
    headers: list[tuple[str, str]] = [
        ("Content-Type", content_type),
        ("User-Agent", USER_AGENT),
        ("X-Aws-Sqsd-Msgid", message.message_id),
        ("X-Aws-Sqsd-Queue", queue_name),
        ("X-Aws-Sqsd-Receive-Count", str(message.receive_count)),
    ]
    for header, attribute in (
        ("X-Aws-Sqsd-First-Received-At", "ApproximateFirstReceiveTimestamp"),
        ("X-Aws-Sqsd-Sent-At", "SentTimestamp"),
    ):
        stamp = _iso8601_from_millis(system.get(attribute))
        if stamp is not None:
            headers.append((header, stamp))
    if system.get("SenderId"):
        headers.append(("X-Aws-Sqsd-Sender-Id", system["SenderId"]))
    attributes = message.message_attributes
    task_path = _string(attributes.get(PATH_ATTRIBUTE))
    scheduled = _string(attributes.get(SCHEDULED_TIME_ATTRIBUTE))
    if task_path is not None and task_path.startswith("/"):
        headers.append(("X-Aws-Sqsd-Path", task_path))
    headers.extend(_attribute_headers(message))
    if scheduled is None:
        return SqsdRequest(path, headers, message.body.encode("utf-8"))
    headers.append(("X-Aws-Sqsd-Scheduled-At", _iso8601(scheduled)))
    headers.append(("X-Aws-Sqsd-Taskname", _string(attributes.get(TASK_NAME_ATTRIBUTE)) or ""))
    own = task_path if task_path is not None and task_path.startswith("/") else path
    return SqsdRequest(own, headers, b"")


def _attribute_headers(message: Message) -> list[tuple[str, str]]:
    """``X-Aws-Sqsd-Attr-<name>`` for each String or Number attribute that fits in a header."""
    headers = []
    for name, value in message.message_attributes.items():
        if name.startswith(RESERVED_ATTRIBUTE_PREFIX) or not isinstance(value, Mapping):
            continue
        kind = str(value.get("DataType", ""))
        text = value.get("StringValue")
        if not kind.startswith(("String", "Number")) or not isinstance(text, str):
            continue  # Binary: never sent, as the daemon does
        if any(character in text for character in "\r\n\0"):
            logger.warning(
                "message attribute %r left out of the headers: its value has a line break",
                name,
                extra={"message_id": message.message_id},
            )
            continue
        headers.append((ATTRIBUTE_HEADER_PREFIX + name, text))
    return headers


def _string(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("StringValue"), str):
        return str(value["StringValue"])
    return None


def _iso8601_from_millis(millis: str | None) -> str | None:
    """``"1700000000123"`` (SQS's epoch milliseconds) as ``2023-11-14T22:13:20Z``."""
    try:
        seconds = int(millis or "") / 1000
    except ValueError:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso8601(text: str) -> str:
    """A periodic task's scheduled time in ISO 8601 UTC; as given when it cannot be read.

    Beanstalk's scheduler writes Ruby's ``Time#to_s`` (``2015-03-05 12:00:00 UTC``) and the
    daemon sends it as ``2015-03-05T12:00:00Z``.
    """
    cleaned = text.strip().removesuffix(" UTC").replace("Z", "+00:00")
    try:
        moment = datetime.datetime.fromisoformat(cleaned)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
