"""Workloads: the messages a run sends, from a JSON Lines file or a generator.

* :mod:`.items`: :class:`WorkItem` (one message) and the JSON Lines file.
* :mod:`.shapes`: generators for common shapes (``steady``, ``poisson``, ``burst``,
  ``daily_curve``, ``idle_then_one``) and :func:`from_spec`, which reads ``NAME:key=value``
  or a file.
* :mod:`.registry`: the generators' registry and the values their arguments accept.

This package only re-exports.
"""

from sqs_scale_to_zero.simulate.workload.items import WorkItem, read_jsonl, write_jsonl
from sqs_scale_to_zero.simulate.workload.shapes import (
    burst,
    daily_curve,
    from_spec,
    idle_then_one,
    poisson,
    steady,
)

__all__ = [
    "WorkItem",
    "burst",
    "daily_curve",
    "from_spec",
    "idle_then_one",
    "poisson",
    "read_jsonl",
    "steady",
    "write_jsonl",
]
