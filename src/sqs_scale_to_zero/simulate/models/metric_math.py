"""A parser and evaluator for the subset of CloudWatch metric math that scaling alarms use.

Supported (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
"Metric math syntax and functions"):

* arithmetic ``+ - * / ^`` and unary minus;
* comparisons ``== != < <= > >=`` (1 for true, 0 for false);
* logical ``AND`` / ``&&``, ``OR`` / ``||``, ``NOT``;
* ``IF(condition, trueValue[, falseValue])`` — without ``falseValue`` a false condition gives
  no datapoint;
* ``FILL(series, value | REPEAT)`` — fills missing datapoints with a value (or series), or
  with ``REPEAT``: the last present value carried forward, the first one carried back to the
  start of the window. ``FILL(series, LINEAR)`` is accepted but evaluated as ``REPEAT``: the
  simulator does not interpolate;
* ``ABS``, ``CEIL``, ``FLOOR``; ``MAX``/``MIN``/``SUM``/``AVG`` of an array ``[a, b]`` per
  timestamp, or of one series (a scalar over the window).

A *series* is a list of optional floats, one per period of the alarm's evaluation window; a
missing datapoint is ``None``. Missing datapoints follow the CloudWatch User Guide, "Metric
math syntax and functions" (same page):

* Arithmetic (``+ - * / ^``) and comparisons between two series: a timestamp where only one
  operand has a value treats the other as 0 ("Missing values in a time series are treated as
  0"; "the function treats the missing value in the other time series as 0"); a timestamp where
  neither has a value has none. Logical ``AND``/``OR`` follow the comparisons (the guide's
  example ``(metric1 > 15 AND metric2 > 15)``). Between a series and a scalar, a missing
  datapoint stays missing. A division by zero drops the datapoint.
* ``IF(condition, trueValue, falseValue)`` with a series condition (section "Using IF
  expressions"): no value where the condition has none; where it is true, ``trueValue``, or 0
  when ``trueValue`` is a series without a value there; where it is false, ``falseValue``, or
  no value when ``falseValue`` is omitted or a series without a value there.
* ``AVG`` of an array treats missing values as 0 where any series has a value; ``MAX``, ``MIN``
  and ``SUM`` of an array use the values present.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqs_scale_to_zero.simulate.errors import SimulationInputError

Value = float | list[float | None]
Series = list[float | None]
Compiled = Callable[[dict[str, Series], int], Value]

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/^<>(),\[\]]))"
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokenize(expression: str) -> list[_Tok]:
    pos, out = 0, []
    expression = expression.rstrip()
    while pos < len(expression):
        m = _TOKEN_RE.match(expression, pos)
        if m is None or m.end() == pos:
            raise SimulationInputError(
                f"metric math: cannot parse {expression!r} at position {pos}"
            )
        pos = m.end()
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind)))
    return out


def _series(v: Value, n: int) -> Series:
    return v if isinstance(v, list) else [v] * n


def _binary(
    fn: Callable[[float, float], float | None],
) -> Callable[[Value, Value, int], Value]:
    def apply(a: Value, b: Value, n: int) -> Value:
        if not isinstance(a, list) and not isinstance(b, list):
            out = fn(a, b)
            return math.nan if out is None else out
        if isinstance(a, list) and isinstance(b, list):
            # two series: a value on one side only meets a 0 on the other
            return [
                None if x is None and y is None else fn(x or 0.0, y or 0.0)
                for x, y in zip(a, b, strict=True)
            ]
        sa, sb = _series(a, n), _series(b, n)
        return [None if x is None or y is None else fn(x, y) for x, y in zip(sa, sb, strict=True)]

    return apply


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


_BINARY: dict[str, Callable[[Value, Value, int], Value]] = {
    "+": _binary(lambda a, b: a + b),
    "-": _binary(lambda a, b: a - b),
    "*": _binary(lambda a, b: a * b),
    "/": _binary(_div),
    "^": _binary(lambda a, b: a**b),
    "==": _binary(lambda a, b: float(a == b)),
    "!=": _binary(lambda a, b: float(a != b)),
    "<": _binary(lambda a, b: float(a < b)),
    "<=": _binary(lambda a, b: float(a <= b)),
    ">": _binary(lambda a, b: float(a > b)),
    ">=": _binary(lambda a, b: float(a >= b)),
    "AND": _binary(lambda a, b: float(bool(a) and bool(b))),
    "OR": _binary(lambda a, b: float(bool(a) or bool(b))),
}
_ALIASES = {"&&": "AND", "||": "OR"}


def _fill(series: Value, how: Value | str, n: int) -> Value:
    if not isinstance(series, list):
        return series
    out: Series = list(series)
    if how == "REPEAT" or how == "LINEAR":
        last: float | None = None
        for i, v in enumerate(out):
            if v is None:
                out[i] = last
            else:
                last = v
        first = next((v for v in out if v is not None), None)
        return [first if v is None else v for v in out]
    fill = _series(how if not isinstance(how, str) else 0.0, n)
    return [f if v is None else v for v, f in zip(out, fill, strict=True)]


def _if(cond: Value, a: Value, b: Value | None, n: int) -> Value:
    if not isinstance(cond, list):
        if cond:
            return a
        return b if b is not None else [None] * n
    out: Series = []
    for i, c in enumerate(cond):
        if c is None:
            out.append(None)
        elif c:
            x = a[i] if isinstance(a, list) else a
            out.append(0.0 if x is None else x)
        else:
            y = b[i] if isinstance(b, list) else b
            out.append(y)
    return out


def _avg(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


_REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "MAX": max,
    "MIN": min,
    "SUM": math.fsum,
    "AVG": _avg,
}
_ROUNDERS: dict[str, Callable[[float], float]] = {
    "ABS": abs,
    "CEIL": math.ceil,
    "FLOOR": math.floor,
}


def _reduce(name: str, args: list[Value], n: int) -> Value:
    agg = _REDUCERS[name]
    if len(args) == 1 and isinstance(args[0], list):
        present = [v for v in args[0] if v is not None]
        return agg(present) if present else [None] * n
    columns = zip(*(_series(a, n) for a in args), strict=True)
    out: Series = []
    for col in columns:
        present = [v for v in col if v is not None]
        if name == "AVG" and present:
            present = [0.0 if v is None else v for v in col]
        out.append(agg(present) if present else None)
    return out


def _unary(fn: Callable[[float], float], v: Value) -> Value:
    if isinstance(v, list):
        return [None if x is None else fn(x) for x in v]
    return fn(v)


def _combine(left: Compiled, right: Compiled, op: Callable[[Value, Value, int], Value]) -> Compiled:
    return lambda env, n: op(left(env, n), right(env, n), n)


class _Parser:
    def __init__(self, expression: str, known_ids: set[str]) -> None:
        self.expression = expression
        self.toks = _tokenize(expression)
        self.i = 0
        self.known = known_ids
        self.references: set[str] = set()

    def fail(self, msg: str) -> SimulationInputError:
        return SimulationInputError(f"metric math {self.expression!r}: {msg}")

    def peek(self) -> str | None:
        if self.i >= len(self.toks):
            return None
        t = self.toks[self.i]
        return t.text.upper() if t.kind == "name" else t.text

    def take(self, expected: str | None = None) -> _Tok:
        if self.i >= len(self.toks):
            raise self.fail("unexpected end")
        t = self.toks[self.i]
        if expected is not None and (t.text.upper() if t.kind == "name" else t.text) != expected:
            raise self.fail(f"expected {expected!r}, got {t.text!r}")
        self.i += 1
        return t

    def parse(self) -> Compiled:
        node = self.or_()
        if self.i != len(self.toks):
            raise self.fail(f"unexpected {self.toks[self.i].text!r}")
        return node

    def _chain(self, sub: Callable[[], Compiled], ops: set[str]) -> Compiled:
        left = sub()
        while (p := self.peek()) in ops:
            self.take()
            op = _BINARY[_ALIASES.get(p or "", p or "")]
            right = sub()
            left = _combine(left, right, op)
        return left

    def or_(self) -> Compiled:
        return self._chain(self.and_, {"OR", "||"})

    def and_(self) -> Compiled:
        return self._chain(self.not_, {"AND", "&&"})

    def not_(self) -> Compiled:
        if self.peek() == "NOT":
            self.take()
            inner = self.not_()
            return lambda env, n: _unary(lambda x: float(not x), inner(env, n))
        return self.cmp()

    def cmp(self) -> Compiled:
        return self._chain(self.add, {"==", "!=", "<", "<=", ">", ">="})

    def add(self) -> Compiled:
        return self._chain(self.mul, {"+", "-"})

    def mul(self) -> Compiled:
        return self._chain(self.unary, {"*", "/"})

    def pow(self) -> Compiled:
        return self._chain(self.primary, {"^"})

    def unary(self) -> Compiled:
        if self.peek() == "-":
            self.take()
            inner = self.unary()
            return lambda env, n: _unary(lambda x: -x, inner(env, n))
        return self.pow()

    def args(self) -> list[Compiled | str]:
        self.take("(")
        out: list[Compiled | str] = []
        while self.peek() != ")":
            if self.peek() in ("REPEAT", "LINEAR"):
                out.append(self.take().text.upper())
            else:
                out.append(self.or_())
            if self.peek() == ",":
                self.take()
        self.take(")")
        return out

    def primary(self) -> Compiled:
        t = self.take()
        if t.kind == "num":
            value = float(t.text)
            return lambda env, n: value
        if t.text == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if t.text == "[":
            items = [self.or_()]
            while self.peek() == ",":
                self.take()
                items.append(self.or_())
            self.take("]")
            return lambda env, n: [v for item in items for v in _series(item(env, n), n)]
        if t.kind != "name":
            raise self.fail(f"unexpected {t.text!r}")
        name = t.text.upper()
        if self.peek() == "(":
            return self.function(name)
        if t.text not in self.known:
            raise self.fail(f"unknown id {t.text!r} (known: {', '.join(sorted(self.known))})")
        self.references.add(t.text)
        ident = t.text
        return lambda env, n: env[ident]

    def function(self, name: str) -> Compiled:
        args = self.args()
        fns = [a for a in args if not isinstance(a, str)]
        if name == "IF":
            if len(fns) not in (2, 3):
                raise self.fail("IF takes 2 or 3 arguments")
            c, a = fns[0], fns[1]
            b = fns[2] if len(fns) == 3 else None
            return lambda env, n: _if(c(env, n), a(env, n), b(env, n) if b else None, n)
        if name == "FILL":
            if len(args) != 2 or isinstance(args[0], str):
                raise self.fail("FILL takes a series and a value")
            s, how = args[0], args[1]
            if isinstance(how, str):
                return lambda env, n: _fill(s(env, n), how, n)
            return lambda env, n: _fill(s(env, n), how(env, n), n)
        if name in ("ABS", "CEIL", "FLOOR"):
            fn = _ROUNDERS[name]
            inner = fns[0]
            return lambda env, n: _unary(fn, inner(env, n))
        if name in ("MAX", "MIN", "SUM", "AVG"):
            return self._array_fn(name, args)
        raise self.fail(f"function {name} is not supported by the simulator")

    def _array_fn(self, name: str, args: Sequence[Compiled | str]) -> Compiled:
        fns = [a for a in args if not isinstance(a, str)]
        # ``MAX([a, b])`` is per timestamp across the listed series (an array literal evaluates to
        # the series laid end to end); ``MAX(a)`` reduces one series over time to a scalar.

        def run(env: dict[str, Series], n: int) -> Value:
            values = [f(env, n) for f in fns]
            if len(values) == 1 and isinstance(values[0], list) and len(values[0]) > n:
                flat = values[0]
                groups = [flat[i : i + n] for i in range(0, len(flat), n)]
                return _reduce(name, list(groups), n)
            return _reduce(name, values, n)

        return run


@dataclass(frozen=True)
class Expression:
    """A compiled metric math expression.

    Attributes:
        text: The original expression.
        references: Query IDs the expression reads.
    """

    text: str
    references: frozenset[str]
    _fn: Compiled

    def evaluate(self, env: dict[str, Series], n: int) -> Series:
        """Evaluate over ``n`` periods; ``env`` maps query IDs to their series."""
        return _series(self._fn(env, n), n)


def compile_expression(text: str, known_ids: set[str]) -> Expression:
    """Parse ``text``.

    Args:
        text: The expression, e.g. ``IF(FILL(visible, 0) == 0, 1, 0)``.
        known_ids: IDs of the other queries of the alarm.

    Raises:
        SimulationInputError: On a syntax error, an unknown ID or an unsupported function.
    """
    parser = _Parser(text, known_ids)
    fn = parser.parse()
    return Expression(text, frozenset(parser.references), fn)
