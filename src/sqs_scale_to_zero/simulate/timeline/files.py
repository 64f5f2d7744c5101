"""A timeline's files: the minutes and the messages as CSV, and where each file goes.

``--timeline PATH`` names the files by ``PATH``'s stem: ``STEM.csv`` (one row a minute) and
``STEM.messages.csv`` (one row a message) always, and a picture when ``PATH`` ends in
``.png`` or ``.svg`` (:mod:`.picture`). With several templates each gets its own files,
``STEM.<template name>.csv`` and so on.

The minutes' columns (:class:`~.record.MinuteRow`): ``minute``, ``end_seconds``, ``visible``,
``in_flight``, ``queue_publishing`` (1 or 0), ``sent``, ``received``, ``deleted``,
``tasks_desired``, ``tasks_running``, ``cpu_percent`` (empty with no task running),
``started``, ``finished``, then ``alarm:<logical ID>`` per alarm (``OK``, ``ALARM`` or
``INSUFFICIENT_DATA``). The messages' columns (:class:`~.record.MessageRecord`): ``message``,
``sent_seconds``, ``started_seconds``, ``finished_seconds``, ``wait_seconds`` (the three empty
unless processed), ``outcome``, ``receives``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.timeline.record import Timeline

PICTURE_SUFFIXES = (".png", ".svg")
"""Suffixes of a ``--timeline`` path that ask for a picture."""
SUFFIXES = (".csv", *PICTURE_SUFFIXES)

MINUTE_COLUMNS = (
    "minute",
    "end_seconds",
    "visible",
    "in_flight",
    "queue_publishing",
    "sent",
    "received",
    "deleted",
    "tasks_desired",
    "tasks_running",
    "cpu_percent",
    "started",
    "finished",
)
"""The minutes file's columns before the alarms' (``alarm:<logical ID>`` each)."""
MESSAGE_COLUMNS = (
    "message",
    "sent_seconds",
    "started_seconds",
    "finished_seconds",
    "wait_seconds",
    "outcome",
    "receives",
)


@dataclass(frozen=True)
class TimelinePaths:
    """Where one run's timeline is written.

    Attributes:
        minutes: The minutes' CSV.
        messages: The messages' CSV.
        picture: The picture, or ``None`` when none was asked for.
    """

    minutes: Path
    messages: Path
    picture: Path | None


def wants_picture(path: str | Path) -> bool:
    """Whether ``path`` asks for a picture.

    Raises:
        SimulationArgumentError: A suffix other than ``.csv``, ``.png`` or ``.svg``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise SimulationArgumentError(
            f"timeline {str(path)!r} must end in {', '.join(SUFFIXES)} "
            "(.csv writes the minutes and the messages; .png or .svg draws a picture too)"
        )
    return suffix in PICTURE_SUFFIXES


def timeline_paths(path: str | Path, name: str | None = None) -> TimelinePaths:
    """The files of the timeline ``path`` asks for, with ``name`` (a template's) if several."""
    given = Path(path)
    stem = given.with_suffix("").name + (f".{name}" if name else "")
    picture = given.with_name(stem + given.suffix) if wants_picture(given) else None
    return TimelinePaths(
        given.with_name(stem + ".csv"), given.with_name(stem + ".messages.csv"), picture
    )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def write_csv(timeline: Timeline, paths: TimelinePaths) -> None:
    """Write the minutes and the messages of ``timeline`` as CSV."""
    with paths.minutes.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*MINUTE_COLUMNS, *(f"alarm:{a}" for a in timeline.alarm_ids)])
        for r in timeline.rows:
            writer.writerow(
                [
                    r.minute,
                    _number(r.end),
                    r.visible,
                    r.in_flight,
                    int(r.queue_publishing),
                    r.sent,
                    r.received,
                    r.deleted,
                    r.tasks_desired,
                    r.tasks_running,
                    _number(r.cpu_percent),
                    r.started,
                    r.finished,
                    *r.alarms,
                ]
            )
    with paths.messages.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(MESSAGE_COLUMNS)
        for m in timeline.messages:
            writer.writerow(
                [
                    m.message,
                    _number(m.sent),
                    _number(m.started),
                    _number(m.finished),
                    _number(m.wait),
                    m.outcome,
                    m.receives,
                ]
            )


def write_files(timeline: Timeline, paths: TimelinePaths, title: str) -> None:
    """Write the CSV files, and the picture when ``paths`` has one."""
    write_csv(timeline, paths)
    if paths.picture is not None:
        from sqs_scale_to_zero.simulate.timeline.picture import draw

        draw(timeline, paths.picture, title)
