"""Whether an SNS subscription's filter policy lets a message through.

Matching as the Amazon SNS Developer Guide describes it ("Amazon SNS subscription filter
policies", "Amazon SNS message filtering operators"): every key of the policy must match
(``$or`` takes any of its branches); a key matches when any value of its list matches the
message's value (any element of an array value); a missing key matches only
``{"exists": false}``. Values: exact strings and numbers, ``prefix``, ``suffix``,
``equals-ignore-case``, ``anything-but``, ``numeric`` and ``exists``; ``cidr`` is not modelled.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationInputError

_MISSING = object()
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def policy_matches(policy: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
    """Whether ``message`` (attributes, or the body for the ``MessageBody`` scope) matches."""
    for key, condition in policy.items():
        if key == "$or":
            if not any(policy_matches(branch, message) for branch in condition):
                return False
            continue
        value = message.get(key, _MISSING)
        if isinstance(condition, Mapping):
            if not isinstance(value, Mapping) or not policy_matches(condition, value):
                return False
        elif not _key_matches(condition, value):
            return False
    return True


def _key_matches(conditions: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(_one(condition, v) for condition in conditions for v in values)


def _one(condition: Any, value: Any) -> bool:
    if not isinstance(condition, Mapping):
        return value is not _MISSING and _equal(condition, value)
    ((name, operand),) = condition.items()
    if name == "exists":
        return (value is not _MISSING) == bool(operand)
    if value is _MISSING:
        return False
    if name == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    if name == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(operand).lower()
    if name == "anything-but":
        if isinstance(operand, Mapping):
            return not _one(operand, value)
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_equal(e, value) for e in excluded)
    if name == "numeric":
        number = _number(value)
        return number is not None and all(
            _COMPARE[operand[i]](number, float(operand[i + 1])) for i in range(0, len(operand), 2)
        )
    raise SimulationInputError(f"the filter operator {name!r} is not modelled")


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or expected is None:
        return bool(value is expected)
    if isinstance(expected, int | float):
        number = _number(value)
        return number is not None and number == float(expected)
    return bool(expected == value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
