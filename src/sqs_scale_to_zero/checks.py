"""Checks that more than one part of the construct makes on its props.

Each raises :class:`~sqs_scale_to_zero.errors.ScaleToZeroValidationError` naming the prop and
the fix. The parts call them from their ``resolve_*`` functions, before any child construct is
made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Optional, TypeVar

from aws_cdk import Duration, Token

from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.flag_alarms import MAX_ALARM_WINDOW_MINUTES

T = TypeVar("T")


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


def reject_token_number(prop: str, value: float) -> None:
    """Raise if ``value`` is a number token (e.g. ``CfnParameter(...).value_as_number``).

    Raises:
        ScaleToZeroValidationError: ``value`` is only known at deploy time.
    """
    if Token.is_unresolved(value):
        raise ScaleToZeroValidationError(
            prop,
            "must be a concrete number, not a token (such as CfnParameter.value_as_number): the "
            "construct derives alarms, steps and sizes from it at synthesis; pass a literal",
        )


def optional_int(prop: str, value: object) -> Optional[int]:
    """``value`` if it is ``None`` or a concrete ``int`` (``bool`` is not).

    Raises:
        ScaleToZeroValidationError: Any other type, or a number token.
    """
    if value is None:
        return None
    if isinstance(value, float) and not isinstance(value, bool):
        reject_token_number(prop, value)
    require_int(prop, value)
    assert isinstance(value, int)
    return value


def optional_number(prop: str, value: object) -> Optional[float]:
    """``value`` if it is ``None`` or a finite, concrete ``int`` or ``float``.

    Raises:
        ScaleToZeroValidationError: Any other type, a token, NaN or an infinity.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScaleToZeroValidationError(
            prop, f"must be a number (got {type(value).__name__} {value!r}): pass e.g. 5"
        )
    reject_token_number(prop, float(value))
    if not math.isfinite(value):
        raise ScaleToZeroValidationError(prop, f"must be a finite number (got {value!r})")
    return float(value)


def optional_bool(prop: str, value: object) -> Optional[bool]:
    """``value`` if it is ``None``, ``True`` or ``False``.

    Raises:
        ScaleToZeroValidationError: Any other value, such as ``"yes"`` or ``1``.
    """
    if value is None or isinstance(value, bool):
        return value
    raise ScaleToZeroValidationError(
        prop, f"must be True or False (got {type(value).__name__} {value!r})"
    )


def optional_str(prop: str, value: object) -> Optional[str]:
    """``value`` if it is ``None`` or a string (a token string included).

    Raises:
        ScaleToZeroValidationError: Any other type.
    """
    if value is None or isinstance(value, str):
        return value
    raise ScaleToZeroValidationError(
        prop, f"must be a string (got {type(value).__name__} {value!r})"
    )


def optional_duration(prop: str, value: object) -> Optional[Duration]:
    """``value`` if it is ``None`` or a concrete ``Duration``.

    Raises:
        ScaleToZeroValidationError: A number or any other type (the fix names
            ``Duration``), or a ``Duration`` built from a token.
    """
    if value is None:
        return None
    if not isinstance(value, Duration):
        example = (
            f"Duration.seconds({value!r})"
            if isinstance(value, int | float) and not isinstance(value, bool)
            else "Duration.minutes(5)"
        )
        raise ScaleToZeroValidationError(
            prop,
            f"must be an aws_cdk.Duration (got {type(value).__name__} {value!r}): pass e.g. {example}",
        )
    if value.is_unresolved():
        raise ScaleToZeroValidationError(
            prop,
            "must be a concrete Duration, not a token (such as Duration.seconds(CfnParameter"
            "(...).value_as_number)): pass e.g. Duration.minutes(5)",
        )
    return value


def whole_seconds(prop: str, value: Duration) -> int:
    """``value`` in seconds, which must be a whole number.

    Raises:
        ScaleToZeroValidationError: ``value`` has a fraction of a second.
    """
    length = seconds(prop, value)
    if length % 1:
        raise ScaleToZeroValidationError(
            prop,
            f"must be whole seconds (got {length:g} s): CloudFormation takes seconds; "
            f"use e.g. Duration.seconds({math.ceil(length)})",
        )
    return int(length)


def optional_instance(prop: str, value: object, cls: type[T], hint: str) -> Optional[T]:
    """``value`` if it is ``None`` or an instance of ``cls``.

    Raises:
        ScaleToZeroValidationError: Any other type; the message shows ``hint``.
    """
    if value is None or isinstance(value, cls):
        return value
    raise ScaleToZeroValidationError(
        prop, f"must be a {cls.__name__} (got {type(value).__name__} {value!r}): pass e.g. {hint}"
    )


def optional_interface(prop: str, value: T, attributes: tuple[str, ...], hint: str) -> T:
    """``value`` if it is ``None`` or has ``attributes``, as a CDK interface (``IQueue``) does.

    jsii interfaces can't be checked with ``isinstance``, so the check is by the attributes
    every implementation has.

    Raises:
        ScaleToZeroValidationError: ``value`` lacks them (e.g. a URL string for a queue).
    """
    if value is None or all(hasattr(value, name) for name in attributes):
        return value
    raise ScaleToZeroValidationError(
        prop, f"must be a CDK construct reference (got {type(value).__name__} {value!r}): {hint}"
    )


def optional_sequence(prop: str, value: object, hint: str) -> Optional[list[Any]]:
    """``value`` as a list if it is ``None`` or a list or tuple (a string is not).

    Raises:
        ScaleToZeroValidationError: A string, a mapping or any other non-sequence.
    """
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return list(value)
    raise ScaleToZeroValidationError(
        prop, f"must be a list (got {type(value).__name__} {value!r}): pass e.g. {hint}"
    )


def optional_mapping(prop: str, value: object, hint: str) -> Optional[dict[Any, Any]]:
    """``value`` as a dict if it is ``None`` or a mapping.

    Raises:
        ScaleToZeroValidationError: A list or any other non-mapping.
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    raise ScaleToZeroValidationError(
        prop, f"must be a mapping (got {type(value).__name__} {value!r}): pass e.g. {hint}"
    )
