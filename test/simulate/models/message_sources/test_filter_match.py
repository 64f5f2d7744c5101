"""SNS filter policies let a message through as SNS documents."""

from __future__ import annotations

import pytest

from sqs_scale_to_zero.simulate.models.message_sources.filter_match import policy_matches


@pytest.mark.parametrize(
    ("policy", "attributes", "delivered"),
    [
        ({"event": ["a", "b"]}, {"event": "b"}, True),
        ({"event": ["a"]}, {"event": "c"}, False),
        ({"event": ["a"]}, {}, False),
        ({"event": [{"exists": False}]}, {}, True),
        ({"event": [{"anything-but": ["a"]}]}, {"event": "b"}, True),
        ({"event": [{"prefix": "order_"}]}, {"event": "order_paid"}, True),
        ({"price": [{"numeric": [">", 0, "<=", 100]}]}, {"price": 100}, True),
        ({"price": [{"numeric": [">", 0, "<=", 100]}]}, {"price": 101}, False),
        ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": "2"}, True),
        ({"tags": ["x"]}, {"tags": ["y", "x"]}, True),
        ({"order": {"kind": ["gift"]}}, {"order": {"kind": "gift"}}, True),
    ],
)
def test_filter_policies_match_as_sns_documents(
    policy: dict[str, object], attributes: dict[str, object], delivered: bool
) -> None:
    assert policy_matches(policy, attributes) is delivered
