"""How fast the simulator runs: 30 virtual days of one message a minute.

Run from the repository root::

    .venv/bin/python -m benchmarks.simulate_speed

The target is under 10 s of wall time on a 2-core CI machine. It reports the ratio of virtual to
wall time. It is a benchmark, not a test: no test asserts wall-clock time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.synth import synth_anchors
from sqs_scale_to_zero.simulate import simulate
from sqs_scale_to_zero.simulate.workload import steady

DAYS = 30


def main() -> int:
    """Run the benchmark and print the ratio."""
    items = steady(interval_seconds=60.0, hours=DAYS * 24, work_seconds=10.0, cpu_percent=40.0)
    with tempfile.TemporaryDirectory() as tmp:
        (path,) = synth_anchors(
            Path(tmp), {"ScaleToZero": "anchors.add_scale_to_zero(app)"}
        ).values()
        start = time.perf_counter()
        (result,) = simulate([path], items, seed=1)
        wall = time.perf_counter() - start
    virtual = result.horizon_seconds
    print(
        f"{DAYS} virtual days, {len(items)} messages ({result.processed} processed) in {wall:.2f} s wall"
    )
    print(
        f"virtual/wall = {virtual / wall:,.0f}x  ({'OK' if wall < 10 else 'SLOWER THAN'} the 10 s target)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
