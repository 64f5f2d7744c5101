"""GPU workers that scale to zero instances: one run, several seeds pooled.

Every configuration runs one NVIDIA GPU task per g5.xlarge ($1.006 an hour on demand in US East,
as :mod:`sqs_scale_to_zero.instance_types` lists and cites it) of an Auto Scaling group capacity
provider, at most one, as the always-on instance (:mod:`benchmarks.gpu_anchors`):

* ``ours``: ``Capacity.gpu_instances()`` with the default wake (``Wake.FAST``);
* ``ours + warm pool``: ``Capacity.gpu_instances(warm_pool=True)``, one stopped instance;
* ``ours + 1 kept instance``: ``Capacity.gpu_instances(min_instances=1)``;
* ``ours, idle 30 min``: ``idle_timeout=Duration.minutes(30)``;
* ``always on``: one task on one instance all day;
* ``KEDA-like``: a 5-minute cooldown judged by the queue length alone, no task protection;
* ``QPFS EC2``: ``QueueProcessingEc2Service`` with ``min_scaling_capacity=0``, default steps.

Workloads, 24 hours each, seeded: the sparse inference day (40 jobs of 3 minutes in 8 bursts of
5 at random hours), a steady trickle (Poisson, 2 jobs of 3 minutes an hour), and single wakes
(12 jobs, 2 hours apart, each at a random second: every one a wake from zero instances, so its
wait is the whole cold start). Waits are pooled over the seeds; cost, instance-hours and
launches (warm-pool starts included) are means per day.

Goal, judged on ``ours``: on the sparse day cost at most 25 % of ``always on`` and nothing
interrupted; on single wakes, wait p95 at most 60 s above the p95 of the modelled launch + pull
+ start (:mod:`sqs_scale_to_zero.simulate.models.instances.assumptions`).

Run from the repository root::

    .venv/bin/python -m benchmarks.gpu [--seeds 5] [--markdown] [--write-docs]

``--write-docs`` also writes the Markdown output into ``docs/benchmarks/gpu.md``.
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
from sqs_scale_to_zero.simulate.models.instances.assumptions import (
    HOURS_PER_MONTH,
    InstanceAssumptions,
)
from sqs_scale_to_zero.simulate.report import percentile
from sqs_scale_to_zero.simulate.workload import poisson

DAY_SECONDS = 24 * 3600.0
JOB_SECONDS = 180.0
BURSTS, JOBS_PER_BURST = 8, 5
WAKES = 11
"""Single jobs in a day, 2 hours apart from 1 h on."""
TRICKLE_PER_HOUR = 2.0
COST_GOAL, WAKE_MARGIN_SECONDS = 0.25, 60.0

OURS, WARM, KEEP, LONG = "ours", "ours + warm pool", "ours + 1 kept instance", "ours, idle 30 min"
ALWAYS_ON, KEDA, QPFS = "always on", "KEDA-like", "QPFS EC2"
STACKS = {
    OURS: ("GpuOurs", "gpu_anchors.add_gpu_scale_to_zero(app, 'GpuOurs')"),
    WARM: ("GpuWarm", "gpu_anchors.add_gpu_scale_to_zero(app, 'GpuWarm', warm_pool=True)"),
    KEEP: ("GpuKeep", "gpu_anchors.add_gpu_scale_to_zero(app, 'GpuKeep', min_instances=1)"),
    LONG: ("GpuLong", "gpu_anchors.add_gpu_scale_to_zero(app, 'GpuLong', idle_timeout_minutes=30)"),
    ALWAYS_ON: ("GpuAlwaysOn", "gpu_anchors.add_gpu_always_on(app)"),
    KEDA: ("GpuKedaLike", "gpu_anchors.add_gpu_keda_like(app)"),
    QPFS: ("GpuQpfsEc2", "gpu_anchors.add_gpu_qpfs_ec2(app)"),
}


def sparse_day(seed: int) -> list[WorkItem]:
    """40 jobs of 3 minutes: 8 bursts of 5 within a minute, at random times of the day."""
    rng = random.Random(seed)
    starts = sorted(rng.uniform(3600.0, DAY_SECONDS - 3600.0) for _ in range(BURSTS))
    return [
        WorkItem(at + rng.uniform(0.0, 60.0), JOB_SECONDS, 80.0)
        for at in starts
        for _ in range(JOBS_PER_BURST)
    ]


def trickle(seed: int) -> list[WorkItem]:
    """Poisson arrivals, 2 an hour, of 3-minute jobs, for 23 hours."""
    return [
        WorkItem(w.at, JOB_SECONDS, 80.0)
        for w in poisson(
            rate_per_minute=TRICKLE_PER_HOUR / 60.0, hours=23.0, work_seconds=1.0, seed=seed
        )
    ]


def single_wakes(seed: int) -> list[WorkItem]:
    """12 jobs of 3 minutes, one every 2 hours (at a random second of its hour)."""
    rng = random.Random(seed)
    return [
        WorkItem(hour * 7200.0 + 3600.0 + rng.uniform(0.0, 60.0), JOB_SECONDS, 80.0)
        for hour in range(WAKES)
    ]


SPARSE, TRICKLE, SINGLE = "sparse day (40 x 3 min in bursts)", "trickle (2/h)", "single wakes"
WORKLOADS = {SPARSE: sparse_day, TRICKLE: trickle, SINGLE: single_wakes}


@dataclass(frozen=True)
class Row:
    """One configuration on one workload, over the seeds."""

    workload: str
    config: str
    cost_per_day: float
    instance_hours: float
    launches: float
    wait_mean: float
    wait_p50: float
    wait_p95: float
    interrupted: int
    unprocessed: int
    messages: int


def aggregate(workload: str, config: str, results: Sequence[Result]) -> Row:
    n = len(results)
    waits = [w for r in results for w in r.waits]
    return Row(
        workload=workload,
        config=config,
        cost_per_day=sum(r.cost_usd for r in results) / n,
        instance_hours=sum(r.instance_hours for r in results) / n,
        launches=sum(r.instance_launches + r.instance_warm_starts for r in results) / n,
        wait_mean=sum(waits) / len(waits) if waits else 0.0,
        wait_p50=percentile(waits, 50),
        wait_p95=percentile(waits, 95),
        interrupted=sum(r.interrupted for r in results),
        unprocessed=sum(r.unprocessed for r in results),
        messages=sum(r.messages for r in results),
    )


def cold_start_p95(assumptions: InstanceAssumptions, samples: int = 20000) -> float:
    """p95 of launch + image pull + container start, by sampling the model's distributions."""
    rng = random.Random(0)
    chain = [
        assumptions.launch.sample(rng)
        + assumptions.image_pull.sample(rng)
        + assumptions.container_start.sample(rng)
        for _ in range(samples)
    ]
    return percentile(chain, 95)


