"""Does the service stay up while short messages keep arriving, and still reach zero when idle?

Run with ``sqs-scale-to-zero simulate``'s models: trickles of short jobs
(steady streams of 1-10 s jobs every 30 s to 4 min, Poisson streams at 0.2-2 a minute), the
quiet day and the 8-hour silence of :mod:`benchmarks.policies`, against four stacks synthesized
in one app: ``ScaleToZeroQueueService`` with the basic example's defaults (the fast wake:
alarms on AWS/SQS metrics, a one-minute function that keeps the queue active and wakes the
service) and with ``wake=Wake.FRESH_SIGNAL``, the seed blog's stack and QPFS defaults with min 0
(:mod:`benchmarks.anchors`). Each workload runs with a few seeds.

Columns, per workload and stack, over the seeds:

* real gaps: idle gaps of the workload that reach the stack's ``idle_timeout``;
* task launches: the most in one run (a task running at deploy time counts as one);
* launches after the first wake: tasks launched after the first message started processing,
  the most in one run;
* wait p95 after the first wake: of the messages sent after that moment, pooled over the seeds;
* extra wakes: per stretch of messages from one real gap to the next, the launches some
  message waited for, beyond one (none before the first real gap), over all runs;
* last message -> set to 0 tasks: for every idle gap long enough to judge (no work and no
  message for at least the stack's idle timeout + 2 minutes, the trailing silence included),
  the time from the end of the last message's work before the gap until a scaling activity
  sets the desired count to 0 (:func:`first_set_to_zero`), worst case; ``never`` when the gap
  ends first;
* last message -> last task stopped: the same, until no task is left (:func:`first_zero`):
  the above plus ECS's stop of the last task (the worker's exit after SIGTERM);
* wake after 8 h: the wait p95 of the message after 8 hours of silence (that row only);
* interrupted: tasks stopped mid-message, over all runs.

Goal, judged for our two modes; the anchors are shown for comparison:

* wherever no gap between messages (nor the silence before the first) reaches
  ``idle_timeout``: no further launch and no wait for a wake. Read per stretch between *real
  gaps* (:func:`gap_followers`): at most 1 + (real gaps) task launches in every run, and no
  extra wake (each stretch after a real gap may wait for one wake); with no real gap that is
  exactly 1 launch and no wait for a wake. (A wait p95 of 0 s would be ideal, but a message
  that arrives while the one task is busy queues behind it, which at 2 short jobs a minute
  happens to about 1 in 10, so the table shows the p95 but the goal counts the wakes.)
* after every idle gap: the service set to 0 tasks (the scale-in action's desired count
  reaching 0) within ``idle_timeout`` + 2 minutes of the gap's last work; the last task's stop
  after that is shown, not judged;
* wake after 8 h of silence no slower than today (:data:`TODAY_WAKE_AFTER_8H`);
* 0 interrupted and every message processed.

Run from the repository root::

    .venv/bin/python -m benchmarks.idle_detection [--seeds 3] [--hours 3] [--write-docs]

``--write-docs`` also writes the Markdown output into ``docs/benchmarks/idle-detection.md``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.idle_timeline import (
    first_set_to_zero,
    first_zero,
    gap_followers,
    idle_timeout_seconds,
)
from benchmarks.synth import synth_anchors
from benchmarks.tables import DocsFile, table_lines
from sqs_scale_to_zero.simulate import ServiceModel, WorkItem, load_service
from sqs_scale_to_zero.simulate.report import percentile
from sqs_scale_to_zero.simulate.run import Simulation
from sqs_scale_to_zero.simulate.workload import idle_then_one, poisson, steady

STACKS = {
    "ours (default)": ("ScaleToZero", "anchors.add_scale_to_zero(app, 'ScaleToZero')"),
    "ours (signal)": (
        "ScaleToZeroSignal",
        "anchors.add_scale_to_zero(app, 'ScaleToZeroSignal', wake=Wake.FRESH_SIGNAL)",
    ),
    "seed blog": ("SeedBlog", "anchors.add_seed_blog(app)"),
    "QPFS defaults": ("QpfsDefaults", "anchors.add_qpfs_defaults(app)"),
}
"""Column name -> (stack ID, call adding it in :func:`benchmarks.synth.synth_anchors`)."""

OURS = ("ours (default)", "ours (signal)")
"""The stacks the goal is judged for."""

ZERO_MARGIN_SECONDS = 120.0
"""The goal's allowance beyond ``idle_timeout`` for setting the service to 0 after a real gap."""

