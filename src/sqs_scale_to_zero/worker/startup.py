"""Start-up of a ``Worker``: the queue's visibility timeout, read without blocking a stop.

The first call to SQS also tells a queue that does not exist or may not be read from a passing
outage: those stop the worker at once with one line (exit code 2 from the CLI), where an outage
is retried.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from sqs_scale_to_zero.worker.client import SQS_ERRORS
from sqs_scale_to_zero.worker.config import ConfigurationError, WorkerConfig
from sqs_scale_to_zero.worker.error_backoff import ErrorBackoff
from sqs_scale_to_zero.worker.lifecycle import Lifecycle

logger = logging.getLogger("sqs_scale_to_zero.worker")

QUEUE_MISSING_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
"""SQS's error codes for a queue URL that names no queue (query and JSON protocols)."""

ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "UnrecognizedClientException"}
)
"""Error codes for credentials that may not read the queue, or that AWS does not know; any
HTTP 403 answer counts too (a server that names no code, such as moto's)."""


def fatal_queue_error(error: Exception | None, queue_url: str) -> ConfigurationError | None:
    """The one-line error for a queue that does not exist or may not be read; None otherwise."""
    if not isinstance(error, ClientError):
        return None
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in QUEUE_MISSING_CODES:
        return ConfigurationError(
            f"queue {queue_url} does not exist: check QUEUE_URL (and the region and endpoint)"
        )
    if code in ACCESS_DENIED_CODES or status == 403:
        return ConfigurationError(
            f"access denied to queue {queue_url} ({code or status}): the credentials need "
            "sqs:GetQueueAttributes, sqs:ReceiveMessage, sqs:DeleteMessage and "
            "sqs:ChangeMessageVisibility on it"
        )
    return None


def read_visibility_timeout(
    sqs: Any, config: WorkerConfig, lifecycle: Lifecycle, backoff: ErrorBackoff
) -> int | None:
    """The queue's own visibility timeout; the configured one if SQS cannot tell.

    Retried until SQS answers when nothing is configured; None if stopped first. The call
    runs on a helper thread, so a stop request is honoured even while SQS does not answer.

    Args:
        sqs: The SQS client. Required.
        config: The worker's settings (the queue, the configured visibility timeout). Required.
        lifecycle: Ends the wait on a stop. Required.
        backoff: The wait after a failed call. Required.
    """
    configured = config.visibility_timeout_seconds
    failures = 0
    while not lifecycle.stopping:
        box: dict[str, Any] = {}

        def read(box: dict[str, Any] = box) -> None:
            try:
                box["value"] = sqs.get_queue_attributes(
                    QueueUrl=config.queue_url, AttributeNames=["VisibilityTimeout"]
                )["Attributes"]["VisibilityTimeout"]
            except SQS_ERRORS as error:
                box["error"] = error

        reader = threading.Thread(target=read, name="sqs-attributes", daemon=True)
        reader.start()
        while reader.is_alive() and not lifecycle.stopping:
            reader.join(timeout=0.1)  # returns as soon as SQS answers
        if reader.is_alive():
            return None
        fatal = fatal_queue_error(box.get("error"), config.queue_url)
        if fatal is not None:
            raise fatal
        if "value" in box:
            actual = int(box["value"])
            if configured is not None and configured != actual:
                logger.warning(
                    "%s is %d s but the queue's visibility timeout is %d s; using %d s",
                    config.visibility_timeout_source,
                    configured,
                    actual,
                    actual,
                )
            return actual
        if configured is not None:
            logger.warning(
                "could not read the queue's visibility timeout (%s); trusting %s = %d s",
                box["error"],
                config.visibility_timeout_source,
                configured,
            )
            return configured
        failures += 1
        if backoff.wait("GetQueueAttributes", failures, box["error"], logging.ERROR):
            return None
    return None
