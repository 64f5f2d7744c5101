"""Measure the three wake modes on sparse work after hours of silence and everyday work.

Three modes, each ``ScaleToZeroQueueService`` with the basic example's defaults otherwise:
``Wake.FAST`` (the default: a one-minute function keeps the queue active and wakes the service
from zero itself; the alarms read SQS's own metrics), ``Wake.FRESH_SIGNAL`` (the same function
also publishes the counts the alarms read) and ``Wake.ON_ALARM`` (no function: the cheapest
stack). Each workload runs with several seeds; waits are pooled over the seeds, so a
single-message workload's p95 is a percentile of ``seeds`` wakes.

Columns: wait (every message's) p50/p95; wait minus task start p50/p95, the part the scaling
path controls (:attr:`~sqs_scale_to_zero.simulate.Result.task_starts`); wasted starts (tasks
launched and stopped before starting any message); interrupted messages.

Goals, judged on the default mode (``Wake.FAST``) and on ``Wake.FRESH_SIGNAL``; ``Wake.ON_ALARM``
is the baseline and is not judged:

* every workload: no wasted start, 0 interrupted, every message processed;
* every workload: wait minus task start <= 35 s at p50 and <= 65 s at p95;
* work after hours of silence (the rows marked "after silence"): wait <= 100 s at
  p50 and <= 160 s at p95, the one-minute schedule's limit with the simulated task start plus
  10 s and 20 s.

Cost per run is the Fargate cost only; each mode's idle bill is worked out from its template
(:mod:`sqs_scale_to_zero.simulate.idle_bill`) and printed under the table.

Run from the repository root::

    .venv/bin/python -m benchmarks.wake [--markdown] [--seeds 5] [--messages-per-task N]

``--write-docs`` also writes the Markdown output into ``docs/benchmarks/wake-modes.md``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.synth import synth_anchors
from benchmarks.tables import DocsFile, table_lines
from sqs_scale_to_zero.simulate import Result, SimulationConfig, WorkItem, simulate
from sqs_scale_to_zero.simulate.idle_bill import idle_bill
from sqs_scale_to_zero.simulate.report import percentile
from sqs_scale_to_zero.simulate.workload import daily_curve, idle_then_one, poisson, steady

PRELUDE = "from sqs_scale_to_zero import Wake"
MODES = {
    "fast (default)": "anchors.add_scale_to_zero(app, 'ScaleToZero')",
    "fresh signal": "anchors.add_scale_to_zero(app, 'ScaleToZeroSignal', wake=Wake.FRESH_SIGNAL)",
    "on alarm": "anchors.add_scale_to_zero(app, 'ScaleToZeroOnAlarm', wake=Wake.ON_ALARM)",
}
STACKS = ["ScaleToZero", "ScaleToZeroSignal", "ScaleToZeroOnAlarm"]


def stack_calls(messages_per_task: int | None = None) -> dict[str, str]:
    """Stack ID -> the call that adds it, with ``messages_per_task`` when given."""
    extra = "" if messages_per_task is None else f", messages_per_task={messages_per_task})"
    calls = dict(zip(STACKS, MODES.values(), strict=True))
    return {k: v[:-1] + extra if extra else v for k, v in calls.items()}


JUDGED_MODES = ("fast (default)", "fresh signal")
"""The modes the goals apply to."""

GOAL_P50_SECONDS = 35.0
GOAL_P95_SECONDS = 65.0
"""Wake minus task start, at p50 and p95 (the goal's measure)."""

SILENCE_GOAL_P50_SECONDS = 100.0
SILENCE_GOAL_P95_SECONDS = 160.0
"""The whole wait after hours of silence, at p50 and p95: the one-minute schedule's limit with
the simulated task start, plus 10 s and 20 s."""

AFTER_SILENCE = "after silence"
"""Marks the workloads whose messages come after hours of silence."""


def sparse_jobs(days: float, low_hours: float, high_hours: float, seed: int) -> list[WorkItem]:
    """One 30 s job after each gap of ``low_hours`` to ``high_hours`` (uniform, seeded)."""
    rng = random.Random(seed)
    items, at = [], rng.uniform(low_hours, high_hours) * 3600.0
    while at < days * 86400.0:
        items.append(WorkItem(at=at, work_seconds=30.0, cpu_percent=50.0))
        at += rng.uniform(low_hours, high_hours) * 3600.0
    return items


WORKLOADS: dict[str, list[WorkItem]] = {
    f"one message after 8 h idle ({AFTER_SILENCE})": idle_then_one(
        idle_hours=8.0, work_seconds=60.0
    ),
    f"a 30 s job every 7-9 h for 4 days ({AFTER_SILENCE})": sparse_jobs(4, 7.0, 9.0, seed=22),
    f"a message every 7 h for a week ({AFTER_SILENCE})": steady(
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
        """Whether the goals apply to this row's mode."""
        return self.mode in JUDGED_MODES

    def passes(self) -> bool:
        """Whether the row meets the goals (see the module docstring)."""
        after_silence = AFTER_SILENCE not in self.workload or (
            self.p50 <= SILENCE_GOAL_P50_SECONDS and self.p95 <= SILENCE_GOAL_P95_SECONDS
        )
        return (
            after_silence
            and self.scaling_p50 <= GOAL_P50_SECONDS
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
    "wait p50 (s)",
    "wait p95 (s)",
    "wait max (s)",
    "wait - start p50 (s)",
    "wait - start p95 (s)",
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


DOCS_FILE = DocsFile("wake-modes", "Wake modes, measured", "wake")


def render(
    rows: Sequence[Row], seeds: int, *, markdown: bool, cost_lines: Sequence[str] = ()
) -> str:
    """The comparison table, the goal lines and (``cost_lines``) each mode's idle bill."""
    body = [cells(r) for r in rows]
    lines = table_lines(HEADERS, body, markdown=markdown)
    lines.append("")
    latency = SimulationConfig().start_latency
    lines.append(
        f"Goals ({' and '.join(JUDGED_MODES)}): wait minus task start <= "
        f"{GOAL_P50_SECONDS:.0f} s p50 and <= {GOAL_P95_SECONDS:.0f} s p95; {AFTER_SILENCE}, "
        f"wait <= {SILENCE_GOAL_P50_SECONDS:.0f} s p50 and <= {SILENCE_GOAL_P95_SECONDS:.0f} s "
        "p95; no wasted start, 0 interrupted, every message processed; waits pooled over "
        f"{seeds} seeds; task start modelled as triangular "
        f"{latency.low:.0f}/{latency.mode:.0f}/{latency.high:.0f} s."
    )
    for r in rows:
        if r.judged:
            lines.append(f"- {r.workload}, {r.mode}: {r.verdict()}")
    judged = [r for r in rows if r.judged]
    overall = "PASS" if judged and all(r.passes() for r in judged) else "FAIL"
    lines.append(f"Overall: {overall}")
    if cost_lines:
        lines.append("")
        lines.append("Cost per run is Fargate only. Idle bill of each mode, from its template:")
        lines.extend(f"- {line}" for line in cost_lines)
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
    DOCS_FILE.add_flag(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth_anchors(Path(tmp), stack_calls(args.messages_per_task), PRELUDE)
        rows = measure([paths[s] for s in STACKS], args.seeds)
        bills = [idle_bill(paths[s]) for s in STACKS]
    cost_lines = [
        f"{mode}: ${bill.total:.2f}/month (dashboard $0 among the account's three free ones, "
        f"${bill.dashboards_usd:.2f} beyond)"
        for mode, bill in zip(MODES, bills, strict=True)
    ]
    markdown = args.markdown or args.write_docs
    output = render(rows, args.seeds, markdown=markdown, cost_lines=cost_lines)
    print(output)
    if args.write_docs:
        DOCS_FILE.write(argv, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
