"""The queue part: the work queue and its dead-letter queue, or the queue the user brings.

Props: ``queue``, ``queue_name``, ``fifo``, ``content_based_deduplication``,
``encryption_key``, ``visibility_timeout``, ``retention_period`` and ``max_receive_count``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.checks import (
    optional_bool,
    optional_duration,
    optional_int,
    optional_interface,
    optional_str,
    seconds,
    whole_seconds,
)
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.worker.contract import (
    QUEUE_DEFAULT_MAX_RECEIVE_COUNT,
    QUEUE_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
    SQS_MAX_WAIT_SECONDS,
)

DEFAULT_MAX_RECEIVE_COUNT = QUEUE_DEFAULT_MAX_RECEIVE_COUNT
DEFAULT_VISIBILITY_TIMEOUT = Duration.seconds(QUEUE_DEFAULT_VISIBILITY_TIMEOUT_SECONDS)
"""The visibility timeout of a queue the construct creates (SQS's own default is 30 s)."""
DEFAULT_RETENTION_PERIOD = Duration.days(4)
DEAD_LETTER_RETENTION_PERIOD = Duration.days(14)
"""The DLQ keeps messages for SQS's 14-day maximum."""
RECEIVE_WAIT_TIME = Duration.seconds(SQS_MAX_WAIT_SECONDS)
"""Long polling of a queue the construct creates: SQS's longest wait."""

QUEUE_SHAPING_PROPS = (
    "queue_name",
    "fifo",
    "content_based_deduplication",
    "encryption_key",
    "visibility_timeout",
    "retention_period",
    "max_receive_count",
)
"""The props that shape a new queue, and so can't be combined with ``queue``."""

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_DLQ_SUFFIX = "-dlq"
_FIFO_SUFFIX = ".fifo"


@dataclass(frozen=True)
class QueueSettings:
    """How to get the queue: adopt ``existing`` or create one (with a DLQ) from the rest."""

    existing: Optional[sqs.IQueue]
    queue_name: Optional[str]
    fifo: bool
    content_based_deduplication: bool
    encryption_key: Optional[kms.IKey]
    visibility_timeout: Duration
    retention_period: Duration
    max_receive_count: int

    @property
    def is_fifo(self) -> bool:
        """Whether the queue is FIFO: the one to create, or the one brought."""
        return self.fifo if self.existing is None else bool(self.existing.fifo)


@dataclass(frozen=True)
class WorkQueues:
    """The queue the service consumes and, when the construct made it, its dead-letter queue."""

    queue: sqs.IQueue
    dead_letter_queue: Optional[sqs.IQueue]
    visibility_timeout_seconds: Optional[int]
    """The created queue's visibility timeout; ``None`` for a brought queue (unknown here)."""

    @property
    def dead_letter_target(self) -> Optional[sqs.IQueue]:
        """Where ``raise DeadLetter(reason)`` sends a message.

        The DLQ created with the queue, or the one a brought ``sqs.Queue`` was made with;
        ``None`` for an imported queue, whose redrive policy cannot be read at synthesis.
        """
        if self.dead_letter_queue is not None:
            return self.dead_letter_queue
        if isinstance(self.queue, sqs.Queue) and self.queue.dead_letter_queue is not None:
            return self.queue.dead_letter_queue.queue
        return None


def resolve_queue(
    *,
    queue: Optional[sqs.IQueue],
    queue_name: Optional[str],
    fifo: Optional[bool],
    content_based_deduplication: Optional[bool],
    encryption_key: Optional[kms.IKey],
    visibility_timeout: Optional[Duration],
    retention_period: Optional[Duration],
    max_receive_count: Optional[int],
) -> QueueSettings:
    """Validate the queue props and resolve their defaults.

    Raises:
        ScaleToZeroValidationError: For the first invalid prop, naming it and the fix.
    """
    queue = optional_interface(
        "queue",
        queue,
        ("queue_arn", "queue_url", "queue_name"),
        "pass a queue construct, e.g. sqs.Queue.from_queue_arn(self, 'Queue', arn), not its URL",
    )
    queue_name = optional_str("queue_name", queue_name)
    fifo = optional_bool("fifo", fifo)
    content_based_deduplication = optional_bool(
        "content_based_deduplication", content_based_deduplication
    )
    encryption_key = optional_interface(
        "encryption_key",
        encryption_key,
        ("key_arn",),
        "pass a KMS key construct, e.g. kms.Key.from_key_arn(self, 'Key', arn)",
    )
    visibility_timeout = optional_duration("visibility_timeout", visibility_timeout)
    retention_period = optional_duration("retention_period", retention_period)
    max_receive_count = optional_int("max_receive_count", max_receive_count)
    if queue is not None:
        shaping = {
            "queue_name": queue_name,
            "fifo": fifo,
            "content_based_deduplication": content_based_deduplication,
            "encryption_key": encryption_key,
            "visibility_timeout": visibility_timeout,
            "retention_period": retention_period,
            "max_receive_count": max_receive_count,
        }
        given = [name for name in QUEUE_SHAPING_PROPS if shaping[name] is not None]
        if given:
            raise ScaleToZeroValidationError(
                given[0],
                f"cannot be set together with queue (also given: {', '.join(given)}): configure "
                "the queue you bring where you create it, or omit queue to let the construct "
                "create one",
            )
    resolved_fifo = bool(fifo)
    if queue_name is not None:
        _check_queue_name(queue_name, resolved_fifo)
    if content_based_deduplication and not resolved_fifo:
        raise ScaleToZeroValidationError(
            "content_based_deduplication",
            "applies only to FIFO queues: set fifo=True or drop content_based_deduplication",
        )
    resolved_visibility = visibility_timeout or DEFAULT_VISIBILITY_TIMEOUT
    visibility_seconds = seconds("visibility_timeout", resolved_visibility)
    if not 1 <= visibility_seconds <= SQS_MAX_VISIBILITY_TIMEOUT_SECONDS or visibility_seconds % 1:
        raise ScaleToZeroValidationError(
            "visibility_timeout",
            f"must be whole seconds between 1 second and 12 hours (got {visibility_seconds:g} s): "
            "the worker's heartbeat extends visibility for longer jobs, so a few minutes is enough",
        )
    resolved_retention = retention_period or DEFAULT_RETENTION_PERIOD
    retention_seconds = whole_seconds("retention_period", resolved_retention)
    if not 60 <= retention_seconds <= 14 * 24 * 3600:
        raise ScaleToZeroValidationError(
            "retention_period",
            f"must be between 1 minute and 14 days, SQS's limits (got {retention_seconds:g} s)",
        )
    resolved_receives = (
        DEFAULT_MAX_RECEIVE_COUNT if max_receive_count is None else max_receive_count
    )
    if not 1 <= resolved_receives <= 1000:
        raise ScaleToZeroValidationError(
            "max_receive_count",
            f"must be between 1 and 1000 (got {resolved_receives}): it is how many times a message "
            "is received before it moves to the dead-letter queue",
        )
    return QueueSettings(
        existing=queue,
        queue_name=queue_name,
        fifo=resolved_fifo,
        content_based_deduplication=bool(content_based_deduplication),
        encryption_key=encryption_key,
        visibility_timeout=resolved_visibility,
        retention_period=resolved_retention,
        max_receive_count=resolved_receives,
    )


def _check_queue_name(queue_name: str, fifo: bool) -> None:
    if Token.is_unresolved(queue_name):
        if fifo:
            raise ScaleToZeroValidationError(
                "queue_name",
                "must be a literal string for a FIFO queue (got a token): the construct derives "
                "the dead-letter queue's '.fifo' name from it; pass a literal or omit queue_name",
            )
        if queue_name.endswith(_FIFO_SUFFIX):
            raise ScaleToZeroValidationError(
                "queue_name",
                "ends in '.fifo', which only FIFO queues may: set fifo=True with a literal name, "
                "or drop the '.fifo' suffix",
            )
        return
    base = queue_name[: -len(_FIFO_SUFFIX)] if queue_name.endswith(_FIFO_SUFFIX) else queue_name
    if fifo and not queue_name.endswith(_FIFO_SUFFIX):
        raise ScaleToZeroValidationError(
            "queue_name",
            f"a FIFO queue's name must end in '.fifo' (got {queue_name!r}): "
            f"use {queue_name + _FIFO_SUFFIX!r}",
        )
    if not fifo and queue_name.endswith(_FIFO_SUFFIX):
        raise ScaleToZeroValidationError(
            "queue_name",
            f"only FIFO queues may end in '.fifo' (got {queue_name!r}): set fifo=True or "
            f"use {base!r}",
        )
    # The DLQ is named after the queue with a '-dlq' suffix, which must fit in 80 chars.
    fifo_length = len(_FIFO_SUFFIX) if fifo else 0
    if not _QUEUE_NAME.match(base) or len(base) + len(_DLQ_SUFFIX) + fifo_length > 80:
        raise ScaleToZeroValidationError(
            "queue_name",
            f"{queue_name!r} is not a valid queue name: use up to "
            f"{80 - len(_DLQ_SUFFIX) - fifo_length} letters, digits, '-' or '_' before any "
            "'.fifo' (room is kept for the dead-letter queue's '-dlq' suffix)",
        )


def build_queues(scope: Construct, settings: QueueSettings) -> WorkQueues:
    """Adopt the queue the user brought, or create a queue with a DLQ from ``settings``.

    A created queue and its DLQ are encrypted at rest (SQS-managed keys, or the given CMK),
    refuse requests that don't use TLS, long-poll for 20 s, and redrive a message to the DLQ
    after ``max_receive_count`` receives. The DLQ keeps messages for the 14-day maximum so a
    failure is never lost before someone looks at it.
    """
    if settings.existing is not None:
        return WorkQueues(
            queue=settings.existing, dead_letter_queue=None, visibility_timeout_seconds=None
        )
    encryption = (
        sqs.QueueEncryption.KMS if settings.encryption_key else sqs.QueueEncryption.SQS_MANAGED
    )
    dead_letter_queue = sqs.Queue(
        scope,
        "DeadLetterQueue",
        queue_name=_dead_letter_queue_name(settings.queue_name, settings.fifo),
        fifo=settings.fifo or None,
        encryption=encryption,
        encryption_master_key=settings.encryption_key,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION_PERIOD,
    )
    queue = sqs.Queue(
        scope,
        "Queue",
        queue_name=settings.queue_name,
        fifo=settings.fifo or None,
        content_based_deduplication=settings.content_based_deduplication or None,
        encryption=encryption,
        encryption_master_key=settings.encryption_key,
        enforce_ssl=True,
        receive_message_wait_time=RECEIVE_WAIT_TIME,
        visibility_timeout=settings.visibility_timeout,
        retention_period=settings.retention_period,
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=dead_letter_queue, max_receive_count=settings.max_receive_count
        ),
    )
    return WorkQueues(
        queue=queue,
        dead_letter_queue=dead_letter_queue,
        visibility_timeout_seconds=int(settings.visibility_timeout.to_seconds()),
    )


def _dead_letter_queue_name(queue_name: Optional[str], fifo: bool) -> Optional[str]:
    if queue_name is None:
        return None
    base = queue_name[: -len(_FIFO_SUFFIX)] if fifo else queue_name
    return f"{base}{_DLQ_SUFFIX}{_FIFO_SUFFIX}" if fifo else f"{base}{_DLQ_SUFFIX}"
