"""Schedule expressions and time zones, checked as EventBridge Scheduler would check them.

Syntax from the EventBridge Scheduler User Guide, "Schedule types in EventBridge Scheduler"
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):
``rate(value unit)`` with a positive whole value and a unit of minute(s), hour(s) or day(s);
``cron(minutes hours day-of-month month day-of-week year)``, six fields, where exactly one of
day-of-month and day-of-week is ``?``; ``at(yyyy-mm-ddThh:mm:ss)`` for one run. Time zones are
IANA names (``Europe/Paris``). Also converts a Unix five-field cron (Beanstalk's ``cron.yaml``)
into a Scheduler cron expression. Pure Python.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from typing import Optional

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class _Field:
    def __init__(
        self, name: str, low: int, high: int, names: tuple[str, ...] = (), extra: str = ""
    ):
        self.name, self.low, self.high, self.names, self.extra = name, low, high, names, extra

    def value(self, token: str) -> Optional[int]:
        if token.isdigit():
            number = int(token)
            return number if self.low <= number <= self.high else None
        if token.upper() in self.names:
            return self.low + self.names.index(token.upper())
        return None


_FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31, extra="?LW"),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 1, 7, _DAYS, extra="?L#"),
    _Field("year", 1970, 2199),
)


def schedule_expression_problem(expression: object) -> Optional[str]:
    """Why EventBridge Scheduler would refuse ``expression``, or ``None`` if it is valid."""
    if not isinstance(expression, str):
        return f"must be a string such as 'rate(1 hour)' (got {type(expression).__name__})"
    rate = _RATE.match(expression)
    if rate:
        return None if int(rate.group(1)) > 0 else "a rate's value must be a positive whole number"
    if expression.startswith("rate("):
        return (
            f"{expression!r} is not a rate expression: write rate(VALUE UNIT) with a positive "
            "whole VALUE and a UNIT of minute(s), hour(s) or day(s), e.g. 'rate(12 hours)'"
        )
    at = _AT.match(expression)
    if at:
        try:
            datetime.fromisoformat(at.group(1))
        except ValueError:
            return f"{expression!r} is not a date and time: write at(yyyy-mm-ddThh:mm:ss)"
        return None
    cron = _CRON.match(expression)
    if cron:
        return _cron_problem(cron.group(1))
    return (
        f"{expression!r} is not a schedule expression: use 'rate(12 hours)', "
        "'cron(0 23 * * ? *)' (six fields) or 'at(2027-01-01T00:00:00)'"
    )


def _cron_problem(body: str) -> Optional[str]:
    fields = body.split()
    if len(fields) != 6:
        return (
            f"cron({body}) has {len(fields)} fields; EventBridge Scheduler takes six: minutes "
            "hours day-of-month month day-of-week year, e.g. 'cron(0 23 * * ? *)'"
        )
    for spec, field in zip(fields, _FIELDS, strict=True):
        problem = _field_problem(spec, field)
        if problem:
            return f"cron({body}): {field.name} {spec!r}: {problem}"
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return (
            f"cron({body}): exactly one of day-of-month and day-of-week must be '?', e.g. "
            "'cron(0 23 * * ? *)' for every day or 'cron(0 9 ? * MON-FRI *)' for weekdays"
        )
    return None


def _field_problem(spec: str, field: _Field) -> Optional[str]:
    if spec == "?":
        return None if "?" in field.extra else "'?' is only for day-of-month or day-of-week"
    for part in spec.split(","):
        if not part:
            return "has an empty list item"
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return f"the increment in {part!r} must be a positive whole number"
        if base == "*":
            continue
        if field.extra and _special_ok(base, field):
            continue
        low, dash, high = base.partition("-")
        if field.value(low) is None or (dash and field.value(high) is None):
            return f"{part!r} is outside {field.low}-{field.high} or not a valid value"
    return None


def _special_ok(base: str, field: _Field) -> bool:
    if field.name == "day-of-month":
        return base in ("L", "LW") or bool(
            re.fullmatch(r"\d{1,2}W", base) and field.value(base[:-1])
        )
    # day-of-week: L (last), 5L (last Friday), 3#2 (second Tuesday)
    if base == "L":
        return True
    if base.endswith("L"):
        return field.value(base[:-1]) is not None
    day, hash_, nth = base.partition("#")
    return bool(hash_) and field.value(day) is not None and nth in ("1", "2", "3", "4", "5")


def time_zone_problem(time_zone: object) -> Optional[str]:
    """Why ``time_zone`` is not an IANA time zone name, or ``None`` if it is one."""
    if not isinstance(time_zone, str) or not time_zone or time_zone.startswith(("/", ".")):
        return f"must be an IANA time zone name such as 'Europe/Paris' (got {time_zone!r})"
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"{time_zone!r} is not an IANA time zone name: use e.g. 'UTC' or 'America/New_York'"
    return None


def scheduler_cron_from_unix(unix: str) -> str:
    """The EventBridge Scheduler expression of a Unix five-field cron (``"0 */12 * * *"``).

    Unix cron runs when either day field matches; Scheduler needs ``?`` in one of them, so a
    schedule that names both a day of the month and a day of the week can't be converted.
    Unix counts the days of the week 0-7 from Sunday (0 and 7), Scheduler 1-7 (SUN=1).

    Raises:
        ValueError: The expression is not five fields or can't be expressed; says the fix.
    """
    fields = unix.split()
    if len(fields) != 5:
        raise ValueError(
            f"{unix!r} is not a five-field cron schedule (minute hour day month weekday), "
            "e.g. '0 23 * * *'"
        )
    minute, hour, day_of_month, month = (
        _from_first(spec, field.low) for spec, field in zip(fields[:4], _FIELDS[:4], strict=True)
    )
    day_of_week = fields[4]
    if day_of_month != "*" and day_of_week != "*":
        raise ValueError(
            f"{unix!r} names both a day of the month and a day of the week, which Unix cron "
            "joins with OR and EventBridge Scheduler can't: split it into two tasks"
        )
    if day_of_week == "*":
        day_of_week = "?"
    else:
        day_of_month, day_of_week = "?", _unix_days_of_week(day_of_week, unix)
    return f"cron({minute} {hour} {day_of_month} {month} {day_of_week} *)"


def _from_first(spec: str, first: int) -> str:
    """``*/5`` as Scheduler's documented ``0/5`` (every fifth, from the field's first value)."""
    return ",".join(
        f"{first}/{part[2:]}" if part.startswith("*/") else part for part in spec.split(",")
    )


def _unix_days_of_week(spec: str, unix: str) -> str:
    days: set[int] = set()
    for part in spec.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1
        if step_text and step == 1 and step_text != "1":
            raise ValueError(f"{unix!r}: bad day-of-week step {part!r}")
        if base == "*":
            first, last = 0, 6
        else:
            low, dash, high = base.partition("-")
            first = _unix_day(low, unix)
            last = _unix_day(high, unix) if dash else (first if not step_text else 6)
            if dash and last == 0:
                last = 7
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(str(day + 1) for day in sorted(days))


def _unix_day(token: str, unix: str) -> int:
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token.upper() in _DAYS:
        return _DAYS.index(token.upper())
    raise ValueError(f"{unix!r}: {token!r} is not a day of the week (0-7 or SUN-SAT)")
