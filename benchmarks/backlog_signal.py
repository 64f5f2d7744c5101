"""Measure the fresh backlog signal and its fast wake against SQS's own metrics.

Two modes, both ``ScaleToZeroQueueService`` with the basic example's defaults: alarms on the
AWS/SQS metrics (``add_scale_to_zero(app, "ScaleToZero")``) and the fresh signal, whose function
also wakes the service from zero itself (``backlog_signal=True``). Each workload runs with
several seeds; waits are pooled over the seeds, so a single-message workload's p95 is a
percentile of ``seeds`` wakes.

Columns: wake (every message's wait) p50/p95; wake minus task start p50/p95, the part the
scaling path controls (:attr:`~sqs_scale_to_zero.simulate.Result.task_starts`); wasted starts
(tasks launched and stopped before starting any message); interrupted messages.

Goal, judged on the signal mode: wake minus task start <= 35 s at p50 and <= 65 s
at p95 on every workload; no wasted start; 0 interrupted; every message processed. The SQS
mode is the baseline and is not judged. The wasted-start criterion is stricter than "no
wasted start caused by the idle alarm": it counts every wasted start, whatever
stopped it.

Cost per run is the Fargate cost only; the signal's own monthly cost is worked out from the
template (:mod:`benchmarks.signal_cost`) and printed under the table.

Run from the repository root::

    .venv/bin/python -m benchmarks.backlog_signal [--markdown] [--seeds 5] [--messages-per-task N]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.signal_cost import signal_cost
from benchmarks.synth import synth_anchors
from benchmarks.tables import table_lines
from sqs_scale_to_zero.simulate import Result, SimulationConfig, WorkItem, simulate
from sqs_scale_to_zero.simulate.report import percentile
from sqs_scale_to_zero.simulate.workload import daily_curve, idle_then_one, poisson, steady

MODES = {
    "SQS metrics": "anchors.add_scale_to_zero(app, 'ScaleToZero')",
    "fresh signal": "anchors.add_scale_to_zero(app, 'ScaleToZeroSignal', backlog_signal=True)",
}
STACKS = ["ScaleToZero", "ScaleToZeroSignal"]


def stack_calls(messages_per_task: int | None = None) -> dict[str, str]:
    """Stack ID -> the call that adds it, with ``messages_per_task`` when given."""
    extra = "" if messages_per_task is None else f", messages_per_task={messages_per_task})"
    calls = dict(zip(STACKS, MODES.values(), strict=True))
    return {k: v[:-1] + extra if extra else v for k, v in calls.items()}


JUDGED_MODE = "fresh signal"
"""The mode the goal applies to."""

GOAL_P50_SECONDS = 35.0
GOAL_P95_SECONDS = 65.0
"""Wake minus task start, at p50 and p95 (the goal's measure)."""

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


@dataclass(frozen=True)
class Row:
    """One workload in one mode, aggregated over the seeds."""

    workload: str
    mode: str
    p50: float
    p95: float
    max: float
    scaling_p50: float
    scaling_p95: float
    wasted_starts: int
    processed: int
    messages: int
    interrupted: int
    task_hours: float
    cost_usd: float

    @property
    def judged(self) -> bool:
        """Whether the goal applies to this row's mode."""
        return self.mode == JUDGED_MODE

    def passes(self) -> bool:
        """Whether the row meets the goal (see the module docstring)."""
        return (
            self.scaling_p50 <= GOAL_P50_SECONDS
            and self.scaling_p95 <= GOAL_P95_SECONDS
            and self.wasted_starts == 0
            and self.interrupted == 0
            and self.processed == self.messages
        )

    def verdict(self) -> str:
        """``PASS``/``FAIL`` for a judged row, ``-`` for the baseline."""
        if not self.judged:
            return "-"
        return "PASS" if self.passes() else "FAIL"


def aggregate(workload: str, mode: str, results: Sequence[Result]) -> Row:
    """Pool waits over the seeds; sum messages; average task-hours and cost per run."""
    waits = [w for r in results for w in r.waits]
    scaling = [w for r in results for w in r.scaling_waits()]
    n = len(results)
    return Row(
        workload=workload,
        mode=mode,
        p50=percentile(waits, 50),
        p95=percentile(waits, 95),
        max=max(waits, default=0.0),
        scaling_p50=percentile(scaling, 50),
        scaling_p95=percentile(scaling, 95),
        wasted_starts=sum(r.wasted_starts for r in results),
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
    "wake - start p50 (s)",
    "wake - start p95 (s)",
    "wasted starts",
    "processed",
    "interrupted",
    "task-hours / run",
    "cost / run (USD)",
    "goal",
]


def cells(row: Row) -> list[str]:
    """The table cells of ``row``."""
    return [
        row.workload,
        row.mode,
        f"{row.p50:.0f}",
        f"{row.p95:.0f}",
        f"{row.max:.0f}",
        f"{row.scaling_p50:.0f}",
        f"{row.scaling_p95:.0f}",
        str(row.wasted_starts),
        f"{row.processed}/{row.messages}",
        str(row.interrupted),
        f"{row.task_hours:.2f}",
        f"{row.cost_usd:.4f}",
        row.verdict(),
    ]


def render(rows: Sequence[Row], seeds: int, *, markdown: bool, cost_line: str = "") -> str:
    """The comparison table, the goal lines and (``cost_line``) the signal's monthly cost."""
    body = [cells(r) for r in rows]
    lines = table_lines(HEADERS, body, markdown=markdown)
    lines.append("")
    latency = SimulationConfig().start_latency
    lines.append(
        f"Goal ({JUDGED_MODE}): wake minus task start <= {GOAL_P50_SECONDS:.0f} s p50 and "
        f"<= {GOAL_P95_SECONDS:.0f} s p95, no wasted start, 0 interrupted, every message "
        f"processed; waits pooled over {seeds} seeds; task start modelled as triangular "
        f"{latency.low:.0f}/{latency.mode:.0f}/{latency.high:.0f} s."
    )
    for r in rows:
        if r.judged:
            lines.append(f"- {r.workload}, {r.mode}: {r.verdict()}")
    judged = [r for r in rows if r.judged]
    overall = "PASS" if judged and all(r.passes() for r in judged) else "FAIL"
    lines.append(f"Overall: {overall}")
    if cost_line:
        lines.append(f"Cost per run is Fargate only. The {JUDGED_MODE} mode adds {cost_line}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the comparison (``--markdown`` for the README)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per workload (default 5)")
    parser.add_argument(
        "--messages-per-task",
        type=int,
        metavar="N",
        help="build both modes with messages_per_task=N (default: the construct's default)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth_anchors(Path(tmp), stack_calls(args.messages_per_task))
        rows = measure([paths[s] for s in STACKS], args.seeds)
        cost = signal_cost(paths[STACKS[1]])
    cost_line = cost.summary() if cost is not None else ""
    print(render(rows, args.seeds, markdown=args.markdown, cost_line=cost_line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
