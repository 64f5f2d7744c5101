"""Start-up of a ``Worker``: the queue's visibility timeout, read without blocking a stop."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqs_scale_to_zero.worker.client import SQS_ERRORS

if TYPE_CHECKING:
    from sqs_scale_to_zero.worker.consumer import Worker

logger = logging.getLogger("sqs_scale_to_zero.worker")


def read_visibility_timeout(worker: Worker) -> int | None:
    """The queue's own visibility timeout; the configured one if SQS cannot tell.

    Retried until SQS answers when nothing is configured; None if stopped first. The call
    runs on a helper thread, so a stop request is honoured even while SQS does not answer.
    """
    configured = worker.config.visibility_timeout_seconds
    failures = 0
    while not worker._stop.is_set():
        box: dict[str, Any] = {}

        def read(box: dict[str, Any] = box) -> None:
            try:
                box["value"] = worker._sqs.get_queue_attributes(
                    QueueUrl=worker.queue_url, AttributeNames=["VisibilityTimeout"]
                )["Attributes"]["VisibilityTimeout"]
            except SQS_ERRORS as error:
                box["error"] = error

        reader = threading.Thread(target=read, name="sqs-attributes", daemon=True)
        reader.start()
        while reader.is_alive() and not worker._stop.is_set():
            reader.join(timeout=0.1)  # returns as soon as SQS answers
        if reader.is_alive():
            return None
        if "value" in box:
            actual = int(box["value"])
            if configured is not None and configured != actual:
                logger.warning(
                    "%s is %d s but the queue's visibility timeout is %d s; using %d s",
                    worker.config.visibility_timeout_source,
                    configured,
                    actual,
                    actual,
                )
            return actual
        if configured is not None:
            logger.warning(
                "could not read the queue's visibility timeout (%s); trusting %s = %d s",
                box["error"],
                worker.config.visibility_timeout_source,
                configured,
            )
            return configured
        failures += 1
        if worker.back_off("GetQueueAttributes", failures, box["error"], logging.ERROR):
            return None
    return None
