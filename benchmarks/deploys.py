"""Deploys on a working queue: ours vs QPFS defaults vs the seed blog, several seeds.

Scenarios, each simulated with ``--deploy-at`` on every stack with the same seeds (0 to
``--seeds`` - 1, :data:`DEFAULT_SEEDS`); a row pools the deployments of every seed (counts
summed, waits pooled, the worst deployment shown):

* ``busy day``: 24 h of Poisson arrivals at 4 a minute of jobs of 60 s on average
  (exponentially distributed), as much as the default ``max_capacity`` (4 tasks) can do, so the
  queue keeps a backlog; a deploy every 2 h.
* ``2-hour jobs``: 6 jobs of 2 h sent at once; one deploy an hour later, in the middle of the
  first ones.

Stacks (:mod:`benchmarks.anchors`): ``ScaleToZeroQueueService`` with the basic example's
defaults, ``QueueProcessingFargateService`` defaults with min 0, and the seed blog's stack.
``--template NAME=PATH`` adds a template of your own (e.g. a patched one) as another stack.

Per deployment (:class:`~sqs_scale_to_zero.simulate.report.DeploymentResult`) the goal is:

* completed within the longest job in progress at the deploy plus two task starts (two of the
  simulator's slowest starts,
  :attr:`StartLatency.high <sqs_scale_to_zero.simulate.models.tasks.StartLatency>`);
* 0 messages interrupted;
* messages started on old code after the deploy: at most one per old task, and none later than
  one poll (one long poll, :data:`~sqs_scale_to_zero.worker.contract.SQS_MAX_WAIT_SECONDS`)
  after the deploy.

Each row prints deployments completed / total, the worst completion against its goal,
interrupted (by the deploys, and in the whole run: scale-in stops busy tasks too, so a stack
may be at zero at a deploy because it already stopped the jobs), started on old code against
the allowance, duplicates and the verdict: PASS or FAIL with what failed for ours, and for the
anchors what they do instead.

Run from the repository root::

    .venv/bin/python -m benchmarks.deploys [--seeds 3] [--markdown] [--template NAME=PATH]

``--write-docs`` also writes the Markdown output into ``docs/benchmarks/deploys.md``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.synth import synth_anchors
from benchmarks.tables import DocsFile, table_lines
from sqs_scale_to_zero.simulate import Result, SimulationConfig, WorkItem, simulate
from sqs_scale_to_zero.simulate.report import DeploymentResult, percentile
from sqs_scale_to_zero.simulate.workload import burst, poisson
from sqs_scale_to_zero.worker.contract import SQS_MAX_WAIT_SECONDS

HOUR = 3600.0
DEFAULT_SEEDS = 3
TASK_STARTS_ALLOWED = 2
OLD_STARTS_PER_TASK = 1
POLL_SECONDS = float(SQS_MAX_WAIT_SECONDS)


@dataclass(frozen=True)
class Scenario:
    """A workload, its deployment times and the horizon (``None``: the simulator's default)."""

    workload: list[WorkItem]
    deploy_at: list[float]
    horizon: float | None = None


SCENARIOS: dict[str, Scenario] = {
    "busy day (4/min, jobs of 60 s mean, deploy every 2 h)": Scenario(
        poisson(rate_per_minute=4, hours=24, work_seconds=60, cpu_percent=60, seed=5),
        [k * 2 * HOUR for k in range(1, 12)],
    ),
    "2-hour jobs (6 at once, deploy after 1 h)": Scenario(
        burst(count=6, at=60.0, spread_seconds=0.0, work_seconds=2 * HOUR, cpu_percent=50.0),
        [HOUR + 60.0],
        horizon=6 * HOUR,
    ),
}

OURS = "ours (basic)"
STACK_CALLS = {
    OURS: ("ScaleToZero", "anchors.add_scale_to_zero(app)"),
    "QPFS defaults": ("QpfsDefaults", "anchors.add_qpfs_defaults(app)"),
    "seed blog": ("SeedBlog", "anchors.add_seed_blog(app)"),
}


def goal_seconds(deployment: DeploymentResult, task_start: float) -> float:
    """The longest job in progress at the deploy plus two task starts."""
    return deployment.longest_job_in_progress + TASK_STARTS_ALLOWED * task_start


def deployment_failures(deployment: DeploymentResult, task_start: float) -> list[str]:
    """What one deployment misses of the goal (empty: it meets it)."""
    failures = []
    done = deployment.completed_after_seconds
    if done is None:
        failures.append("never completes")
    elif done > goal_seconds(deployment, task_start):
        failures.append("completes late")
    if deployment.interrupted:
        failures.append("interrupts messages")
    if (
        deployment.started_on_old_code > deployment.old_tasks * OLD_STARTS_PER_TASK
        or deployment.most_old_starts_per_task > OLD_STARTS_PER_TASK
        or (deployment.last_old_start_after or 0.0) > POLL_SECONDS
    ):
        failures.append("old code keeps taking messages")
    if deployment.duplicates:
        failures.append("duplicates messages")
    return failures


@dataclass
class Row:
    """One stack on one scenario."""

    scenario: str
    stack: str
    deployments: list[DeploymentResult]
    task_start: float
    run_interrupted: int = 0
    wait_p95: float = 0.0
    wait_p95_without_deploys: float = 0.0
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for deployment in self.deployments:
            for failure in deployment_failures(deployment, self.task_start):
                if failure not in self.failures:
                    self.failures.append(failure)

    @property
    def passes(self) -> bool:
        """Every deployment meets the goal."""
        return not self.failures

    def cells(self) -> list[str]:
        """The row's cells, under :data:`HEADERS`."""
        ds = self.deployments
        completed = sum(1 for d in ds if d.completed_after_seconds is not None)
        worst = max(ds, key=self._lateness) if ds else None
        if worst is None:
            worst_text = "-"
        else:
            done = worst.completed_after_seconds
            when = "never" if done is None else _fmt(done)
            worst_text = f"{when} (goal {_fmt(goal_seconds(worst, self.task_start))})"
        started = sum(d.started_on_old_code for d in ds)
        allowance = sum(d.old_tasks * OLD_STARTS_PER_TASK for d in ds)
        latest = max((d.last_old_start_after or 0.0 for d in ds), default=0.0)
        old_text = f"{started} (allowed {allowance}; latest +{_fmt(latest)})"
        verdict = self.verdict()
        return [
            self.scenario,
            self.stack,
            f"{completed}/{len(ds)}",
            worst_text,
            f"{sum(d.interrupted for d in ds)} (run: {self.run_interrupted})",
            old_text,
            str(sum(d.duplicates for d in ds)),
            f"{_fmt(self.wait_p95)} ({_fmt(self.wait_p95_without_deploys)})",
            verdict,
        ]

    @property
    def judged(self) -> bool:
        """Ours (or a template given with ``--template``): judged PASS/FAIL; else an anchor."""
        return self.stack == OURS or self.stack not in STACK_CALLS

    def verdict(self) -> str:
        """PASS/FAIL and what failed for ours; for an anchor, what it does instead."""
        if self.judged:
            return "PASS" if self.passes else "FAIL: " + ", ".join(self.failures)
        instead = list(self.failures)
        outside = self.run_interrupted - sum(d.interrupted for d in self.deployments)
        if outside:
            instead.append(f"scale-in interrupts {outside} outside the deploys")
        return ", ".join(instead) if instead else "meets the goal"

    def _lateness(self, deployment: DeploymentResult) -> float:
        done = deployment.completed_after_seconds
        if done is None:
            return float("inf")
        return done - goal_seconds(deployment, self.task_start)


HEADERS = [
    "scenario",
    "stack",
    "completed",
    "worst completion (goal)",
    "interrupted in deploys (run)",
    "started on old code",
    "duplicates",
    "wait p95 (same run without deploys)",
    "verdict / what it does instead",
]


def _fmt(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * HOUR:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / HOUR:.2f} h"


def rows_for(
    scenario: str,
    stacks: Sequence[str],
    runs: Sequence[Sequence[Result]],
    task_start: float,
    without_deploys: Sequence[Sequence[Result]] | None = None,
) -> list[Row]:
    """One :class:`Row` per stack from its runs over the seeds (and the same runs without the
    deploys): every seed's deployments, interrupted summed, waits pooled."""
    baselines = list(without_deploys) if without_deploys is not None else list(runs)
    return [
        Row(
            scenario,
            stack,
            [d for result in results for d in result.deployments],
            task_start,
            sum(result.interrupted for result in results),
            wait_p95=percentile([w for r in results for w in r.waits], 95),
            wait_p95_without_deploys=percentile([w for r in baseline for w in r.waits], 95),
        )
        for stack, results, baseline in zip(stacks, runs, baselines, strict=True)
    ]


DOCS_FILE = DocsFile("deploys", "Deploys, measured", "deploys")


def render(rows: Sequence[Row], *, markdown: bool) -> str:
    """The table and the overall verdict on our stack(s)."""
    lines = table_lines(HEADERS, [row.cells() for row in rows], markdown=markdown)
    ours = [row for row in rows if row.judged]
    overall = "PASS" if ours and all(row.passes for row in ours) else "FAIL"
    return "\n".join(
        [*lines, "", f"Overall, {', '.join(sorted({r.stack for r in ours}))}: {overall}"]
    )


def _extra(specs: Sequence[str]) -> dict[str, Path]:
    extra = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--template expects NAME=PATH, got {spec!r}")
        extra[name] = Path(path)
    return extra


def main(argv: list[str] | None = None) -> int:
    """Simulate every scenario on every stack and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help=f"seeds (default {DEFAULT_SEEDS})"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--template", action="append", default=[], metavar="NAME=PATH", help="another stack"
    )
    DOCS_FILE.add_flag(parser)
    args = parser.parse_args(argv)
    extra = _extra(args.template)
    task_start = SimulationConfig().start_latency.high
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth_anchors(Path(tmp), dict(STACK_CALLS.values()))
        stacks = {name: paths[stack_id] for name, (stack_id, _) in STACK_CALLS.items()}
        stacks.update(extra)
        rows: list[Row] = []
        for name, scenario in SCENARIOS.items():
            runs: list[list[Result]] = [[] for _ in stacks]
            without: list[list[Result]] = [[] for _ in stacks]
            for seed in range(args.seeds):
                deployed = simulate(
                    list(stacks.values()),
                    scenario.workload,
                    seed=seed,
                    horizon=scenario.horizon,
                    deploy_at=scenario.deploy_at,
                )
                plain = simulate(
                    list(stacks.values()), scenario.workload, seed=seed, horizon=scenario.horizon
                )
                for bucket, result in zip(runs, deployed, strict=True):
                    bucket.append(result)
                for bucket, result in zip(without, plain, strict=True):
                    bucket.append(result)
            rows += rows_for(name, list(stacks), runs, task_start, without)
    output = render(rows, markdown=args.markdown or args.write_docs)
    print(output)
    if args.write_docs:
        DOCS_FILE.write(argv, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
