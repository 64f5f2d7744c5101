"""Simulation results: the JSON shape and a side-by-side table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqs_scale_to_zero.simulate.timeline.record import Timeline


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass
class DeploymentResult:
    """What one deployment of a run did (see :mod:`.models.deploy_drain`).

    Attributes:
        at: When the task definition was replaced, in seconds.
        completed_after_seconds: From ``at`` until no task of an earlier task definition was
            left and the service ran its desired count of tasks; ``None`` if not by the horizon.
        started_on_old_code: Messages whose processing began, after ``at`` (and before the next
            deployment), on a task of an earlier task definition.
        interrupted: Messages interrupted on the tasks this deployment stopped.
        duplicates: Duplicate deliveries finished while this deployment was in progress.
        old_tasks: Tasks of an earlier task definition alive at ``at``.
        longest_job_in_progress: Longest ``work_seconds`` of the messages being worked on at
            ``at`` (0 when none was).
        last_old_start_after: Seconds from ``at`` to the last of :attr:`started_on_old_code`,
            ``None`` when there was none.
        most_old_starts_per_task: Most of :attr:`started_on_old_code` on one old task.
    """

    at: float
    completed_after_seconds: float | None = None
    started_on_old_code: int = 0
    interrupted: int = 0
    duplicates: int = 0
    old_tasks: int = 0
    longest_job_in_progress: float = 0.0
    last_old_start_after: float | None = None
    most_old_starts_per_task: int = 0

    def to_json(self) -> dict[str, Any]:
        """The entry of this deployment in a result's ``deployments``."""
        done = self.completed_after_seconds
        return {
            "at": self.at,
            "completed_after_seconds": None if done is None else round(done, 3),
            "started_on_old_code": self.started_on_old_code,
            "interrupted": self.interrupted,
            "duplicates": self.duplicates,
        }

    def summary(self) -> str:
        """One line for the text output."""
        done = self.completed_after_seconds
        return (
            f"deploy at {fmt_seconds(self.at)}: "
            + (
                "not completed by the horizon"
                if done is None
                else f"completed after {fmt_seconds(done)}"
            )
            + f"; started on old code {self.started_on_old_code}, "
            f"interrupted {self.interrupted}, duplicates {self.duplicates}"
        )


