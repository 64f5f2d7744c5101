"""Bursts and everyday workloads under four scale-out policies, one run, same seeds.

Policies, each ``ScaleToZeroQueueService`` with the basic example's defaults except as named,
or QPFS:

* ``new default``: backlog sizing, ``messages_per_task`` at its default;
* ``fixed steps``: ``scale_out_steps=fixed_scale_out_steps()`` (the construct's former steps);
* ``jump to max``: fixed steps ``[1,10) +1``, ``[10,50) +2``, ``[50,inf) +50``, the drain-time
  ideal for bursts;
* ``QPFS defaults``: ``QueueProcessingFargateService`` with min 0 and its default steps.

Workloads: bursts of 200 x 60 s, 1000 x 120 s and 3000 x 30 s jobs at ``max_capacity=50``
(QPFS ``max_scaling_capacity=50``); the quiet-day and daily-curve workloads of
:mod:`benchmarks.policies` at the default ``max_capacity`` (QPFS max 4). Waits are pooled
over the seeds; time to drain, task-hours, idle task-hours and cost are means per run.

Goal, judged on ``new default`` (and on each ``--messages-per-task`` value): on every burst,
time to drain within 1.15x and wait p50 within 1.2x of ``jump to max``; on the quiet day and
the daily curve, task-hours within 1.05x of ``fixed steps``; 0 interrupted everywhere.

Run from the repository root::

    .venv/bin/python -m benchmarks.spike [--seeds 3] [--messages-per-task 1 2 4 10] [--markdown]
    .venv/bin/python -m benchmarks.spike --write-docs  # also docs/benchmarks/bursts.md
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.policies import WORKLOADS as EVERYDAY
from benchmarks.synth import synth_anchors
from benchmarks.tables import DocsFile, table_lines
from sqs_scale_to_zero.simulate import Result, WorkItem, simulate
from sqs_scale_to_zero.simulate.report import percentile
from sqs_scale_to_zero.simulate.workload import burst

BURST_MAX = 50
BURST_HORIZON_SECONDS = 8 * 3600.0
"""Long enough for the slowest policy to drain the largest burst."""

BURSTS: dict[str, list[WorkItem]] = {
    f"burst {count} x {work:.0f} s": burst(
        count=count, at=600.0, spread_seconds=30.0, work_seconds=work, cpu_percent=80.0
    )
    for count, work in ((200, 60.0), (1000, 120.0), (3000, 30.0))
}
EVERYDAY_NAMES = [
    "quiet day (20 jobs of 2 min, 5 % CPU)",
    "daily curve (peak 60/h)",
]

NEW, FIXED, JUMP, QPFS = "new default", "fixed steps", "jump to max", "QPFS defaults"
POLICIES = [NEW, FIXED, JUMP, QPFS]
DRAIN_FACTOR, WAIT_P50_FACTOR, TASK_HOURS_FACTOR = 1.15, 1.2, 1.05

_FIXED = "scale_out_steps=fixed_scale_out_steps()"
_JUMP = (
    "scale_out_steps=[appscaling.ScalingInterval(lower=1, upper=10, change=1), "
    "appscaling.ScalingInterval(lower=10, upper=50, change=2), "
    "appscaling.ScalingInterval(lower=50, change=50)]"
)


def stack_calls(messages_per_task: Sequence[int]) -> dict[str, str]:
    """Stack ID -> the call that adds it, for every policy at both capacities."""
    calls: dict[str, str] = {}
    for suffix, cap in (("Burst", f"max_capacity={BURST_MAX}, "), ("Everyday", "")):
        calls[f"New{suffix}"] = f"anchors.add_scale_to_zero(app, 'New{suffix}', {cap})"
        calls[f"Fixed{suffix}"] = f"anchors.add_scale_to_zero(app, 'Fixed{suffix}', {cap}{_FIXED})"
        calls[f"Jump{suffix}"] = f"anchors.add_scale_to_zero(app, 'Jump{suffix}', {cap}{_JUMP})"
        for n in messages_per_task:
            calls[f"Mpt{n}{suffix}"] = (
                f"anchors.add_scale_to_zero(app, 'Mpt{n}{suffix}', {cap}messages_per_task={n})"
            )
    calls["QpfsBurst"] = f"anchors.add_qpfs_defaults(app, 'QpfsBurst', {BURST_MAX})"
    calls["QpfsEveryday"] = "anchors.add_qpfs_defaults(app, 'QpfsEveryday')"
    return calls


PRELUDE = (
    "from aws_cdk import aws_applicationautoscaling as appscaling\n"
    "from sqs_scale_to_zero import fixed_scale_out_steps"
)


@dataclass(frozen=True)
class Row:
    """One policy on one workload, over the seeds."""

    workload: str
    policy: str
    p50: float
    p95: float
    drain: float
    task_hours: float
    idle_task_hours: float
    cost_usd: float
    interrupted: int


def aggregate(workload: str, policy: str, results: Sequence[Result]) -> Row:
    """Pool waits; average drain, task-hours and cost per run (drain inf if a run left any)."""
    n = len(results)
    waits = [w for r in results for w in r.waits]
    drains = [r.drain_seconds for r in results]
    drain = math.inf if any(d is None for d in drains) else sum(d or 0.0 for d in drains) / n
    return Row(
        workload=workload,
        policy=policy,
        p50=percentile(waits, 50),
        p95=percentile(waits, 95),
        drain=drain,
        task_hours=sum(r.task_hours for r in results) / n,
        idle_task_hours=sum(r.idle_task_hours for r in results) / n,
        cost_usd=sum(r.cost_usd for r in results) / n,
        interrupted=sum(r.interrupted for r in results),
    )


@dataclass(frozen=True)
class Verdict:
    """A policy's ratios against the goal's references on one workload."""

    workload: str
    policy: str
    ratios: dict[str, float]
    limits: dict[str, float]
    interrupted: int

    @property
    def passes(self) -> bool:
        """Every ratio within its limit and nothing interrupted."""
        ok = all(self.ratios[k] <= self.limits[k] for k in self.ratios)
        return ok and self.interrupted == 0

    def line(self) -> str:
        """``- workload, policy: drain 1.02x (<= 1.15), ...: PASS``."""
        parts = [f"{k} {self.ratios[k]:.2f}x (<= {self.limits[k]})" for k in self.ratios]
        parts.append(f"{self.interrupted} interrupted")
        verdict = "PASS" if self.passes else "FAIL"
        return f"- {self.workload}, {self.policy}: {', '.join(parts)}: {verdict}"


def _ratio(value: float, reference: float) -> float:
    if reference == 0:
        return 1.0 if value == 0 else math.inf
    return value / reference


def judge(rows: Sequence[Row], policy: str) -> list[Verdict]:
    """The goal's verdicts for ``policy`` on every workload of ``rows``."""
    by = {(r.workload, r.policy): r for r in rows}
    out: list[Verdict] = []
    for workload in dict.fromkeys(r.workload for r in rows):
        row = by.get((workload, policy))
        if row is None:
            continue
        if workload in BURSTS:
            ref = by[(workload, JUMP)]
            ratios = {"drain": _ratio(row.drain, ref.drain), "wait p50": _ratio(row.p50, ref.p50)}
            limits = {"drain": DRAIN_FACTOR, "wait p50": WAIT_P50_FACTOR}
        else:
            ref = by[(workload, FIXED)]
            ratios = {"task-hours": _ratio(row.task_hours, ref.task_hours)}
            limits = {"task-hours": TASK_HOURS_FACTOR}
        out.append(Verdict(workload, policy, ratios, limits, row.interrupted))
    return out


