"""A timeline's picture, drawn with matplotlib (the ``plot`` extra) on its Agg backend.

Four panels on one time axis: the queue (visible and in flight, as SQS sampled them each
minute), the tasks (desired and running), each alarm's ALARM minutes, and every processed
message's wait against the time it was sent.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.plain_names import construct_alarm_name
from sqs_scale_to_zero.simulate.timeline.record import MINUTE, Timeline

EXTRA = "plot"
"""The optional extra that installs matplotlib."""


def pyplot() -> ModuleType:
    """The pyplot module of matplotlib, on the Agg backend (no display needed).

    Raises:
        SimulationArgumentError: matplotlib is not installed.
    """
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        raise SimulationArgumentError(
            "a timeline picture needs matplotlib: pip install 'sqs-scale-to-zero[plot]' "
            "(or ask for .csv only)"
        ) from None
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def draw(timeline: Timeline, path: Path, title: str) -> None:
    """Draw ``timeline`` into ``path`` (PNG or SVG, by its suffix)."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    rows = timeline.rows
    last = rows[-1].end if rows else MINUTE
    hours = last > 3 * 3600
    unit, label = (3600.0, "hours") if hours else (60.0, "minutes")
    ends = [r.end / unit for r in rows]
    lanes = max(1, len(timeline.alarm_ids))
    figure, axes = plt.subplots(
        4,
        1,
        sharex=True,
        figsize=(11, 9),
        gridspec_kw={"height_ratios": [3, 2, 0.4 * lanes + 0.4, 3]},
        layout="constrained",
    )
    queue, tasks, alarms, waits = axes
    figure.suptitle(title)
    queue.step(ends, [r.visible for r in rows], where="pre", label="visible")
    queue.step(ends, [r.in_flight for r in rows], where="pre", label="in flight")
    queue.set_ylabel("messages")
    queue.legend(loc="upper right")
    tasks.step(ends, [r.tasks_desired for r in rows], where="pre", label="desired")
    tasks.step(ends, [r.tasks_running for r in rows], where="pre", label="running")
    tasks.set_ylabel("tasks")
    tasks.legend(loc="upper right")
    for counts in (queue, tasks):
        counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    _alarm_lanes(alarms, timeline, unit)
    processed = [m for m in timeline.messages if m.wait is not None]
    waits.scatter(
        [m.sent / unit for m in processed], [m.wait or 0.0 for m in processed], s=6, alpha=0.6
    )
    waits.set_ylabel("wait (s)")
    waits.set_xlabel(f"time ({label})")
    waits.set_xlim(0, last / unit)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def lane_labels(alarm_ids: Sequence[str]) -> list[str]:
    """The alarm lanes' labels: the construct's alarms in plain words, others by logical ID."""
    return [construct_alarm_name(lid) or lid for lid in alarm_ids]


def _alarm_lanes(axis: Any, timeline: Timeline, unit: float) -> None:
    """One lane per alarm, shaded where the alarm was in ALARM."""
    for lane in range(len(timeline.alarm_ids)):
        spans = [
            ((r.end - MINUTE) / unit, MINUTE / unit)
            for r in timeline.rows
            if r.alarms[lane] == "ALARM"
        ]
        axis.broken_barh(spans, (lane + 0.1, 0.8), color="tab:red")
    axis.set_yticks([i + 0.5 for i in range(len(timeline.alarm_ids))])
    axis.set_yticklabels(lane_labels(timeline.alarm_ids), fontsize=7)
    axis.set_ylim(0, max(1, len(timeline.alarm_ids)))
    axis.set_ylabel("in ALARM", fontsize=8)
