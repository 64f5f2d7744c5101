"""Metric math: the functions the construct's and the anchors' alarms use."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.metric_math import compile_expression

IDS = {"visible", "inflight", "in_flight", "sent", "received", "deleted", "cpu", "a", "b", "c"}
_: None = None  # a missing datapoint, as "-" in the CloudWatch User Guide's tables


def ev(expr: str, n: int = 3, **env: Sequence[float | None]) -> list[float | None]:
    return compile_expression(expr, IDS).evaluate({k: list(v) for k, v in env.items()}, n)


def test_arithmetic_precedence_and_unary_minus() -> None:
    assert ev("1 + 2 * 3 - 4 / 2", n=1) == [5.0]
    assert ev("-a ^ 2 + 1", n=2, a=[2.0, 3.0]) == [-3.0, -8.0]
    assert ev("(a + 1) * 2", n=2, a=[1.0, None]) == [4.0, None]


def test_a_series_missing_where_the_other_has_a_value_counts_as_zero() -> None:
    """CloudWatch User Guide, "Basic arithmetic functions": missing values are treated as 0."""
    assert ev("a + b", n=4, a=[1.0, _, 2.0, _], b=[1.0, 1.0, _, _]) == [2.0, 1.0, 2.0, _]
    assert ev("a - b", n=2, a=[_, 5.0], b=[3.0, _]) == [-3.0, 5.0]


def test_a_series_against_a_scalar_keeps_its_missing_datapoints() -> None:
    assert ev("a == 0", n=2, a=[0.0, _]) == [1.0, _]
    assert ev("a + 1", n=2, a=[_, 1.0]) == [_, 2.0]


def test_division_by_zero_drops_the_datapoint() -> None:
    assert ev("a / b", n=3, a=[1.0, 1.0, _], b=[2.0, 0.0, 0.0]) == [0.5, _, _]


def test_the_user_guides_comparison_and_logical_examples() -> None:
    """ "Comparison and logical operators": metric1 [30, 20, 0, 0], metric2 [20, -, 20, -]."""
    a, b = [30.0, 20.0, 0.0, 0.0], [20.0, _, 20.0, _]
    assert ev("a < b", n=4, a=a, b=b) == [0.0, 0.0, 1.0, 0.0]
    assert ev("a >= 30", n=4, a=a, b=b) == [1.0, 0.0, 0.0, 0.0]
    assert ev("a > 15 AND b > 15", n=4, a=a, b=b) == [1.0, 0.0, 0.0, 0.0]


def test_the_user_guides_if_examples() -> None:
    """ "Using IF expressions": metric1 [1, 1, 0, 0, -], metric2 [30, -, 0, 0, 30],
    metric3 [0, 0, 20, -, 20]."""
    env: dict[str, Sequence[float | None]] = {
        "a": [1.0, 1.0, 0.0, 0.0, _],
        "b": [30.0, _, 0.0, 0.0, 30.0],
        "c": [0, 0, 20, _, 20],
    }
    assert ev("IF(a, b, c)", n=5, **env) == [30.0, 0.0, 20.0, _, _]
    assert ev("IF(a, 5, c)", n=5, **env) == [5.0, 5.0, 20.0, _, _]
    assert ev("IF(a, b, 5)", n=5, **env) == [30.0, 0.0, 5.0, 5.0, _]
    assert ev("IF(a, b)", n=5, **env) == [30.0, 0.0, _, _, _]


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


IDLE = "IF(((visible + in_flight + sent + received + deleted) == 0) AND (FILL(cpu, 0) <= 5), 1, 0)"
"""The idle expression on activity sums and gauges (the idle alarm's), without FILL on SQS's inputs."""

IDLE_FILLED = (
    "IF(((FILL(visible, 0) + FILL(in_flight, 0) + FILL(sent, 0) + FILL(received, 0)"
    " + FILL(deleted, 0)) == 0) AND (FILL(cpu, 0) <= 5), 1, 0)"
)


def sqs(**inputs: float | None) -> dict[str, list[float | None]]:
    """One minute of the idle expression's inputs; unnamed ones are 0."""
    names = ("visible", "in_flight", "sent", "received", "deleted", "cpu")
    return {k: [inputs.get(k, 0.0)] for k in names}


@pytest.mark.parametrize("expr", [IDLE, IDLE_FILLED])
@pytest.mark.parametrize("busy", ["sent", "received", "deleted", "visible", "in_flight"])
def test_a_minute_with_any_activity_is_busy(expr: str, busy: str) -> None:
    assert ev(expr, n=1, **sqs(**{busy: 1.0})) == [0.0]
    assert ev(expr, n=1, **sqs()) == [1.0]


def test_all_sqs_inputs_missing_reads_busy_without_fill_and_idle_with_it() -> None:
    """An inactive queue publishes nothing: the sum has no value, ``== 0`` has none, and AND with
    the filled CPU term (which has one) treats it as 0, so the minute is *not* idle unless the
    SQS inputs are filled."""
    missing = sqs(visible=_, in_flight=_, sent=_, received=_, deleted=_, cpu=_)
    assert ev(IDLE, n=1, **missing) == [0.0]
    assert ev(IDLE_FILLED, n=1, **missing) == [1.0]


def test_some_sqs_inputs_missing_count_as_zero_beside_the_others() -> None:
    """A late or absent sum beside present gauges is 0 in the sum: such a minute can read idle."""
    assert ev(IDLE, n=1, **sqs(sent=_, received=_, deleted=_)) == [1.0]
    assert ev(IDLE, n=1, **sqs(sent=_, received=_, deleted=_, visible=1.0)) == [0.0]


def test_array_and_reducing_functions() -> None:
    assert ev("MAX([a, b])", n=2, a=[1.0, None], b=[0.0, 2.0]) == [1.0, 2.0]
    assert ev("SUM([a, b])", n=2, a=[1.0, None], b=[0.0, 2.0]) == [1.0, 2.0]
    assert ev("AVG([a, b])", n=3, a=[1.0, None, None], b=[3.0, 2.0, None]) == [2.0, 1.0, None]
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


GUARDED = f"IF((sent + received + deleted) >= 0, {IDLE})"
"""The idle expression, missing wherever all three activity sums are (they share a delay)."""


def test_a_guard_on_the_sums_turns_late_or_absent_sums_into_a_hole() -> None:
    """Arithmetic treats a missing operand as 0 only beside a present one: ``sent + received +
    deleted`` has no value when all three are missing, and ``IF`` without a false value drops
    the datapoint there, so late sums beside present gauges, or an inactive queue, give a hole."""
    assert ev(GUARDED, n=1, **sqs(sent=_, received=_, deleted=_)) == [_]
    missing = sqs(visible=_, in_flight=_, sent=_, received=_, deleted=_, cpu=_)
    assert ev(GUARDED, n=1, **missing) == [_]
    assert ev(GUARDED, n=1, **sqs()) == [1.0]
    assert ev(GUARDED, n=1, **sqs(received=1.0)) == [0.0]
