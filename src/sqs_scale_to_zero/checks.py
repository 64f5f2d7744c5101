"""Checks that more than one part of the construct makes on its props.

Each raises :class:`~sqs_scale_to_zero.errors.ScaleToZeroValidationError` naming the prop and
the fix. The parts call them from their ``resolve_*`` functions, before any child construct is
made.
"""

from __future__ import annotations

from aws_cdk import Duration

from sqs_scale_to_zero.alarms import MAX_ALARM_WINDOW_MINUTES
from sqs_scale_to_zero.errors import ScaleToZeroValidationError


def seconds(prop: str, value: Duration) -> float:
    """``value`` in seconds, fractions kept.

    Raises:
        ScaleToZeroValidationError: ``value`` is a token, which has no concrete length.
    """
    try:
        return value.to_seconds(integral=False)
    except RuntimeError as error:  # jsii: a Duration built from a token can't be converted
        raise ScaleToZeroValidationError(
            prop, "must be a concrete Duration, not a token: pass e.g. Duration.minutes(5)"
        ) from error


def whole_minutes(prop: str, value: Duration) -> int:
    """``value`` in minutes, which must be whole and fit a one-minute alarm's one-day window.

    Raises:
        ScaleToZeroValidationError: ``value`` is not whole minutes from 1 minute to 24 hours.
    """
    length = seconds(prop, value)
    if length < 60 or length % 60:
        raise ScaleToZeroValidationError(
            prop,
            f"must be a whole number of minutes, at least 1 (got {length:g} s): the alarm "
            "evaluates one-minute periods; use e.g. Duration.minutes(5)",
        )
    minutes = int(length // 60)
    if minutes > MAX_ALARM_WINDOW_MINUTES:
        raise ScaleToZeroValidationError(
            prop,
            f"must be at most 24 hours, CloudWatch's window for one-minute alarms "
            f"(got {minutes} minutes)",
        )
    return minutes


def require_int(prop: str, value: object) -> None:
    """Raise unless ``value`` is an ``int`` (``bool`` is not).

    Raises:
        ScaleToZeroValidationError: ``value`` is not a whole number.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScaleToZeroValidationError(
            prop, f"must be a whole number (got {value!r}): pass an int"
        )
