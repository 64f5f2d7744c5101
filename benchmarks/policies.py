"""Compare scaling policies on the same workloads with ``sqs-scale-to-zero simulate``.

Columns: our basic example, the seed blog's stack, QPFS defaults with min 0, and an always-on
single task. Rows per workload: processed, interrupted, wait p50/p95, task-hours, cost.

Run from the repository root::

    .venv/bin/python -m benchmarks.policies [--markdown]

Every column is synthesized from :mod:`benchmarks.anchors` in one app (needs aws-cdk-lib and
Node.js); ours is ``ScaleToZeroQueueService`` with the basic example's defaults.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.synth import synth_anchors
from sqs_scale_to_zero.simulate import WorkItem, simulate
from sqs_scale_to_zero.simulate.report import markdown_table, table
from sqs_scale_to_zero.simulate.workload import (
    burst,
    daily_curve,
    idle_then_one,
    poisson,
)

COLUMNS = ["ours (basic)", "seed blog", "QPFS defaults", "always-on"]


WORKLOADS: dict[str, list[WorkItem]] = {
    "quiet day (20 jobs of 2 min, 5 % CPU)": poisson(
        rate_per_minute=20 / 1440, hours=24, work_seconds=120, cpu_percent=5, seed=7
    ),
    "long job at ~0 % CPU (45 min)": [WorkItem(600.0, 2700.0, 0.0)],
    "burst of 300 x 20 s": burst(
        count=300, at=600.0, spread_seconds=30.0, work_seconds=20.0, cpu_percent=80.0
    ),
    "one message after 8 h idle": idle_then_one(idle_hours=8.0, work_seconds=60.0),
    "daily curve (peak 60/h)": daily_curve(
        days=1, peak_per_hour=60, work_seconds=20, cpu_percent=60, seed=3
    ),
}


ANCHOR_CALLS = {
    "ScaleToZero": "anchors.add_scale_to_zero(app)",
    "SeedBlog": "anchors.add_seed_blog(app)",
    "QpfsDefaults": "anchors.add_qpfs_defaults(app)",
    "AlwaysOn": "anchors.add_always_on(app)",
}


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table (``--markdown`` for the README)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        anchors = synth_anchors(out / "anchors", ANCHOR_CALLS)
        templates = [
            anchors["ScaleToZero"],
            anchors["SeedBlog"],
            anchors["QpfsDefaults"],
            anchors["AlwaysOn"],
        ]
        for name, items in WORKLOADS.items():
            results = simulate(templates, items, seed=args.seed)
            print(
                f"\n### {name} ({len(items)} messages)\n"
                if args.markdown
                else f"\n== {name} ({len(items)} messages)"
            )
            print(markdown_table(results, COLUMNS) if args.markdown else table(results, COLUMNS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
