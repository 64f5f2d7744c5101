"""A workload's messages and its JSON Lines file.

A workload file has one message per line::

    {"at": 12.5, "work_seconds": 30, "cpu_percent": 80}

``at`` is seconds from the start, ``work_seconds`` how long a task works on it and
``cpu_percent`` the CPU the task shows meanwhile. Blank lines and lines starting with ``#``
are skipped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError, SimulationInputError


@dataclass(frozen=True)
class WorkItem:
    """One message of a workload.

    Attributes:
        at: Seconds from the start at which it is sent.
        work_seconds: Processing time.
        cpu_percent: Task CPU utilization while processing. Default: 50.
    """

    at: float
    work_seconds: float
    cpu_percent: float = 50.0


def _item(obj: object, where: str) -> WorkItem:
    if not isinstance(obj, dict):
        raise SimulationInputError(
            f'{where}: expected a JSON object like {{"at": 0, "work_seconds": 1, "cpu_percent": 50}}'
        )
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
    return WorkItem(at, work, cpu)


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
                }
            )
            + "\n"
            for i in items
        )
    )
