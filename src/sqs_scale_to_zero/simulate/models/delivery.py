"""How messages reach the code in a task, and what that code does for each message.

Three delivery modes (named in :mod:`sqs_scale_to_zero.worker.contract`), recognised from the
task definition's containers alone:

* **HTTP delivery**: a container carries ``SCALE_TO_ZERO_DELIVER_TO``: the worker runtime runs
  beside the app and POSTs each message to it.
* **Python runtime**: a container carries the runtime's other ``SCALE_TO_ZERO_*`` settings.
* **Own consumer**: no container carries any: the image consumes the queue itself.

With the runtime (either of the first two) a task protects itself while it works, extends a
message's visibility while it runs (the heartbeat), drains on a deploy and releases what it
cannot finish within its shutdown grace; the task definition's variables say which of these
are on. An own consumer is modelled as a plain SQS loop does it, pessimistically: one message
at a time, no protection (a scale-in or deploy stops a busy task: SIGTERM, then SIGKILL after
the stop timeout), no heartbeat (a message worked on longer than the visibility timeout is
visible again and another task receives it: a duplicate), no release (a killed message waits
out its visibility timeout). :func:`~sqs_scale_to_zero.simulate.models.tasks.read_task` sets
the task's flags from the mode; :mod:`~sqs_scale_to_zero.simulate.models.service` runs them.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqs_scale_to_zero.worker import contract


def delivery_mode(environment: Mapping[str, str]) -> str:
    """The delivery mode that the task's container ``environment`` (all containers) describes."""
    if contract.DELIVER_TO in environment:
        return contract.DELIVERY_HTTP
    if any(name.startswith(contract.RESERVED_PREFIX) for name in environment):
        return contract.DELIVERY_PYTHON_RUNTIME
    return contract.DELIVERY_OWN_CONSUMER


def runs_runtime(mode: str) -> bool:
    """Whether the worker runtime handles the messages in ``mode``."""
    return mode != contract.DELIVERY_OWN_CONSUMER