def measure(templates: dict[str, Path], messages_per_task: Sequence[int], seeds: int) -> list[Row]:
    """Every policy (and every ``messages_per_task`` value) on every workload."""
    names = {NEW: "New", FIXED: "Fixed", JUMP: "Jump", QPFS: "Qpfs"}
    names |= {f"messages_per_task={n}": f"Mpt{n}" for n in messages_per_task}
    everyday = {name: EVERYDAY[name] for name in EVERYDAY_NAMES}
    rows: list[Row] = []
    for suffix, workloads, horizon in (
        ("Burst", BURSTS, BURST_HORIZON_SECONDS),
        ("Everyday", everyday, None),
    ):
        paths = [templates[stack + suffix] for stack in names.values()]
        for workload, items in workloads.items():
            per_policy: list[list[Result]] = [[] for _ in paths]
            for seed in range(seeds):
                results = simulate(paths, items, seed=seed, horizon=horizon)
                for bucket, result in zip(per_policy, results, strict=True):
                    bucket.append(result)
            rows.extend(
                aggregate(workload, policy, results)
                for policy, results in zip(names, per_policy, strict=True)
            )
    return rows


def _minutes(seconds: float) -> str:
    return "never" if math.isinf(seconds) else f"{seconds / 60:.1f}"


HEADERS = [
    "workload",
    "policy",
    "wait p50 (min)",
    "wait p95 (min)",
    "drain (min)",
    "task-hours",
    "idle task-hours",
    "cost (USD)",
    "interrupted",
]