EIGHT_HOURS = "8 h of silence, then one 60 s job"

TODAY_WAKE_AFTER_8H = {"ours (default)": 1046.0, "ours (signal)": 218.0}
"""Wake p95 after 8 h of silence in seconds, measured with this benchmark (seeds 0-2, rounded
up to the second) on the construct before its idle alarm read SQS's activity sums, with the
simulator's one-sample gauges: the "no slower than today" bound. With other ``--seeds`` the
bound is approximate. The default's bound is the default of that time (no function: alarms on
SQS's metrics)."""


def workloads(hours: float) -> dict[str, list[WorkItem]]:
    """The workloads, trickles of ``hours`` each."""
    trickles = {
        f"steady: {work:g} s job every {interval:g} s": steady(
            interval_seconds=interval, hours=hours, work_seconds=work, cpu_percent=20.0
        )
        for interval, work in ((30, 1), (60, 5), (90, 2), (120, 5), (240, 10))
    }
    trickles |= {
        f"poisson: {rate:g}/min, 3 s jobs": poisson(
            rate_per_minute=rate, hours=hours, work_seconds=3.0, cpu_percent=20.0, seed=11
        )
        for rate in (0.2, 0.5, 1.0, 2.0)
    }
    trickles["quiet day (20 jobs of 2 min, 5 % CPU)"] = poisson(
        rate_per_minute=20 / 1440, hours=24, work_seconds=120, cpu_percent=5, seed=7
    )
    trickles[EIGHT_HOURS] = idle_then_one(idle_hours=8.0, work_seconds=60.0)
    return trickles


@dataclass(frozen=True)
class Run:
    """What one run shows about idle detection.

    Attributes:
        launches: Task launches (a task running at deploy time counts).
        launches_after_first_wake: Launches after the first message started processing.
        waits_after_first_wake: Waits of the messages sent after that moment.
        extra_wakes: Wakes (launches that a message waited for) beyond one per stretch that
            follows a real idle gap, and beyond none in the stretch before the first gap: each
            is a scale-in idle detection should not have made (or a start it was slow to make).
        waits: Every processed message's wait.
        times_to_set_zero: Per judged idle gap, seconds from its last work until the service is
            set to 0 tasks (inf: never).
        times_to_no_task: Per judged idle gap, seconds from its last work until no task is left
            (inf: never).
        interrupted: Tasks stopped mid-message.
        processed: Messages processed.
        messages: Messages sent.
    """

    launches: int
    launches_after_first_wake: int
    waits_after_first_wake: list[float]
    extra_wakes: int
    waits: list[float]
    times_to_set_zero: list[float]
    times_to_no_task: list[float]
    interrupted: int
    processed: int
    messages: int


