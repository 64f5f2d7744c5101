"""Schedule expressions and time zones as EventBridge Scheduler reads them; Unix cron converted."""

from __future__ import annotations

import pytest

from sqs_scale_to_zero.schedules.expressions import (
    schedule_expression_problem,
    scheduler_cron_from_unix,
    time_zone_problem,
)

ACCEPTED = [
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(12 hours)",
    "rate(1 day)",
    "cron(0 23 * * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0 9 ? * MON-FRI *)",
    "cron(0 9 L * ? *)",
    "cron(0 9 15W * ? *)",
    "cron(0 9 ? * 6#3 *)",
    "cron(0 9 ? * 6L *)",
    "cron(0 0 1 JAN,JUL ? 2027-2030)",
    "at(2027-01-01T00:00:00)",
]


@pytest.mark.parametrize("expression", ACCEPTED)
def test_documented_forms_are_accepted(expression: str) -> None:
    assert schedule_expression_problem(expression) is None


REFUSED = [
    ("rate(0 minutes)", "positive whole number"),
    ("rate(1 week)", "rate(VALUE UNIT)"),
    ("rate(1.5 hours)", "rate(VALUE UNIT)"),
    ("cron(0 23 * * *)", "has 5 fields"),
    ("cron(0 23 * * * *)", "exactly one of day-of-month and day-of-week"),
    ("cron(0 23 ? * ? *)", "exactly one of day-of-month and day-of-week"),
    ("cron(60 23 * * ? *)", "minutes '60'"),
    ("cron(0 24 * * ? *)", "hours '24'"),
    ("cron(0 1 32 * ? *)", "day-of-month '32'"),
    ("cron(0 1 * 13 ? *)", "month '13'"),
    ("cron(0 1 ? * 8 *)", "day-of-week '8'"),
    ("cron(0 1 ? * MON#6 *)", "day-of-week 'MON#6'"),
    ("cron(0 1 * * ? 1969)", "year '1969'"),
    ("cron(? 1 * * ? *)", "'?' is only for"),
    ("cron(0/0 1 * * ? *)", "increment"),
    ("at(2027-02-30T00:00:00)", "not a date and time"),
    ("0 23 * * *", "not a schedule expression"),
    (42, "must be a string"),
]


@pytest.mark.parametrize(("expression", "message"), REFUSED)
def test_what_scheduler_rejects_is_named(expression: object, message: str) -> None:
    problem = schedule_expression_problem(expression)
    assert problem is not None and message in problem, problem


def test_time_zones_are_iana_names() -> None:
    assert time_zone_problem("UTC") is None
    assert time_zone_problem("America/New_York") is None
    for bad in ("Mars/Olympus", "", "/etc/passwd", "../UTC", None):
        assert time_zone_problem(bad) is not None


CONVERTED = [
    ("0 */12 * * *", "cron(0 0/12 * * ? *)"),
    ("0 23 * * *", "cron(0 23 * * ? *)"),
    ("*/5 * * * 1-5", "cron(0/5 * ? * 2,3,4,5,6 *)"),
    ("0 9 * * 0", "cron(0 9 ? * 1 *)"),
    ("0 9 * * 7", "cron(0 9 ? * 1 *)"),
    ("0 9 * * 5-7", "cron(0 9 ? * 1,6,7 *)"),
    ("30 6 * * SUN,sat", "cron(30 6 ? * 1,7 *)"),
    ("0 0 1 * *", "cron(0 0 1 * ? *)"),
]


@pytest.mark.parametrize(("unix", "scheduler"), CONVERTED)
def test_unix_cron_becomes_a_scheduler_cron(unix: str, scheduler: str) -> None:
    assert scheduler_cron_from_unix(unix) == scheduler
    assert schedule_expression_problem(scheduler_cron_from_unix(unix)) is None


@pytest.mark.parametrize(
    ("unix", "message"),
    [
        ("0 23 * *", "five-field"),
        ("0 9 1 * MON", "split it into two tasks"),
        ("0 9 * * 8", "not a day of the week"),
    ],
)
def test_unix_cron_that_cannot_convert_says_why(unix: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scheduler_cron_from_unix(unix)
