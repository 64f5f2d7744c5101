"""Synthesis time: ScaleToZeroQueueService vs QueueProcessingFargateService of the same shape.

Both stacks get a new VPC, cluster, queue with DLQ, the same image and the same CPU/memory.
Each measurement runs in a fresh Python process (so neither side profits from the other's warm
jsii kernel), the two sides alternate, and the script prints the median of each and their
ratio, and the median of the per-round ratios (robust to the machine's load drifting during the
run). Target: a ratio of at most 1.15. Run it on a quiet machine: with 5-9 rounds the ratio was
seen anywhere from 1.07 to 1.18 on a shared 2-core machine.

    python benchmarks/synth_overhead.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEASURE = r"""
import json, os, sys, time
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
import_done = time.perf_counter()
kind = sys.argv[1]
app = cdk.App()
stack = cdk.Stack(app, "Bench", env=cdk.Environment(account="123456789012", region="us-east-1"))
image = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.12-slim")
if kind == "ours":
    from sqs_scale_to_zero import ScaleToZeroQueueService
    ScaleToZeroQueueService(stack, "Service", image=image, max_capacity=4)
else:
    from aws_cdk import aws_ecs_patterns as ecs_patterns
    ecs_patterns.QueueProcessingFargateService(
        stack, "Service", image=image, min_scaling_capacity=0, max_scaling_capacity=4
    )
template = app.synth().get_stack_by_name("Bench").template
print(json.dumps({"seconds": time.perf_counter() - import_done,
                  "resources": len(template["Resources"])}))
"""


def measure(kind: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, kind],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    ours: list[float] = []
    anchor: list[float] = []
    resources = {}
    for _ in range(args.rounds):
        for kind, times in (("ours", ours), ("qpfs", anchor)):
            sample = measure(kind)
            times.append(sample["seconds"])
            resources[kind] = int(sample["resources"])
    ours_median, anchor_median = statistics.median(ours), statistics.median(anchor)
    paired = statistics.median(o / a for o, a in zip(ours, anchor, strict=True))
    print(f"rounds: {args.rounds} (alternating, one fresh process per synthesis)")
    print(
        f"ScaleToZeroQueueService:        median {ours_median:.2f} s, {resources['ours']} resources"
    )
    print(
        f"QueueProcessingFargateService:  median {anchor_median:.2f} s, {resources['qpfs']} resources"
    )
    print(f"ratio (ours / QPFS): {ours_median / anchor_median:.3f}  (target <= 1.15)")
    print(f"median of per-round ratios: {paired:.3f}")


if __name__ == "__main__":
    main()
