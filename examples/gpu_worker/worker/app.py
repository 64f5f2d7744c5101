"""The worker's handler: the code each message reaches inside the container.

The container runs ``python -m sqs_scale_to_zero.worker app:handle``; the construct injects
``QUEUE_URL`` and the other settings. Run it on your machine against a local queue (needs
``pip install 'sqs-scale-to-zero[local]'``), from this folder:

    sqs-scale-to-zero local app:handle

Send ``{"order_id": 7, "work_seconds": 2}`` to the queue and watch it being processed.
"""

from __future__ import annotations

import logging
import time

from sqs_scale_to_zero.worker import DeadLetter, Message, RetryLater

logger = logging.getLogger("app")


def handle(message: Message) -> None:
    """Process one order. Return to delete it; raise to have it retried."""
    try:
        order = message.json()
    except ValueError:  # never processable: to the dead-letter queue at once, no retries
        raise DeadLetter("body is not JSON") from None
    if order.get("downstream") == "busy":
        # Ask for a specific delay instead of the worker's exponential backoff.
        raise RetryLater(30, reason="downstream busy")
    time.sleep(float(order.get("work_seconds", 0)))  # stands for the real work
    logger.info(
        "processed order %s",
        order.get("order_id"),
        extra={"message_id": message.message_id, "order_id": order.get("order_id")},
    )
