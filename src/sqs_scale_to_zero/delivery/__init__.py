"""The delivery part: how each message reaches the code in the task, and so which guarantees hold.

Props: ``http_delivery`` (an :class:`HttpDelivery`) and ``own_consumer``.

Three modes (:class:`DeliveryMode`):

* **Python runtime** (the default): the image runs ``python -m sqs_scale_to_zero.worker`` with a
  Python handler; its one container gets the runtime's settings.
* **HTTP delivery** (``http_delivery=HttpDelivery(port=8080, path="/work")``): the image is an
  app in any language that answers a POST per message; the runtime runs in a second container
  of the task (:mod:`.runtime`) and keeps every guarantee.
* **Own consumer** (``own_consumer=True``): the image consumes the queue itself. It gets
  ``QUEUE_URL`` and ``QUEUE_NAME`` and no ``SCALE_TO_ZERO_*`` variable (nothing would read
  them), and none of the runtime's guarantees: no task protection while it works, no
  heartbeat, no drain on a deploy, no bounded graceful stop.

The mode is visible in the template (which container carries ``SCALE_TO_ZERO_DELIVER_TO`` or
the runtime's settings, if any), so ``sqs-scale-to-zero synth`` names it from the template alone.

Rooms: :mod:`.settings` (the options and their checks), :mod:`.image` (the runtime's default
image) and :mod:`.runtime` (the runtime's container).
"""

from __future__ import annotations

from sqs_scale_to_zero.delivery.runtime import add_runtime_container
from sqs_scale_to_zero.delivery.settings import (
    DeliveryMode,
    DeliverySettings,
    HttpDelivery,
    HttpRuntime,
    resolve_delivery,
)

__all__ = [
    "DeliveryMode",
    "DeliverySettings",
    "HttpDelivery",
    "HttpRuntime",
    "add_runtime_container",
    "resolve_delivery",
]