def cells(row: Row) -> list[str]:
    """The table cells of ``row``."""
    return [
        row.workload,
        row.policy,
        _minutes(row.p50),
        _minutes(row.p95),
        _minutes(row.drain),
        f"{row.task_hours:.2f}",
        f"{row.idle_task_hours:.2f}",
        f"{row.cost_usd:.3f}",
        str(row.interrupted),
    ]


DOCS_FILE = DocsFile("bursts", "Bursts, measured", "spike")


def render(rows: Sequence[Row], seeds: int, *, markdown: bool) -> str:
    """The table of the four policies, the goal lines, and the ``messages_per_task`` sweep."""
    main = [r for r in rows if r.policy in POLICIES]
    body = [cells(r) for r in main]
    lines = table_lines(HEADERS, body, markdown=markdown)
    lines += [
        "",
        f"Goal ({seeds} seeds, waits pooled): on every burst drain <= {DRAIN_FACTOR}x and wait "
        f"p50 <= {WAIT_P50_FACTOR}x of '{JUMP}'; quiet day and daily curve task-hours <= "
        f"{TASK_HOURS_FACTOR}x of '{FIXED}'; 0 interrupted.",
    ]
    for policy in [NEW, *(p for p in dict.fromkeys(r.policy for r in rows) if p not in POLICIES)]:
        verdicts = judge(rows, policy)
        lines += [v.line() for v in verdicts]
        overall = "PASS" if verdicts and all(v.passes for v in verdicts) else "FAIL"
        lines.append(f"Overall, {policy}: {overall}")
    sweep = [r for r in rows if r.policy not in POLICIES]
    if sweep:
        lines += ["", "messages_per_task sweep (same seeds):"]
        sweep_body = [cells(r) for r in sweep]
        widths = [max(len(x) for x in col) for col in zip(HEADERS, *sweep_body, strict=True)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)))
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in sweep_body
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the comparison (``--markdown`` for the README)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per workload (default 3)")
    parser.add_argument(
        "--messages-per-task",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="also judge the construct with messages_per_task=N (e.g. 1 2 4 10)",
    )
    DOCS_FILE.add_flag(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth_anchors(Path(tmp), stack_calls(args.messages_per_task), PRELUDE)
        rows = measure(paths, args.messages_per_task, args.seeds)
    output = render(rows, args.seeds, markdown=args.markdown or args.write_docs)
    print(output)
    if args.write_docs:
        DOCS_FILE.write(argv, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