def measure_run(
    model: ServiceModel, items: Sequence[WorkItem], seed: int, idle_timeout: float
) -> Run:
    """Simulate once and extract the columns' raw figures."""
    sim = Simulation(model, items, seed=seed)
    result = sim.run()
    done = [m for m in sim.service.messages if m.started_at is not None]
    first_wake = min((m.started_at for m in done if m.started_at is not None), default=math.inf)
    tasks = [
        (t.launched_at, t.stopped_at if t.stopped_at is not None else sim.horizon)
        for t in sim.service.finished
    ]
    launch_times = sorted(launched for launched, _ in tasks)
    changes = sim.target.changes if sim.target is not None else []
    ordered = sorted(sim.service.messages, key=lambda m: m.sent_at)
    set_zero: list[float] = []
    no_task: list[float] = []
    busy_until = -math.inf
    for i, m in enumerate(ordered):
        start = m.started_at if m.started_at is not None else math.inf  # never processed
        busy_until = max(busy_until, start + m.work_seconds)
        gap_end = ordered[i + 1].sent_at if i + 1 < len(ordered) else sim.horizon
        if gap_end - busy_until >= idle_timeout + ZERO_MARGIN_SECONDS:
            for out, zero in (
                (set_zero, first_set_to_zero(changes, launch_times, busy_until, gap_end)),
                (no_task, first_zero(tasks, busy_until, gap_end)),
            ):
                out.append(math.inf if zero is None else zero - busy_until)
    followers = set(gap_followers(items, idle_timeout))
    # a stretch runs from the first message, or one that follows a real gap, to the next such
    # message; a wake is a launch some message of the stretch waited for
    extra = 0
    wakes: set[float] = set()
    allowed = 0
    for i, m in enumerate(ordered):
        if i == 0 or i in followers:
            extra += max(0, len(wakes) - allowed)
            wakes, allowed = set(), 1 if i in followers else 0
        if m.started_at is not None:
            woke = next((t for t in launch_times if m.sent_at < t <= m.started_at), None)
            if woke is not None:
                wakes.add(woke)
    extra += max(0, len(wakes) - allowed)
    after = [
        (i, m.started_at - m.sent_at)
        for i, m in enumerate(ordered)
        if m.started_at is not None and m.sent_at > first_wake
    ]
    return Run(
        launches=result.task_launches,
        launches_after_first_wake=sum(1 for launched, _ in tasks if launched > first_wake),
        waits_after_first_wake=[w for _, w in after],
        extra_wakes=extra,
        waits=list(result.waits),
        times_to_set_zero=set_zero,
        times_to_no_task=no_task,
        interrupted=result.interrupted,
        processed=result.processed,
        messages=result.messages,
    )


@dataclass(frozen=True)
class Row:
    """One workload on one stack, over the seeds."""

    workload: str
    stack: str
    idle_timeout: float
    real_gaps: int
    launches: int
    launches_after_first_wake: int
    wait_p95_after_first_wake: float
    extra_wakes: int
    worst_time_to_set_zero: float | None
    worst_time_to_no_task: float | None
    wake_after_8h: float | None
    interrupted: int
    processed: int
    messages: int

    def failures(self) -> list[str]:
        """The goal's clauses this row misses (empty: PASS)."""
        out: list[str] = []
        allowed = 1 + self.real_gaps
        if self.launches > allowed:
            out.append(f"{self.launches} task launches, {allowed} allowed")
        if self.extra_wakes:
            out.append(f"{self.extra_wakes} extra wakes between real gaps")
        limit = self.idle_timeout + ZERO_MARGIN_SECONDS
        worst = self.worst_time_to_set_zero
        if worst is not None and worst > limit:
            shown = "never" if math.isinf(worst) else f"{worst:.0f} s"
            out.append(f"set to 0 tasks {shown} after a gap's last message (limit {limit:.0f} s)")
        today = TODAY_WAKE_AFTER_8H.get(self.stack)
        if self.wake_after_8h is not None and today is not None and self.wake_after_8h > today:
            out.append(f"wake after 8 h {self.wake_after_8h:.0f} s, today {today:.0f} s")
        if self.interrupted:
            out.append(f"{self.interrupted} interrupted")
        if self.processed != self.messages:
            out.append(f"{self.messages - self.processed} not processed")
        return out


def aggregate(
    workload: str, stack: str, idle_timeout: float, real_gaps: int, runs: Sequence[Run]
) -> Row:
    """Pool the runs of one workload on one stack."""
    after = [w for r in runs for w in r.waits_after_first_wake]
    set_zero = [t for r in runs for t in r.times_to_set_zero]
    no_task = [t for r in runs for t in r.times_to_no_task]
    waits = [w for r in runs for w in r.waits]
    return Row(
        workload=workload,
        stack=stack,
        idle_timeout=idle_timeout,
        real_gaps=real_gaps,
        launches=max(r.launches for r in runs),
        launches_after_first_wake=max(r.launches_after_first_wake for r in runs),
        wait_p95_after_first_wake=percentile(after, 95),
        extra_wakes=sum(r.extra_wakes for r in runs),
        worst_time_to_set_zero=max(set_zero) if set_zero else None,
        worst_time_to_no_task=max(no_task) if no_task else None,
        wake_after_8h=percentile(waits, 95) if workload == EIGHT_HOURS else None,
        interrupted=sum(r.interrupted for r in runs),
        processed=sum(r.processed for r in runs),
        messages=sum(r.messages for r in runs),
    )


