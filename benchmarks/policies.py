"""Compare scaling policies on the same workloads with ``sqs-scale-to-zero simulate``.

Columns: our basic example, the seed blog's stack, QPFS defaults with min 0, and an always-on
single task. Each workload runs with several seeds (:data:`DEFAULT_SEEDS`); counts are summed
over the runs, waits pooled over them (p50, p95, max), task-hours, cost and drain time are
means per run, and max tasks the most in any run.

Run from the repository root::

    .venv/bin/python -m benchmarks.policies [--markdown] [--seeds 5] [--write-docs]

``--write-docs`` also writes the Markdown output into ``docs/benchmarks/alternatives.md``.

Every column is synthesized from :mod:`benchmarks.anchors` in one app (needs aws-cdk-lib and
Node.js); ours is ``ScaleToZeroQueueService`` with the basic example's defaults.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.synth import synth_anchors
from benchmarks.tables import DocsFile, table_lines
from sqs_scale_to_zero.simulate import Result, WorkItem, simulate
from sqs_scale_to_zero.simulate.report import fmt_seconds, percentile
from sqs_scale_to_zero.simulate.workload import (
    burst,
    daily_curve,
    idle_then_one,
    poisson,
)

COLUMNS = ["ours (basic)", "seed blog", "QPFS defaults", "always-on"]
DEFAULT_SEEDS = 5
"""Seeds per workload: runs 0 to 4."""


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


def _pooled(runs: Sequence[Result], of: Callable[[Result], Sequence[float]], q: float) -> str:
    values = [v for r in runs for v in of(r)]
    return fmt_seconds(percentile(values, q)) if values else "-"


def _mean(runs: Sequence[Result], of: Callable[[Result], float | None]) -> float | None:
    values = [of(r) for r in runs]
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None) / len(values)


POOLED_ROWS: list[tuple[str, Callable[[Sequence[Result]], str]]] = [
    ("messages, all runs", lambda rs: str(sum(r.messages for r in rs))),
    ("processed", lambda rs: str(sum(r.processed for r in rs))),
    ("unprocessed at horizon", lambda rs: str(sum(r.unprocessed for r in rs))),
    ("interrupted", lambda rs: str(sum(r.interrupted for r in rs))),
    ("wait p50", lambda rs: _pooled(rs, lambda r: r.waits, 50)),
    ("wait p95", lambda rs: _pooled(rs, lambda r: r.waits, 95)),
    ("wait max", lambda rs: _pooled(rs, lambda r: r.waits, 100)),
    ("wait - task start p50", lambda rs: _pooled(rs, lambda r: r.scaling_waits(), 50)),
    ("wait - task start p95", lambda rs: _pooled(rs, lambda r: r.scaling_waits(), 95)),
    (
        "time to drain, mean",
        lambda rs: "-" if (d := _mean(rs, lambda r: r.drain_seconds)) is None else fmt_seconds(d),
    ),
    ("task-hours per run", lambda rs: f"{_mean(rs, lambda r: r.task_hours) or 0.0:.2f}"),
    ("idle task-hours per run", lambda rs: f"{_mean(rs, lambda r: r.idle_task_hours) or 0.0:.2f}"),
    ("cost per run (USD)", lambda rs: f"{_mean(rs, lambda r: r.cost_usd) or 0.0:.4f}"),
    ("duplicate deliveries", lambda rs: str(sum(r.duplicate_deliveries for r in rs))),
    ("max tasks", lambda rs: str(max(r.max_tasks for r in rs))),
    ("task launches", lambda rs: str(sum(r.task_launches for r in rs))),
    ("wasted starts", lambda rs: str(sum(r.wasted_starts for r in rs))),
]
"""Row label -> the cell of one column, from that column's runs over the seeds."""


DOCS_FILE = DocsFile("alternatives", "Measured against the alternatives", "policies")


def pooled_table(columns: Sequence[Sequence[Result]], *, markdown: bool) -> str:
    """One column per stack, each cell computed from that stack's runs over the seeds."""
    body = [[label, *(cell(runs) for runs in columns)] for label, cell in POOLED_ROWS]
    return "\n".join(table_lines(["", *COLUMNS], body, markdown=markdown))


def main(argv: list[str] | None = None) -> int:
    """Print the comparison tables (``--markdown`` for the README)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        help=f"seeds per workload (default {DEFAULT_SEEDS})",
    )
    DOCS_FILE.add_flag(parser)
    args = parser.parse_args(argv)
    markdown = args.markdown or args.write_docs
    sections: list[str] = []
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
            columns: list[list[Result]] = [[] for _ in templates]
            for seed in range(args.seeds):
                for runs, result in zip(
                    columns, simulate(templates, items, seed=seed), strict=True
                ):
                    runs.append(result)
            title = f"{name} ({len(items)} messages, {args.seeds} seeds)"
            heading = f"### {title}\n" if markdown else f"== {title}"
            sections.append(f"{heading}\n{pooled_table(columns, markdown=markdown)}")
    output = "\n\n".join(sections)
    print(output)
    if args.write_docs:
        DOCS_FILE.write(argv, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