@dataclass
class Result:
    """What one template did with the workload.

    Attributes:
        template: The template's path (or name).
        service: The simulated service's logical ID.
        messages: Messages in the workload.
        processed: Messages processed to completion (each counted once).
        interrupted: Times a task was stopped while working on a message.
        dead_lettered: Messages moved to the DLQ.
        unprocessed: Messages neither processed nor dead-lettered by the horizon.
        waits: Enqueue -> start of the successful processing, per processed message (seconds).
        task_hours: Billed task time.
        idle_task_hours: Billed task time not spent working on a message.
        cost_usd: Fargate cost, plus the instances' on EC2 capacity.
        duplicate_deliveries: Messages processed again after another task had finished them
            (visibility lapsed during work).
        max_tasks: Most tasks running or starting at once.
        task_launches: Tasks launched.
        scaling_activities: Desired-count changes by Application Auto Scaling.
        horizon_seconds: Virtual time simulated.
        task_starts: Per processed message, in the order of :attr:`waits`: the part of its wait
            spent while the task that served it was starting (from the later of the task's
            launch and the message's send to the task's first poll; 0 when that task was
            already running). ``waits[i] - task_starts[i]`` is the part the scaling path
            controls: seeing the message and asking ECS for a task.
        wasted_starts: Tasks launched during the run and stopped before starting any message
            (tasks present at time 0 are not counted).
        fast_wakes: Times a scheduled function raised the desired count from 0 itself.
        drain_seconds: First message sent -> last message finished; ``None`` unless every
            message was processed by the horizon.
        deployments: One entry per deployment of the run, in time order. Default: none.
        instance_launches: EC2 instances launched (0 on Fargate).
        instance_warm_starts: Stopped warm-pool instances started (0 without a warm pool).
        instance_hours: Billed instance running time (0 on Fargate).
        instance_cost_usd: What the instances cost, running and stopped; included in
            :attr:`cost_usd`.
        timeline: The run minute by minute and every message, when the run recorded it
            (``simulate(..., timeline=...)``). Default: None.
    """

    template: str
    service: str
    messages: int = 0
    processed: int = 0
    interrupted: int = 0
    dead_lettered: int = 0
    unprocessed: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    task_hours: float = 0.0
    idle_task_hours: float = 0.0
    cost_usd: float = 0.0
    duplicate_deliveries: int = 0
    max_tasks: int = 0
    task_launches: int = 0
    scaling_activities: int = 0
    horizon_seconds: float = 0.0
    task_starts: list[float] = field(default_factory=list, repr=False)
    wasted_starts: int = 0
    fast_wakes: int = 0
    drain_seconds: float | None = None
    deployments: list[DeploymentResult] = field(default_factory=list)
    instance_launches: int = 0
    instance_warm_starts: int = 0
    instance_hours: float = 0.0
    instance_cost_usd: float = 0.0
    timeline: Timeline | None = field(default=None, repr=False)

    def wait_seconds(self) -> dict[str, float]:
        """``{"p50", "p95", "max"}`` of :attr:`waits` (0.0 when nothing was processed)."""
        return {
            "p50": round(percentile(self.waits, 50), 3),
            "p95": round(percentile(self.waits, 95), 3),
            "max": round(max(self.waits), 3) if self.waits else 0.0,
        }

    def scaling_waits(self) -> list[float]:
        """Per processed message, its wait minus its :attr:`task_starts` share."""
        return [w - t for w, t in zip(self.waits, self.task_starts, strict=True)]

    def scaling_wait_seconds(self) -> dict[str, float]:
        """``{"p50", "p95", "max"}`` of :meth:`scaling_waits` (wait minus task start)."""
        values = self.scaling_waits()
        return {
            "p50": round(percentile(values, 50), 3),
            "p95": round(percentile(values, 95), 3),
            "max": round(max(values), 3) if values else 0.0,
        }

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` entry for this template."""
        return {
            "template": self.template,
            "service": self.service,
            "messages": self.messages,
            "processed": self.processed,
            "interrupted": self.interrupted,
            "dead_lettered": self.dead_lettered,
            "unprocessed": self.unprocessed,
            "wait_seconds": self.wait_seconds(),
            "wait_minus_task_start_seconds": self.scaling_wait_seconds(),
            "drain_seconds": None if self.drain_seconds is None else round(self.drain_seconds, 3),
            "task_hours": round(self.task_hours, 4),
            "cost_usd": round(self.cost_usd, 4),
            "idle_task_hours": round(self.idle_task_hours, 4),
            "duplicate_deliveries": self.duplicate_deliveries,
            "max_tasks": self.max_tasks,
            "task_launches": self.task_launches,
            "wasted_starts": self.wasted_starts,
            "fast_wakes": self.fast_wakes,
            "scaling_activities": self.scaling_activities,
            "horizon_seconds": self.horizon_seconds,
            "deployments": [d.to_json() for d in self.deployments],
            "instance_launches": self.instance_launches,
            "instance_warm_starts": self.instance_warm_starts,
            "instance_hours": round(self.instance_hours, 4),
            "instance_cost_usd": round(self.instance_cost_usd, 4),
        }


def fmt_seconds(s: float) -> str:
    """``s`` seconds as a table shows them: seconds below 2 minutes, minutes below 2 hours."""
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


ROWS: list[tuple[str, Any]] = [
    ("messages", lambda r: str(r.messages)),
    ("processed", lambda r: str(r.processed)),
    ("unprocessed at horizon", lambda r: str(r.unprocessed)),
    ("interrupted", lambda r: str(r.interrupted)),
    ("dead-lettered", lambda r: str(r.dead_lettered)),
    ("wait p50", lambda r: fmt_seconds(r.wait_seconds()["p50"])),
    ("wait p95", lambda r: fmt_seconds(r.wait_seconds()["p95"])),
    ("wait max", lambda r: fmt_seconds(r.wait_seconds()["max"])),
    ("wait - task start p50", lambda r: fmt_seconds(r.scaling_wait_seconds()["p50"])),
    ("wait - task start p95", lambda r: fmt_seconds(r.scaling_wait_seconds()["p95"])),
    ("time to drain", lambda r: "-" if r.drain_seconds is None else fmt_seconds(r.drain_seconds)),
    ("task-hours", lambda r: f"{r.task_hours:.2f}"),
    ("idle task-hours", lambda r: f"{r.idle_task_hours:.2f}"),
    ("cost (USD)", lambda r: f"{r.cost_usd:.4f}"),
    ("instance-hours", lambda r: f"{r.instance_hours:.2f}"),
    ("instance launches", lambda r: str(r.instance_launches)),
    ("duplicate deliveries", lambda r: str(r.duplicate_deliveries)),
    ("max tasks", lambda r: str(r.max_tasks)),
    ("task launches", lambda r: str(r.task_launches)),
    ("wasted starts", lambda r: str(r.wasted_starts)),
]


INSTANCE_ROWS = ("instance-hours", "instance launches")
"""Rows shown only when a result ran on EC2 instances."""


def _rows(results: Sequence[Result]) -> list[tuple[str, Any]]:
    on_instances = any(r.instance_launches or r.instance_hours for r in results)
    return [row for row in ROWS if on_instances or row[0] not in INSTANCE_ROWS]


def column_name(template: str) -> str:
    """A template's default column header: its file name without ``.template.json``."""
    return template.rsplit("/", 1)[-1].removesuffix(".template.json")


def table(results: Sequence[Result], names: Sequence[str] | None = None) -> str:
    """A plain-text table with one column per result.

    Args:
        results: The results, in column order.
        names: Column headers. Default: each template's file name.
    """
    headers = list(names) if names is not None else [column_name(r.template) for r in results]
    cells = [[label] + [fmt(r) for r in results] for label, fmt in _rows(results)]
    widths = [max(len(row[i]) for row in [["", *headers], *cells]) for i in range(len(headers) + 1)]
    lines = [
        "  ".join(
            h.rjust(w) if i else h.ljust(w)
            for i, (h, w) in enumerate(zip(["", *headers], widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def markdown_table(results: Sequence[Result], names: Sequence[str]) -> str:
    """The same table in Markdown (for the README)."""
    head = "| | " + " | ".join(names) + " |"
    sep = "|---|" + "---:|" * len(names)
    body = [
        "| " + label + " | " + " | ".join(fmt(r) for r in results) + " |"
        for label, fmt in _rows(results)
    ]
    return "\n".join([head, sep, *body])
