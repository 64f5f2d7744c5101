"""Scale-out steps: how many tasks to add for how many visible messages.

Prop: ``scale_out_steps``. Steps are given in absolute visible-message counts and rendered as
step adjustments relative to the scale-out alarm's threshold of one message.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Token
from aws_cdk import aws_applicationautoscaling as appscaling

from sqs_scale_to_zero.errors import ScaleToZeroValidationError

SCALE_OUT_THRESHOLD = 1
"""Visible messages that wake the service: one message is enough."""


@dataclass(frozen=True)
class ScaleOutStep:
    """One validated scale-out step in absolute visible-message counts: ``[lower, upper)``."""

    lower: int
    upper: Optional[int]
    change: int

    def relative_bounds(self) -> tuple[float, Optional[float]]:
        """The step as step-adjustment bounds relative to the scale-out alarm's threshold."""
        lower = float(self.lower - SCALE_OUT_THRESHOLD)
        upper = None if self.upper is None else float(self.upper - SCALE_OUT_THRESHOLD)
        return lower, upper


def fixed_scale_out_steps() -> list[appscaling.ScalingInterval]:
    """Fixed scale-out steps, for ``scale_out_steps=fixed_scale_out_steps()``.

    They were the construct's scale-out before it sized the service by backlog.

    Returns:
        ``[1, 10) -> +1``, ``[10, 50) -> +2``, ``[50, inf) -> +4`` visible messages, each
        step re-applied once per cooldown while the backlog lasts, up to ``max_capacity``.
    """
    return [
        appscaling.ScalingInterval(lower=1, upper=10, change=1),
        appscaling.ScalingInterval(lower=10, upper=50, change=2),
        appscaling.ScalingInterval(lower=50, change=4),
    ]


def resolve_scale_out_steps(
    intervals: Sequence[appscaling.ScalingInterval],
) -> tuple[ScaleOutStep, ...]:
    """Validate ``scale_out_steps``: from one message up, contiguous, unbounded, adding tasks.

    Raises:
        ScaleToZeroValidationError: For the first invalid step, naming it and the fix.
    """
    prop = "scale_out_steps"
    if not intervals:
        raise ScaleToZeroValidationError(
            prop, "needs at least one step, e.g. [ScalingInterval(lower=1, change=1)]"
        )
    steps = []
    for index, interval in enumerate(intervals):
        if not isinstance(interval, appscaling.ScalingInterval):
            raise ScaleToZeroValidationError(
                prop,
                f"step {index} must be an appscaling.ScalingInterval (got "
                f"{type(interval).__name__} {interval!r}): use "
                "ScalingInterval(lower=1, upper=10, change=1)",
            )
        lower, upper, change = interval.lower, interval.upper, interval.change
        for name, value in (("lower", lower), ("upper", upper), ("change", change)):
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or Token.is_unresolved(value)
            ):
                raise ScaleToZeroValidationError(
                    prop,
                    f"step {index}'s {name} must be a finite, concrete number (got {value!r}): "
                    "leave the last step's upper unset instead of infinity",
                )
        if lower is None:
            raise ScaleToZeroValidationError(
                prop,
                f"step {index} has no lower bound: give every step a lower bound in visible "
                "messages (the first one 1)",
            )
        for name, value in (("lower", lower), ("upper", upper), ("change", change)):
            if value is not None and value != int(value):
                raise ScaleToZeroValidationError(
                    prop, f"step {index}'s {name} must be a whole number (got {value:g})"
                )
        if change <= 0:
            raise ScaleToZeroValidationError(
                prop,
                f"step {index} has change {change:g}: scale-out steps must add tasks (change >= 1); "
                "scale-in to zero is the idle alarm's job",
            )
        if upper is not None and upper <= lower:
            raise ScaleToZeroValidationError(
                prop, f"step {index} has upper {upper:g} <= lower {lower:g}: make upper larger"
            )
        steps.append(
            ScaleOutStep(
                lower=int(lower), upper=None if upper is None else int(upper), change=int(change)
            )
        )
    steps.sort(key=lambda step: step.lower)
    if steps[0].lower != SCALE_OUT_THRESHOLD:
        raise ScaleToZeroValidationError(
            prop,
            f"the lowest step starts at {steps[0].lower} visible messages: start it at lower=1 so "
            "that a single message wakes the service from zero",
        )
    for previous, following in itertools.pairwise(steps):
        if previous.upper is None or previous.upper > following.lower:
            raise ScaleToZeroValidationError(
                prop,
                f"steps starting at {previous.lower} and {following.lower} overlap: end each step "
                "where the next one starts (upper == next lower)",
            )
        if previous.upper < following.lower:
            raise ScaleToZeroValidationError(
                prop,
                f"gap between {previous.upper} and {following.lower} visible messages: end each "
                "step where the next one starts (upper == next lower)",
            )
    if steps[-1].upper is not None:
        raise ScaleToZeroValidationError(
            prop,
            f"the highest step ends at {steps[-1].upper} visible messages: leave its upper unset "
            "so that every backlog matches a step",
        )
    return tuple(steps)
