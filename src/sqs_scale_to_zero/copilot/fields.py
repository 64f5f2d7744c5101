"""Reading a manifest's values: known keys only, durations, whole numbers, strings."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from sqs_scale_to_zero.copilot.plan import ManifestError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
}


def mapping(value: object, where: str) -> Mapping[str, Any]:
    """``value`` as a mapping with string keys.

    Raises:
        ManifestError: It is not one.
    """
    if not isinstance(value, Mapping):
        raise ManifestError(f"{where}: must be a map (got {type(value).__name__} {value!r})")
    for key in value:
        if not isinstance(key, str):
            raise ManifestError(f"{where}: keys must be strings (got {key!r})")
    return value


def only(value: Mapping[str, Any], where: str, known: Iterable[str]) -> None:
    """Raise for the first key of ``value`` not in ``known``.

    Raises:
        ManifestError: Names the unknown field and the fields allowed there.
    """
    allowed = tuple(known)
    for key in value:
        if key not in allowed:
            place = f"{where}.{key}" if where else key
            raise ManifestError(
                f"{place}: unknown field for a Worker Service manifest; "
                f"allowed here: {', '.join(allowed)}"
            )


def string(value: object, where: str) -> str:
    """``value`` as a non-empty string.

    Raises:
        ManifestError: It is not one.
    """
    if not isinstance(value, str) or not value:
        raise ManifestError(f"{where}: must be a non-empty string (got {value!r})")
    return value


def whole(value: object, where: str, low: int, high: Optional[int] = None) -> int:
    """``value`` as a whole number from ``low`` to ``high``.

    Raises:
        ManifestError: It is not one, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ManifestError(f"{where}: must be a whole number (got {value!r})")
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ManifestError(f"{where}: must be {bound} (got {value})")
    return value


def boolean(value: object, where: str) -> bool:
    """``value`` as true or false.

    Raises:
        ManifestError: It is neither.
    """
    if not isinstance(value, bool):
        raise ManifestError(f"{where}: must be true or false (got {value!r})")
    return value


def duration_seconds(value: object, where: str) -> float:
    """A Copilot duration (``"96h"``, ``"250ms"``, ``"1h30m"``, ``"5d"``) in seconds.

    Raises:
        ManifestError: It is not a duration.
    """
    text = value if isinstance(value, str) else ""
    parts = _DURATION_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ManifestError(
            f'{where}: {value!r} is not a duration: write e.g. "30s", "250ms", "10m", "96h" or "5d"'
        )
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def whole_seconds(value: object, where: str, low: float, high: float) -> int:
    """A duration in whole seconds from ``low`` to ``high``.

    Raises:
        ManifestError: It is not a duration, has a fraction of a second, or is out of range.
    """
    seconds = duration_seconds(value, where)
    if seconds != math.floor(seconds):
        raise ManifestError(f"{where}: must be whole seconds (got {value!r})")
    if not low <= seconds <= high:
        raise ManifestError(f"{where}: must be from {_text(low)} to {_text(high)} (got {value!r})")
    return int(seconds)


def _text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
