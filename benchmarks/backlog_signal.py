"""Measure the fresh backlog signal against SQS's own metrics with ``sqs-scale-to-zero simulate``.

Two columns, both ``ScaleToZeroQueueService`` with the basic example's defaults: alarms on the
AWS/SQS metrics (``add_scale_to_zero(app, "ScaleToZero")``) and on the fresh signal
(``backlog_signal=True``). Each workload runs with several seeds; waits are pooled over the
seeds, so a single-message workload's p95 is a percentile of ``seeds`` wakes.

Goal line: wake p95 within 1.5x of (one-minute polling + task start), where polling counts the
whole period (60 s) and task start is the p95 of the simulator's start-latency model
(:class:`~sqs_scale_to_zero.simulate.ecs.StartLatency`, triangular 25/40/120 s: 100.5 s).

Cost is the Fargate cost only: the signal's own Lambda, EventBridge and custom-metric charges
(about $1.35 a month, see ``ScaleToZeroQueueService``'s ``backlog_signal`` docs) are not in it.

Run from the repository root::

    .venv/bin/python -m benchmarks.backlog_signal [--markdown] [--seeds 5]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.synth import synth_anchors
from sqs_scale_to_zero.simulate import Result, SimulationConfig, WorkItem, simulate
from sqs_scale_to_zero.simulate.report import percentile
from sqs_scale_to_zero.simulate.workload import daily_curve, idle_then_one, poisson, steady

MODES = {
    "SQS metrics": "anchors.add_scale_to_zero(app, 'ScaleToZero')",
    "fresh signal": "anchors.add_scale_to_zero(app, 'ScaleToZeroSignal', backlog_signal=True)",
}
STACKS = ["ScaleToZero", "ScaleToZeroSignal"]

SIGNAL_MONTHLY_USD = 1.35
"""The signal's own monthly cost (construct docs); not part of the simulated cost."""

POLL_SECONDS = 60.0
"""One-minute polling: the longest a message waits for the next run."""

GOAL_FACTOR = 1.5

WORKLOADS: dict[str, list[WorkItem]] = {
    "one message after 8 h idle": idle_then_one(idle_hours=8.0, work_seconds=60.0),
    "a message every 7 h for a week": steady(
        interval_seconds=7 * 3600.0, hours=7 * 24.0, work_seconds=60.0
    ),
    "quiet day (20 jobs of 2 min)": poisson(
        rate_per_minute=20 / 1440, hours=24, work_seconds=120, cpu_percent=5, seed=7
    ),
    "busy day (daily curve, peak 240/h x 30 s)": daily_curve(
        days=1, peak_per_hour=240, work_seconds=30, cpu_percent=60, seed=3
    ),
}


def goal_seconds(config: SimulationConfig | None = None) -> float:
    """The wake p95 goal: 1.5 x (one-minute polling + p95 task start latency)."""
    latency = (config or SimulationConfig()).start_latency
    return GOAL_FACTOR * (POLL_SECONDS + latency.quantile(0.95))


@dataclass(frozen=True)
class Row:
    """One workload in one mode, aggregated over the seeds."""

    workload: str
    mode: str
    p50: float
    p95: float
    max: float
    processed: int
    messages: int
    interrupted: int
    task_hours: float
    cost_usd: float

    def passes(self, goal: float) -> bool:
        """Whether the wake p95 meets ``goal`` and nothing was left unprocessed."""
        return self.p95 <= goal and self.processed == self.messages


def aggregate(workload: str, mode: str, results: Sequence[Result]) -> Row:
    """Pool waits over the seeds; sum messages; average task-hours and cost per run."""
    waits = [w for r in results for w in r.waits]
    n = len(results)
    return Row(
        workload=workload,
        mode=mode,
        p50=percentile(waits, 50),
        p95=percentile(waits, 95),
        max=max(waits, default=0.0),
        processed=sum(r.processed for r in results),
        messages=sum(r.messages for r in results),
        interrupted=sum(r.interrupted for r in results),
        task_hours=sum(r.task_hours for r in results) / n,
        cost_usd=sum(r.cost_usd for r in results) / n,
    )


def measure(templates: Sequence[Path], seeds: int) -> list[Row]:
    """Every workload in every mode over ``seeds`` seeds."""
    rows: list[Row] = []
    for name, items in WORKLOADS.items():
        per_mode: list[list[Result]] = [[] for _ in templates]
        for seed in range(seeds):
            for bucket, result in zip(per_mode, simulate(templates, items, seed=seed), strict=True):
                bucket.append(result)
        rows.extend(
            aggregate(name, mode, results) for mode, results in zip(MODES, per_mode, strict=True)
        )
    return rows


HEADERS = [
    "workload",
    "mode",
    "wake p50 (s)",
    "wake p95 (s)",
    "wake max (s)",
    "processed",
    "interrupted",
    "task-hours / run",
    "cost / run (USD)",
    "goal",
]


def cells(row: Row, goal: float) -> list[str]:
    """The table cells of ``row``."""
    return [
        row.workload,
        row.mode,
        f"{row.p50:.0f}",
        f"{row.p95:.0f}",
        f"{row.max:.0f}",
        f"{row.processed}/{row.messages}",
        str(row.interrupted),
        f"{row.task_hours:.2f}",
        f"{row.cost_usd:.4f}",
        "PASS" if row.passes(goal) else "FAIL",
    ]


def render(rows: Sequence[Row], goal: float, seeds: int, *, markdown: bool) -> str:
    """The comparison table and the goal lines."""
    body = [cells(r, goal) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |", "|---|---|" + "---:|" * (len(HEADERS) - 2)]
        lines += ["| " + " | ".join(c) + " |" for c in body]
    else:
        widths = [max(len(x) for x in col) for col in zip(HEADERS, *body, strict=True)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    lines.append("")
    lines.append(
        f"Goal: wake p95 <= {GOAL_FACTOR} x ({POLL_SECONDS:.0f} s polling + "
        f"{SimulationConfig().start_latency.quantile(0.95):.1f} s p95 task start) = {goal:.0f} s, "
        f"and every message processed; waits pooled over {seeds} seeds."
    )
    for r in rows:
        lines.append(f"- {r.workload}, {r.mode}: {'PASS' if r.passes(goal) else 'FAIL'}")
    lines.append(
        f"Cost is Fargate only; the fresh signal itself adds about ${SIGNAL_MONTHLY_USD:.2f} a "
        "month (Lambda, EventBridge, custom metrics), not simulated."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the comparison (``--markdown`` for the README)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per workload (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth_anchors(Path(tmp), dict(zip(STACKS, MODES.values(), strict=True)))
        rows = measure([paths[s] for s in STACKS], args.seeds)
    print(render(rows, goal_seconds(), args.seeds, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
