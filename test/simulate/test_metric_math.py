"""Metric math: the functions the construct's and the anchors' alarms use."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.metric_math import compile_expression

IDS = {"visible", "inflight", "cpu", "a", "b"}


def ev(expr: str, n: int = 3, **env: Sequence[float | None]) -> list[float | None]:
    return compile_expression(expr, IDS).evaluate({k: list(v) for k, v in env.items()}, n)


def test_arithmetic_precedence_and_unary_minus() -> None:
    assert ev("1 + 2 * 3 - 4 / 2", n=1) == [5.0]
    assert ev("-a ^ 2 + 1", n=2, a=[2.0, 3.0]) == [-3.0, -8.0]
    assert ev("(a + 1) * 2", n=2, a=[1.0, None]) == [4.0, None]


def test_missing_datapoint_propagates_through_arithmetic_and_comparison() -> None:
    assert ev("a + b", n=3, a=[1.0, None, 2.0], b=[1.0, 1.0, None]) == [2.0, None, None]
    assert ev("a == 0", n=2, a=[0.0, None]) == [1.0, None]


def test_comparisons_return_one_or_zero() -> None:
    a = [1.0, 5.0, 9.0]
    assert ev("a < 5", a=a) == [1.0, 0.0, 0.0]
    assert ev("a <= 5", a=a) == [1.0, 1.0, 0.0]
    assert ev("a > 5", a=a) == [0.0, 0.0, 1.0]
    assert ev("a >= 5", a=a) == [0.0, 1.0, 1.0]
    assert ev("a != 5", a=a) == [1.0, 0.0, 1.0]


def test_and_or_not_and_their_symbols() -> None:
    a, b = [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]
    assert ev("a AND b", a=a, b=b) == [0.0, 0.0, 1.0]
    assert ev("a && b", a=a, b=b) == [0.0, 0.0, 1.0]
    assert ev("a OR b", a=a, b=b) == [1.0, 1.0, 1.0]
    assert ev("a || b", a=a, b=b) == [1.0, 1.0, 1.0]
    assert ev("NOT a", a=a, b=b) == [1.0, 0.0, 0.0]


def test_if_with_and_without_false_value() -> None:
    assert ev("IF(a > 1, 10, 20)", a=[0.0, 2.0, None]) == [20.0, 10.0, None]
    assert ev("IF(a > 1, a)", a=[0.0, 2.0, 3.0]) == [None, 2.0, 3.0]


def test_fill_with_value_and_repeat() -> None:
    assert ev("FILL(a, 0)", a=[None, 2.0, None]) == [0.0, 2.0, 0.0]
    assert ev("FILL(a, REPEAT)", a=[None, 2.0, None]) == [2.0, 2.0, 2.0]


def test_the_construct_idle_expression() -> None:
    expr = "IF(FILL(visible, 0) + FILL(inflight, 0) == 0 AND FILL(cpu, 0) <= 5, 1, 0)"
    out = ev(
        expr,
        n=4,
        visible=[0.0, None, 1.0, None],
        inflight=[0.0, 0.0, 0.0, 1.0],
        cpu=[None, 3.0, 1.0, None],
    )
    assert out == [1.0, 1.0, 0.0, 0.0]
    # no data at all (an inactive queue and no task) reads as idle
    assert ev(expr, n=2, visible=[None, None], inflight=[None, None], cpu=[None, None]) == [
        1.0,
        1.0,
    ]


def test_array_and_reducing_functions() -> None:
    assert ev("MAX([a, b])", n=2, a=[1.0, None], b=[0.0, 2.0]) == [1.0, 2.0]
    assert ev("SUM([a, b])", n=2, a=[1.0, None], b=[0.0, 2.0]) == [1.0, 2.0]
    assert ev("AVG(a)", n=2, a=[1.0, 3.0]) == [2.0, 2.0]
    assert ev("ABS(a) + CEIL(b)", n=1, a=[-1.0], b=[0.2]) == [2.0]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("a +", "unexpected end"),
        ("nope + 1", "unknown id 'nope'"),
        ("ANOMALY_DETECTION_BAND(a)", "not supported"),
        ("a $ b", "cannot parse"),
    ],
)
def test_invalid_expressions_name_the_problem(expr: str, message: str) -> None:
    with pytest.raises(SimulationInputError, match=message):
        compile_expression(expr, IDS)


def test_references_are_reported() -> None:
    assert compile_expression("FILL(visible, 0) + cpu", IDS).references == {
        "visible",
        "cpu",
    }
