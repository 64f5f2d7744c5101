"""Checks a filter policy the way SNS would before it accepts a subscription.

Pure Python (no aws_cdk): the construct and ``sqs-scale-to-zero from-copilot`` both use it.

The rules come from the Amazon SNS Developer Guide: "Amazon SNS subscription filter policies",
"Filter policy constraints in Amazon SNS"
(https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html) and
"Amazon SNS message filtering operators": a policy is a JSON object of at most five keys whose
leaves are non-empty arrays of strings, numbers, ``true``/``false``/``null`` or operator objects
(``prefix``, ``suffix``, ``anything-but``, ``numeric``, ``exists``, ``equals-ignore-case``,
``cidr``); ``$or`` takes a list of such objects; nesting is allowed only with the
``MessageBody`` scope; the product of the arrays' lengths is at most 150; numbers lie within
±10^9; the JSON is at most 256 KB.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Mapping, Sequence
from typing import Optional

MESSAGE_ATTRIBUTES = "MessageAttributes"
"""The default filter-policy scope: the policy matches the message's attributes."""

MESSAGE_BODY = "MessageBody"
"""The filter-policy scope that matches the (JSON) message body; nested policies allowed."""

FILTER_POLICY_SCOPES = (MESSAGE_ATTRIBUTES, MESSAGE_BODY)

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_BYTES = 256 * 1024
MAX_NUMBER = 1e9
_NUMERIC_OPERATORS = ("=", "<", "<=", ">", ">=")


class FilterPolicyError(ValueError):
    """A filter policy SNS would refuse; the message names the place in the policy."""


def filter_policy_problem(policy: object, scope: str = MESSAGE_ATTRIBUTES) -> Optional[str]:
    """Why SNS would refuse ``policy`` with ``scope``, or ``None`` if it is valid."""
    try:
        check_filter_policy(policy, scope)
    except FilterPolicyError as error:
        return str(error)
    return None


def check_filter_policy(policy: object, scope: str = MESSAGE_ATTRIBUTES) -> None:
    """Raise :class:`FilterPolicyError` unless ``policy`` is a valid SNS filter policy.

    Raises:
        FilterPolicyError: The first rule the policy breaks, with its place and the fix.
    """
    if scope not in FILTER_POLICY_SCOPES:
        raise FilterPolicyError(
            f"the scope must be {MESSAGE_ATTRIBUTES!r} or {MESSAGE_BODY!r} (got {scope!r})"
        )
    if not isinstance(policy, Mapping) or not policy:
        raise FilterPolicyError(
            "must be a non-empty JSON object of attribute names to lists of values, "
            'e.g. {"event": ["order_placed"]}'
        )
    try:
        size = len(json.dumps(policy).encode())
    except (TypeError, ValueError) as error:
        raise FilterPolicyError(f"is not JSON: {error}") from None
    if size > MAX_BYTES:
        raise FilterPolicyError(f"is {size} bytes of JSON; SNS takes at most 256 KB")
    keys: list[str] = []
    combinations = _check_object(policy, "", scope, keys)
    if len(set(keys)) > MAX_KEYS:
        raise FilterPolicyError(
            f"has {len(set(keys))} keys ({', '.join(sorted(set(keys)))}); SNS allows at most "
            f"{MAX_KEYS}: split the subscription or filter in the worker"
        )
    if combinations > MAX_COMBINATIONS:
        raise FilterPolicyError(
            f"has {combinations} combinations of values (the product of the lists' lengths); "
            f"SNS allows at most {MAX_COMBINATIONS}: use fewer values or a prefix"
        )


def _check_object(policy: Mapping[object, object], path: str, scope: str, keys: list[str]) -> int:
    """Check one object level; return its combinations (product over keys, sum over ``$or``)."""
    combinations = 1
    for key, value in policy.items():
        where = f"{path}.{key}" if path else str(key)
        if not isinstance(key, str) or not key:
            raise FilterPolicyError(f"{where}: keys must be non-empty strings")
        if key == "$or":
            combinations *= _check_or(value, where, scope, keys)
            continue
        keys.append(key)
        if isinstance(value, Mapping):
            if scope != MESSAGE_BODY:
                raise FilterPolicyError(
                    f"{where}: a nested object needs filter_policy_scope={MESSAGE_BODY!r}; "
                    "attribute policies are flat (key -> list of values)"
                )
            if not value:
                raise FilterPolicyError(f"{where}: a nested object must not be empty")
            combinations *= _check_object(value, where, scope, keys)
            continue
        combinations *= _check_values(value, where)
    return combinations


