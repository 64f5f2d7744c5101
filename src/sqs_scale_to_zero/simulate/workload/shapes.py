"""Workload generators for common shapes, and :func:`from_spec`, which reads a spec or a file.

On the command line a generator can stand in for a workload file (:mod:`.items`):
``poisson:rate_per_minute=2,hours=24`` (see :data:`.registry.GENERATORS`). Generator arguments
accept the same values as the file: times and durations finite and >= 0, ``cpu_percent`` 0-100.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.workload.items import WorkItem, read_jsonl
from sqs_scale_to_zero.simulate.workload.registry import (
    CPU,
    GENERATORS,
    MAX_GENERATED_MESSAGES,
    SECONDS,
    SEED,
    Param,
    bounded,
    generator,
)


def _exponential(rng: random.Random, mean: float) -> float:
    """An exponentially distributed duration with ``mean`` (0 for a mean of 0)."""
    return rng.expovariate(1 / mean) if mean > 0 else 0.0


@generator(
    "steady",
    interval_seconds=Param(low_open=True),
    hours=SECONDS,
    work_seconds=SECONDS,
    cpu_percent=CPU,
)
def steady(
    *,
    interval_seconds: float = 60.0,
    hours: float = 24.0,
    work_seconds: float = 5.0,
    cpu_percent: float = 50.0,
) -> list[WorkItem]:
    """One message every ``interval_seconds`` for ``hours``.

    Args:
        interval_seconds: Spacing. Default: 60.
        hours: Duration. Default: 24.
        work_seconds: Work per message. Default: 5.
        cpu_percent: CPU while working. Default: 50.
    """
    bounded("steady", hours * 3600 / interval_seconds)
    count = int(hours * 3600 // interval_seconds)
    return [WorkItem(i * interval_seconds, work_seconds, cpu_percent) for i in range(count)]


@generator(
    "poisson",
    rate_per_minute=SECONDS,
    hours=SECONDS,
    work_seconds=SECONDS,
    cpu_percent=CPU,
    start=SECONDS,
    seed=SEED,
)
def poisson(
    *,
    rate_per_minute: float = 1.0,
    hours: float = 24.0,
    work_seconds: float = 5.0,
    cpu_percent: float = 50.0,
    start: float = 0.0,
    seed: int = 0,
) -> list[WorkItem]:
    """A steady Poisson arrival process.

    Args:
        rate_per_minute: Mean arrivals per minute. Default: 1.
        hours: Duration. Default: 24.
        work_seconds: Mean work per message (exponentially distributed). Default: 5.
        cpu_percent: CPU while working. Default: 50.
        start: Offset of the first possible arrival in seconds. Default: 0.
        seed: Random seed. Default: 0.
    """
    bounded("poisson", rate_per_minute * hours * 60)
    rng = random.Random(seed)
    out, t, end = [], start, start + hours * 3600
    while rate_per_minute > 0:
        t += rng.expovariate(rate_per_minute / 60.0)
        if t >= end:
            break
        out.append(WorkItem(t, _exponential(rng, work_seconds), cpu_percent))
    return out


@generator(
    "burst",
    count=Param(whole=True, high=MAX_GENERATED_MESSAGES),
    at=SECONDS,
    spread_seconds=SECONDS,
    work_seconds=SECONDS,
    cpu_percent=CPU,
)
def burst(
    *,
    count: int = 200,
    at: float = 60.0,
    spread_seconds: float = 10.0,
    work_seconds: float = 30.0,
    cpu_percent: float = 80.0,
) -> list[WorkItem]:
    """``count`` messages sent within ``spread_seconds`` starting at ``at``.

    Args:
        count: Messages. Default: 200.
        at: Start of the burst in seconds. Default: 60.
        spread_seconds: Burst length. Default: 10.
        work_seconds: Work per message. Default: 30.
        cpu_percent: CPU while working. Default: 80.
    """
    step = spread_seconds / count if count else 0.0
    return [WorkItem(at + i * step, work_seconds, cpu_percent) for i in range(int(count))]


@generator(
    "daily",
    days=SECONDS,
    peak_per_hour=SECONDS,
    work_seconds=SECONDS,
    cpu_percent=CPU,
    seed=SEED,
)
def daily_curve(
    *,
    days: float = 1.0,
    peak_per_hour: float = 60.0,
    work_seconds: float = 20.0,
    cpu_percent: float = 60.0,
    seed: int = 0,
) -> list[WorkItem]:
    """A day-night curve: Poisson arrivals whose rate follows a sine peaking at 14:00, zero at night.

    Args:
        days: Duration in days. Default: 1.
        peak_per_hour: Rate at the peak. Default: 60.
        work_seconds: Mean work per message. Default: 20.
        cpu_percent: CPU while working. Default: 60.
        seed: Random seed. Default: 0.
    """
    bounded("daily", peak_per_hour * days * 24)
    rng = random.Random(seed)
    out, t, end = [], 0.0, days * 86400
    peak = peak_per_hour / 3600.0
    while peak > 0:
        t += rng.expovariate(peak)  # thinning of a process with the peak rate
        if t >= end:
            break
        hour = (t % 86400) / 3600.0
        rate = max(0.0, math.sin((hour - 8.0) / 12.0 * math.pi))  # 0 before 08:00 and after 20:00
        if rng.random() < rate:
            out.append(WorkItem(t, _exponential(rng, work_seconds), cpu_percent))
    return out


@generator("idle-then-one", idle_hours=SECONDS, work_seconds=SECONDS, cpu_percent=CPU)
def idle_then_one(
    *, idle_hours: float = 8.0, work_seconds: float = 60.0, cpu_percent: float = 50.0
) -> list[WorkItem]:
    """One message after a long idle period (the queue has gone inactive by then).

    Args:
        idle_hours: Quiet time before the message. Default: 8.
        work_seconds: Its work. Default: 60.
        cpu_percent: CPU while working. Default: 50.
    """
    return [WorkItem(idle_hours * 3600, work_seconds, cpu_percent)]


_GENERATOR_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def from_spec(spec: str) -> list[WorkItem]:
    """Build a workload from ``NAME:key=value,...`` (e.g. ``burst:count=50``) or read a file.

    A spec whose name is not a generator is read as a file when it exists.

    Raises:
        SimulationArgumentError: Unknown generator, a malformed or unknown key, a value out of
            range, or a directory.
        SimulationInputError: An unreadable workload file.
    """
    name, sep, args = spec.partition(":")
    generator = GENERATORS.get(name)
    if generator is None or (not sep and Path(spec).exists()):
        if sep and _GENERATOR_NAME_RE.match(name) and not Path(spec).exists():
            raise SimulationArgumentError(
                f"workload {spec!r}: unknown workload generator {name!r} "
                f"(known: {', '.join(GENERATORS)})"
            )
        return read_jsonl(spec)
    kwargs: dict[str, float] = {}
    for part in filter(None, (a.strip() for a in args.split(","))):
        key, eq, text = (x.strip() for x in part.partition("="))
        if not eq or not key:
            raise SimulationArgumentError(
                f"workload {spec!r}: expected key=value, got {part!r} "
                f"(keys: {', '.join(generator.params)})"
            )
        param = generator.params.get(key)
        if param is None:
            raise SimulationArgumentError(
                f"workload {spec!r}: {name} has no argument {key!r} "
                f"(keys: {', '.join(generator.params)})"
            )
        try:
            value = float(text)
        except ValueError:
            raise SimulationArgumentError(
                f"workload {spec!r}: {key} must be {param.describe()} (got {text!r})"
            ) from None
        param.check(name, key, value)
        kwargs[key] = int(value) if param.whole else value
    return generator.function(**kwargs)
