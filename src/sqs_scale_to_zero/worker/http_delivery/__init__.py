"""HTTP delivery: the runtime POSTs each message to an app in any language beside it.

``python -m sqs_scale_to_zero.worker --deliver-to http://127.0.0.1:8080/work`` receives as it
always does and, instead of calling a Python function, POSTs each message to that URL on the
task's loopback, speaking the contract of Elastic Beanstalk's worker daemon (``sqsd``), so an app
written for a Beanstalk worker environment runs unchanged. The contract, from the Elastic
Beanstalk developer guide ("Elastic Beanstalk worker environments", https://docs.aws.amazon.com/
elasticbeanstalk/latest/dg/using-features-managing-env-tiers.html):

* the body is the message body; ``Content-Type`` is configurable (default ``application/json``);
* ``User-Agent`` starts with ``aws-sqsd``; ``X-Aws-Sqsd-Msgid``, ``X-Aws-Sqsd-Queue`` (the queue's
  name), ``X-Aws-Sqsd-First-Received-At`` (ISO 8601, UTC), ``X-Aws-Sqsd-Receive-Count``,
  ``X-Aws-Sqsd-Sender-Id``, and ``X-Aws-Sqsd-Attr-<name>`` per String or Number attribute;
* a periodic task's message (attributes ``beanstalk.sqsd.task_name``,
  ``beanstalk.sqsd.scheduled_time``, ``beanstalk.sqsd.path``) is POSTed, without a body, to the
  task's own path with ``X-Aws-Sqsd-Taskname`` and ``X-Aws-Sqsd-Scheduled-At``;
* the answer decides (``answers``): 2xx deletes, ``429``/``503`` with ``Retry-After`` retries
  after that long, anything else is a failure with the runtime's backoff, and no answer within
  the inactivity timeout is a failure; this library's own header
  ``X-Sqs-Scale-To-Zero-Dead-Letter: <reason>`` on any answer moves the message to the
  dead-letter queue at once (``DeadLetter``).

Each part is its own module: ``settings`` (the checked options), ``sqsd`` (the request),
``answers`` (what an answer means), ``readiness`` (no receive while the app is not there) and
``delivery`` (``HttpDelivery``, the handler that ties them together).
"""

from __future__ import annotations

from sqs_scale_to_zero.worker.http_delivery.answers import DeliveryFailed
from sqs_scale_to_zero.worker.http_delivery.delivery import (
    AppUnreachable,
    DeliveryTimeout,
    HttpDelivery,
)
from sqs_scale_to_zero.worker.http_delivery.readiness import AppReadiness
from sqs_scale_to_zero.worker.http_delivery.settings import DeliverySettings

__all__ = [
    "AppReadiness",
    "AppUnreachable",
    "DeliveryFailed",
    "DeliverySettings",
    "DeliveryTimeout",
    "HttpDelivery",
]