def _check_or(value: object, where: str, scope: str, keys: list[str]) -> int:
    if not isinstance(value, list) or len(value) < 2:
        raise FilterPolicyError(f"{where}: '$or' takes a list of at least two policy objects")
    total = 0
    for index, branch in enumerate(value):
        if not isinstance(branch, Mapping) or not branch:
            raise FilterPolicyError(f"{where}[{index}]: each '$or' branch is a non-empty object")
        total += _check_object(branch, f"{where}[{index}]", scope, keys)
    return total


def _check_values(value: object, where: str) -> int:
    if not isinstance(value, list) or not value:
        raise FilterPolicyError(
            f'{where}: must be a non-empty list of values (got {value!r}), e.g. ["a", "b"]'
        )
    for item in value:
        if isinstance(item, Mapping):
            _check_operator(item, where)
        elif item is not None and not isinstance(item, str | bool):
            _check_number(item, where)
    return len(value)


def _check_number(item: object, where: str) -> None:
    if isinstance(item, bool) or not isinstance(item, int | float):
        raise FilterPolicyError(
            f"{where}: {item!r} is not a string, number, true, false, null or operator"
        )
    if not math.isfinite(item) or abs(item) > MAX_NUMBER:
        raise FilterPolicyError(f"{where}: numbers must lie within ±1e9 (got {item!r})")


def _check_operator(item: Mapping[object, object], where: str) -> None:
    if len(item) != 1:
        raise FilterPolicyError(
            f'{where}: an operator object has exactly one key, e.g. {{"prefix": "a"}} '
            f"(got {dict(item)!r})"
        )
    ((name, operand),) = item.items()
    if name in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(operand, str) or not operand:
            raise FilterPolicyError(f"{where}: {name!r} takes a non-empty string")
    elif name == "exists":
        if not isinstance(operand, bool):
            raise FilterPolicyError(f"{where}: 'exists' takes true or false")
    elif name == "anything-but":
        _check_anything_but(operand, where)
    elif name == "numeric":
        _check_numeric(operand, where)
    elif name == "cidr":
        try:
            ipaddress.ip_network(str(operand), strict=False)
        except ValueError:
            raise FilterPolicyError(
                f"{where}: 'cidr' takes an IP prefix such as \"10.0.0.0/24\""
            ) from None
    else:
        raise FilterPolicyError(
            f"{where}: unknown operator {name!r}; SNS knows prefix, suffix, anything-but, "
            "numeric, exists, equals-ignore-case and cidr"
        )


def _check_anything_but(operand: object, where: str) -> None:
    if isinstance(operand, Mapping):
        if len(operand) != 1 or next(iter(operand)) not in ("prefix", "suffix"):
            raise FilterPolicyError(
                f"{where}: 'anything-but' takes a value, a list of values, or "
                '{"prefix": ...} / {"suffix": ...}'
            )
        _check_operator(operand, where)
        return
    values = operand if isinstance(operand, list) else [operand]
    if not values:
        raise FilterPolicyError(f"{where}: 'anything-but' takes a non-empty list")
    for value in values:
        if isinstance(value, Mapping | list) or value is None:
            raise FilterPolicyError(f"{where}: 'anything-but' values are strings or numbers")
        if not isinstance(value, str):
            _check_number(value, where)


def _check_numeric(operand: object, where: str) -> None:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise FilterPolicyError(
            f'{where}: \'numeric\' takes [op, number] or a range [">", 0, "<=", 5]'
        )
    pairs: Sequence[object] = operand
    for index in range(0, len(pairs), 2):
        op, number = pairs[index], pairs[index + 1]
        if op not in _NUMERIC_OPERATORS:
            raise FilterPolicyError(
                f"{where}: 'numeric' operator {op!r} is not one of {', '.join(_NUMERIC_OPERATORS)}"
            )
        _check_number(number, where)
    if len(pairs) == 4:
        low_op, low, high_op, high = pairs
        if low_op not in (">", ">=") or high_op not in ("<", "<="):
            raise FilterPolicyError(
                f"{where}: a 'numeric' range is a lower bound (> or >=) then an upper (< or <=)"
            )
        assert isinstance(low, int | float) and isinstance(high, int | float)
        if low >= high:
            raise FilterPolicyError(
                f"{where}: a 'numeric' range's lower bound must be below the upper"
            )
