"""The SNS filter-policy check: what SNS accepts passes, each broken rule is named."""

from __future__ import annotations

from typing import Any

import pytest

from sqs_scale_to_zero.topics.filter_policy import filter_policy_problem

VALID = [
    {"store": ["example_corp"], "event": [{"anything-but": "order_cancelled"}]},
    {"customer_interests": ["rugby", "football", "baseball"]},
    {"price_usd": [{"numeric": [">=", 100]}], "encrypted": [False], "note": [None]},
    {"price_usd": [{"numeric": [">", 0, "<=", 150]}]},
    {"source": [{"prefix": "order-"}], "file": [{"suffix": ".png"}]},
    {"name": [{"equals-ignore-case": "ALICE"}], "ip": [{"cidr": "10.0.0.0/24"}]},
    {"store": [{"exists": False}], "kind": [{"anything-but": {"prefix": "test-"}}]},
    {"event": [{"anything-but": ["a", "b", 3]}]},
    {"$or": [{"a": ["1"]}, {"b": ["2"]}]},
]


@pytest.mark.parametrize("policy", VALID)
def test_documented_attribute_policies_pass(policy: dict[str, Any]) -> None:
    assert filter_policy_problem(policy) is None


def test_nested_body_policy_passes_with_the_body_scope() -> None:
    policy = {"order": {"status": ["paid"], "total": [{"numeric": [">", 10]}]}}
    assert filter_policy_problem(policy, "MessageBody") is None


INVALID = [
    ([], "non-empty JSON object"),
    ({}, "non-empty JSON object"),
    ({"event": "order_placed"}, "event: must be a non-empty list"),
    ({"event": []}, "event: must be a non-empty list"),
    ({"a": {"b": ["c"]}}, "needs filter_policy_scope='MessageBody'"),
    ({"event": [{"regex": "a.*"}]}, "unknown operator 'regex'"),
    ({"event": [{"prefix": "a", "suffix": "b"}]}, "exactly one key"),
    ({"event": [{"prefix": ""}]}, "'prefix' takes a non-empty string"),
    ({"event": [{"exists": "yes"}]}, "'exists' takes true or false"),
    ({"price": [{"numeric": ["~", 1]}]}, "operator '~'"),
    ({"price": [{"numeric": ["<", 5, ">", 1]}]}, "lower bound"),
    ({"price": [{"numeric": [">", 5, "<", 1]}]}, "below the upper"),
    ({"price": [2e9]}, "within ±1e9"),
    ({"ip": [{"cidr": "nope"}]}, "'cidr' takes an IP prefix"),
    ({"event": [{"anything-but": []}]}, "non-empty list"),
    ({"event": [["nested"]]}, "is not a string, number"),
    ({"$or": [{"a": ["1"]}]}, "'$or' takes a list of at least two"),
    ({k: ["x"] for k in "abcdef"}, "has 6 keys"),
    ({"a": list(range(10)), "b": list(range(10)), "c": list(range(2))}, "200 combinations"),
    ({"a": ["x" * (300 * 1024)]}, "256 KB"),
]


@pytest.mark.parametrize(("policy", "message"), INVALID)
def test_each_broken_rule_is_named(policy: Any, message: str) -> None:
    problem = filter_policy_problem(policy)
    assert problem is not None and message in problem, problem


def test_unknown_scope_is_named() -> None:
    assert "the scope must be" in (filter_policy_problem({"a": ["b"]}, "Body") or "")