def chain_parts(rows: Sequence[Row], assumptions: InstanceAssumptions) -> str:
    """What a wake from zero instances is made of: each modelled stage's mean, and the rest.

    The rest is the mean single-wake wait of ``ours`` less the stages: the wake function's
    poll (up to a minute) and anything else the wake waits for.
    """
    stages = {
        "launch": assumptions.launch,
        "pull": assumptions.image_pull,
        "start": assumptions.container_start,
    }
    means = {name: (d.low + d.mode + d.high) / 3.0 for name, d in stages.items()}
    wakes = next(r for r in rows if r.workload == SINGLE and r.config == OURS)
    parts = {**means, "poll and the rest": wakes.wait_mean - sum(means.values())}
    return f"single wake, mean {wakes.wait_mean:.0f} s: " + ", ".join(
        f"{name} {seconds:.0f} s ({seconds / wakes.wait_mean:.0%})"
        for name, seconds in parts.items()
    )


def run(seeds: int) -> list[Row]:
    """Synthesize every configuration, simulate each workload for each seed, aggregate."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth_anchors(
            Path(tmp),
            dict(STACKS.values()),
            prelude="from benchmarks import gpu_anchors",
        )
        rows = []
        config = SimulationConfig()
        for workload, make in WORKLOADS.items():
            items = {seed: make(seed) for seed in range(seeds)}
            for name, (stack_id, _) in STACKS.items():
                results = [
                    r
                    for seed in range(seeds)
                    for r in simulate(
                        [str(paths[stack_id])],
                        items[seed],
                        seed=seed,
                        horizon=DAY_SECONDS,
                        config=config,
                    )
                ]
                rows.append(aggregate(workload, name, results))
        return rows


def verdict(rows: Sequence[Row], chain_p95: float) -> list[str]:
    """The goal's lines, judged on ``ours``."""
    ours = next(r for r in rows if r.workload == SPARSE and r.config == OURS)
    always = next(r for r in rows if r.workload == SPARSE and r.config == ALWAYS_ON)
    wakes = next(r for r in rows if r.workload == SINGLE and r.config == OURS)
    ratio = ours.cost_per_day / always.cost_per_day
    above = wakes.wait_p95 - chain_p95
    return [
        f"cost vs always on: {ratio:.1%} (goal <= {COST_GOAL:.0%}): "
        + ("met" if ratio <= COST_GOAL else "NOT met"),
        f"interrupted: {ours.interrupted} (goal 0): "
        + ("met" if not ours.interrupted else "NOT met"),
        f"wake p95 {wakes.wait_p95:.0f} s vs modelled launch + pull + start p95 {chain_p95:.0f} s: "
        f"{above:+.0f} s (goal <= +{WAKE_MARGIN_SECONDS:.0f} s): "
        + ("met" if above <= WAKE_MARGIN_SECONDS else "NOT met"),
    ]


DOCS_FILE = DocsFile("gpu", "GPU workers, measured", "gpu")


def render(rows: Sequence[Row], *, markdown: bool) -> list[str]:
    headers = [
        "workload",
        "configuration",
        "cost/day",
        "cost/month",
        "% of always on",
        "instance-h/day",
        "launches/day",
        "wait p50",
        "wait p95",
        "interrupted",
        "unprocessed",
    ]
    always = {r.workload: r.cost_per_day for r in rows if r.config == ALWAYS_ON}
    body = [
        [
            r.workload,
            r.config,
            f"${r.cost_per_day:.2f}",
            f"${r.cost_per_day * HOURS_PER_MONTH / 24:.0f}",
            f"{r.cost_per_day / always[r.workload]:.0%}",
            f"{r.instance_hours:.1f}",
            f"{r.launches:.1f}",
            f"{r.wait_p50:.0f} s" if r.unprocessed < r.messages else "-",
            f"{r.wait_p95:.0f} s" if r.unprocessed < r.messages else "-",
            str(r.interrupted),
            str(r.unprocessed),
        ]
        for r in rows
    ]
    return table_lines(headers, body, markdown=markdown)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=5, help="seeds per workload (default 5)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    DOCS_FILE.add_flag(parser)
    args = parser.parse_args(argv)
    rows = run(args.seeds)
    chain = cold_start_p95(SimulationConfig().instances)
    lines = [
        *render(rows, markdown=args.markdown or args.write_docs),
        "",
        *verdict(rows, chain),
        chain_parts(rows, SimulationConfig().instances),
    ]
    output = "\n".join(lines)
    print(output)
    if args.write_docs:
        DOCS_FILE.write(argv, output)


if __name__ == "__main__":
    main()
