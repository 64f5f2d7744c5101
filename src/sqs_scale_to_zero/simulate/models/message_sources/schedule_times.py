"""When an EventBridge Scheduler schedule runs, in virtual seconds.

Expressions as the EventBridge Scheduler User Guide defines them ("Schedule types in
EventBridge Scheduler", https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):
``rate(value unit)``, ``cron(minutes hours day-of-month month day-of-week year)`` in the
schedule's time zone, and ``at(yyyy-mm-ddThh:mm:ss)``. The guide says a schedule invokes its
target "with 60 second precision": a run due at 1:00 happens between 1:00:00 and 1:00:59; the
model draws the second uniformly from that minute.

Virtual time 0 is :data:`EPOCH`. A rate schedule was created at an unknown time before the
run, so its first run falls at a seeded moment within the first period. Cron's ``L``, ``W``
and ``#`` are not modelled (refused).
"""

from __future__ import annotations

import random
import re
import zoneinfo
from datetime import UTC, datetime, timedelta

from sqs_scale_to_zero.simulate.errors import SimulationInputError

EPOCH = datetime(2027, 1, 4, tzinfo=UTC)
"""The wall-clock time of virtual second 0: Monday 4 January 2027, 00:00 UTC."""

INVOCATION_WINDOW_SECONDS = 60.0
"""A run due at a minute happens within that minute (60-second precision)."""

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = ((0, 59, ()), (0, 23, ()), (1, 31, ()), (1, 12, _MONTHS), (1, 7, _DAYS), (1970, 2199, ()))


def run_times(
    expression: str, time_zone: str, horizon: float, rng: random.Random, where: str
) -> list[float]:
    """The virtual seconds in ``[0, horizon)`` at which the schedule sends its message.

    Raises:
        SimulationInputError: An expression or time zone the model does not read.
    """
    rate = _RATE.match(expression)
    if rate:
        period = float(int(rate.group(1)) * _UNIT[rate.group(2).removesuffix("s")])
        if period <= 0:
            raise SimulationInputError(f"{where}: a rate of zero")
        first = rng.uniform(0.0, period)
        return [t for t in _steps(first, period, horizon)]
    zone = _zone(time_zone, where)
    if expression.startswith("at(") and expression.endswith(")"):
        try:
            local = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=zone)
        except ValueError:
            raise SimulationInputError(f"{where}: {expression!r} is not a date and time") from None
        due = (local - EPOCH).total_seconds()
        return [due + rng.uniform(0.0, INVOCATION_WINDOW_SECONDS)] if 0 <= due < horizon else []
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split()
        if len(fields) != 6:
            raise SimulationInputError(f"{where}: {expression!r} does not have six fields")
        allowed = [
            _allowed(spec, *bounds, where) for spec, bounds in zip(fields, _FIELDS, strict=True)
        ]
        times = []
        for minute in range(int(horizon // 60) + 1):
            local = (EPOCH + timedelta(minutes=minute)).astimezone(zone)
            if _matches(local, allowed):
                times.append(minute * 60 + rng.uniform(0.0, INVOCATION_WINDOW_SECONDS))
        return [t for t in times if t < horizon]
    raise SimulationInputError(f"{where}: the schedule expression {expression!r} is not modelled")


def _steps(first: float, period: float, horizon: float) -> list[float]:
    count = 0 if first >= horizon else int((horizon - first) // period) + 1
    return [first + i * period for i in range(count) if first + i * period < horizon]


def _zone(name: str, where: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SimulationInputError(f"{where}: unknown time zone {name!r}") from None


def _allowed(spec: str, low: int, high: int, names: tuple[str, ...], where: str) -> set[int] | None:
    """The values a field allows; ``None`` for ``*`` or ``?`` (any)."""
    if spec in ("*", "?"):
        return None
    values: set[int] = set()
    for part in spec.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1
        if base == "*":
            first, last = low, high
        else:
            start, dash, end = base.partition("-")
            first = _value(start, low, high, names, where, spec)
            last = (
                _value(end, low, high, names, where, spec)
                if dash
                else (high if step_text else first)
            )
        values.update(range(first, last + 1, step))
    return values


def _value(token: str, low: int, high: int, names: tuple[str, ...], where: str, spec: str) -> int:
    if token.isdigit() and low <= int(token) <= high:
        return int(token)
    if token.upper() in names:
        return low + names.index(token.upper())
    raise SimulationInputError(f"{where}: cron field {spec!r} is not modelled (L, W and # are not)")


def _matches(local: datetime, allowed: list[set[int] | None]) -> bool:
    weekday = (local.isoweekday() % 7) + 1  # Scheduler: SUN=1 ... SAT=7
    actual = (local.minute, local.hour, local.day, local.month, weekday, local.year)
    return all(a is None or value in a for value, a in zip(actual, allowed, strict=True))
