"""A workload's messages and its JSON Lines file.

A workload file has one message per line::

    {"at": 12.5, "work_seconds": 30, "cpu_percent": 80}

``at`` is seconds from the start, ``work_seconds`` how long a task works on it and
``cpu_percent`` the CPU the task shows meanwhile. Blank lines and lines starting with ``#``
are skipped.

A message may come another way (:mod:`..models.message_sources.delivery`): with
``"topic": "Orders"`` (and optional ``"attributes": {...}`` for filter policies) it is published
to that SNS topic, and reaches the queue if the queue subscribes to it; a line with
``"schedule": "nightly-report"`` (and no ``at``) gives the work of each message that schedule
sends.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError, SimulationInputError


@dataclass(frozen=True)
class WorkItem:
    """One message of a workload.

    Attributes:
        at: Seconds from the start at which it is sent.
        work_seconds: Processing time.
        cpu_percent: Task CPU utilization while processing. Default: 50.
        topic: Publish it to this SNS topic (logical ID, name or ARN) instead of sending it to
            the queue. Default: sent to the queue.
        attributes: Its message attributes, matched against subscriptions' filter policies.
            Default: none.
        schedule: Not a message but the work of each run of this schedule (task name or
            logical ID); ``at`` is ignored. Default: none.
    """

    at: float
    work_seconds: float
    cpu_percent: float = 50.0
    topic: str | None = None
    attributes: dict[str, Any] | None = None
    schedule: str | None = None


def _item(obj: object, where: str) -> WorkItem:
    if not isinstance(obj, dict):
        raise SimulationInputError(
            f'{where}: expected a JSON object like {{"at": 0, "work_seconds": 1, "cpu_percent": 50}}'
        )
    schedule, topic, attributes = obj.get("schedule"), obj.get("topic"), obj.get("attributes")
    if schedule is not None:
        obj = {"at": 0, **obj}
    for name, value in (("schedule", schedule), ("topic", topic)):
        if value is not None and (not isinstance(value, str) or not value):
            raise SimulationInputError(f"{where}: {name} must be a non-empty string")
    if attributes is not None and not isinstance(attributes, dict):
        raise SimulationInputError(f"{where}: attributes must be a JSON object")
    try:
        at = float(obj["at"])
        work = float(obj["work_seconds"])
        cpu = float(obj.get("cpu_percent", 50.0))
    except KeyError as exc:
        raise SimulationInputError(f"{where}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError):
        raise SimulationInputError(
            f"{where}: at, work_seconds and cpu_percent must be numbers"
        ) from None
    if not (math.isfinite(at) and at >= 0) or not (math.isfinite(work) and work >= 0):
        raise SimulationInputError(f"{where}: at and work_seconds must be finite and >= 0")
    if not 0 <= cpu <= 100:
        raise SimulationInputError(f"{where}: cpu_percent must be between 0 and 100 (got {cpu})")
    return WorkItem(at, work, cpu, topic=topic, attributes=attributes, schedule=schedule)


def read_jsonl(path: str | Path) -> list[WorkItem]:
    """Read a JSON Lines workload, sorted by ``at``.

    Raises:
        SimulationInputError: The file is missing or a line is not a valid message; the message
            names the file and line.
        SimulationArgumentError: ``path`` is a directory.
    """
    p = Path(path)
    if p.is_dir():
        raise SimulationArgumentError(f"{p}: a directory, not a workload file")
    try:
        lines = p.read_text().splitlines()
    except FileNotFoundError:
        raise SimulationInputError(f"{p}: workload file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SimulationInputError(f"{p}: cannot read the workload ({exc})") from None
    items: list[WorkItem] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{p}:{number}"
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SimulationInputError(f"{where}: not valid JSON ({exc.msg})") from None
        items.append(_item(obj, where))
    return sorted(items, key=lambda i: i.at)


def write_jsonl(items: Iterable[WorkItem], path: str | Path) -> None:
    """Write a workload as JSON Lines."""
    Path(path).write_text(
        "".join(
            json.dumps(
                {
                    "at": i.at,
                    "work_seconds": i.work_seconds,
                    "cpu_percent": i.cpu_percent,
                    **{
                        key: value
                        for key, value in (
                            ("topic", i.topic),
                            ("attributes", i.attributes),
                            ("schedule", i.schedule),
                        )
                        if value is not None
                    },
                }
            )
            + "\n"
            for i in items
        )
    )
