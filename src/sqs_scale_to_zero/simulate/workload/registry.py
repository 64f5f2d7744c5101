"""The registry of workload generators and the values their arguments accept.

:mod:`.shapes` defines the generators (``steady``, ``poisson``, ...) with :func:`generator`,
which registers each under its spec name and checks every keyword argument against its
:class:`Param` before the generator runs, from Python and from a ``NAME:key=value`` spec alike.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.workload.items import WorkItem

MAX_GENERATED_MESSAGES = 2_000_000
"""The most messages a generator makes (a bound on memory and run time)."""


@dataclass(frozen=True)
class Param:
    """The values one generator argument accepts.

    Attributes:
        whole: Only whole numbers (counts, seeds). Default: False.
        low: Smallest value. Default: 0.
        high: Largest value. Default: infinite (values must still be finite).
        low_open: ``low`` itself is rejected (e.g. an interval must be > 0). Default: False.
    """

    whole: bool = False
    low: float = 0.0
    high: float = math.inf
    low_open: bool = False

    def describe(self) -> str:
        """The accepted values in words, e.g. ``a number > 0``."""
        kind = "a whole number" if self.whole else "a number"
        if self.low == -math.inf:
            return kind
        low = f"{self.low:g}"
        if self.high < math.inf:
            high = f"{int(self.high):,}" if float(self.high).is_integer() else f"{self.high:g}"
            return f"{kind} from {low} to {high}"
        return f"{kind} {'>' if self.low_open else '>='} {low}"

    def check(self, generator: str, key: str, value: float) -> None:
        """Raise :class:`SimulationArgumentError` unless ``value`` is accepted."""
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (value > self.low if self.low_open else value >= self.low)
            and value <= self.high
            and (not self.whole or float(value).is_integer())
        )
        if not ok:
            raise SimulationArgumentError(
                f"workload generator {generator}: {key} must be {self.describe()} "
                f"(got {_shown(value)})"
            )


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


SECONDS = Param()
"""A time or duration in seconds (as ``at`` and ``work_seconds`` in a workload file)."""
CPU = Param(high=100.0)
"""A CPU utilization in percent (as ``cpu_percent`` in a workload file)."""
SEED = Param(whole=True, low=-math.inf)
"""A random seed."""


@dataclass(frozen=True)
class Generator:
    """A workload generator usable as ``NAME:key=value,...``.

    Attributes:
        name: The name in specs.
        function: Builds the workload from keyword arguments (checked against ``params``).
        params: The accepted values of each keyword argument.
        defaults: Each argument's default.
    """

    name: str
    function: Callable[..., list[WorkItem]]
    params: dict[str, Param]
    defaults: dict[str, object]

    def usage(self) -> str:
        """``name:key=default,...`` for help texts."""
        return f"{self.name}:" + ",".join(f"{k}={v}" for k, v in self.defaults.items())


GENERATORS: dict[str, Generator] = {}
"""Generators by the name used in ``NAME:key=value,...`` workload specs."""

_P = ParamSpec("_P")


def generator(
    name: str, **params: Param
) -> Callable[[Callable[_P, list[WorkItem]]], Callable[_P, list[WorkItem]]]:
    """Register a generator under ``name``; its keyword arguments are checked against ``params``."""

    def register(fn: Callable[_P, list[WorkItem]]) -> Callable[_P, list[WorkItem]]:
        signature = inspect.signature(fn)
        assert set(signature.parameters) == set(params), fn.__name__

        @functools.wraps(fn)
        def checked(*args: _P.args, **kwargs: _P.kwargs) -> list[WorkItem]:
            for key, value in kwargs.items():
                if key in params:
                    params[key].check(name, key, value)  # type: ignore[arg-type]
            return fn(*args, **kwargs)

        defaults = {k: p.default for k, p in signature.parameters.items()}
        GENERATORS[name] = Generator(name, checked, dict(params), defaults)
        return checked

    return register


def bounded(generator: str, expected: float) -> None:
    """Reject arguments that would make more than :data:`MAX_GENERATED_MESSAGES` messages."""
    if expected > MAX_GENERATED_MESSAGES:
        raise SimulationArgumentError(
            f"workload generator {generator}: about {expected:.3g} messages; at most "
            f"{MAX_GENERATED_MESSAGES:,} (use fewer hours or a lower rate)"
        )