def measure(templates: dict[str, Path], seeds: int, hours: float) -> list[Row]:
    """Every workload on every stack over ``seeds`` seeds."""
    models = {name: load_service(path) for name, path in templates.items()}
    rows: list[Row] = []
    for workload, items in workloads(hours).items():
        for name, model in models.items():
            timeout = idle_timeout_seconds(model)
            runs = [measure_run(model, items, seed, timeout) for seed in range(seeds)]
            gaps = len(gap_followers(items, timeout))
            rows.append(aggregate(workload, name, timeout, gaps, runs))
    return rows


def fmt_seconds(s: float | None) -> str:
    """Seconds as ``42 s``, ``3.5 min`` or ``never``; ``-`` for none."""
    if s is None:
        return "-"
    if math.isinf(s):
        return "never"
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def fmt_to_zero(s: float | None) -> str:
    """A time to 0 tasks in seconds to a tenth (``419.5 s``), as the goal's limit is judged;
    ``never`` or ``-`` as :func:`fmt_seconds`."""
    if s is None or math.isinf(s):
        return fmt_seconds(s)
    return f"{s:.1f} s"


HEADERS = [
    "workload",
    "stack",
    "real gaps",
    "task launches",
    "launches after first wake",
    "wait p95 after first wake",
    "extra wakes",
    "last message -> set to 0 tasks",
    "last message -> last task stopped",
    "wake after 8 h",
    "interrupted",
    "goal",
]


def cells(row: Row) -> list[str]:
    """The table cells of ``row``."""
    goal = ("PASS" if not row.failures() else "FAIL") if row.stack in OURS else "-"
    return [
        row.workload,
        row.stack,
        str(row.real_gaps),
        str(row.launches),
        str(row.launches_after_first_wake),
        fmt_seconds(row.wait_p95_after_first_wake),
        str(row.extra_wakes),
        fmt_to_zero(row.worst_time_to_set_zero),
        fmt_to_zero(row.worst_time_to_no_task),
        fmt_seconds(row.wake_after_8h),
        str(row.interrupted),
        goal,
    ]


DOCS_FILE = DocsFile("idle-detection", "Idle detection, measured", "idle_detection")


def render(rows: Sequence[Row], seeds: int, *, markdown: bool = False) -> str:
    """The table and one goal line per row of our two modes."""
    body = [cells(r) for r in rows]
    lines = table_lines(HEADERS, body, markdown=markdown)
    lines.append("")
    lines.append(
        f"Goal, over {seeds} seeds: at most 1 + (real gaps) task launches and no "
        "extra wake (one per real gap); the service set to 0 tasks (the scale-in action's "
        f"desired count 0) within idle_timeout + {ZERO_MARGIN_SECONDS / 60:.0f} min of a real "
        "gap's last message (the last task's stop after that is shown, not judged); wake after "
        "8 h no slower than today; 0 interrupted. Anchors are not judged."
    )
    for r in rows:
        if r.stack in OURS:
            failures = r.failures()
            verdict = "PASS" if not failures else "FAIL (" + "; ".join(failures) + ")"
            lines.append(f"- {r.workload}, {r.stack}: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table and the goal lines."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per workload (default 3)")
    parser.add_argument("--hours", type=float, default=3.0, help="hours per trickle (default 3)")
    DOCS_FILE.add_flag(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        calls = {stack_id: call for stack_id, call in STACKS.values()}
        paths = synth_anchors(Path(tmp), calls, "from sqs_scale_to_zero import Wake")
        templates = {name: paths[stack_id] for name, (stack_id, _) in STACKS.items()}
        rows = measure(templates, args.seeds, args.hours)
    output = render(rows, args.seeds, markdown=args.markdown or args.write_docs)
    print(output)
    if args.write_docs:
        DOCS_FILE.write(argv, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
