"""Compare scaling policies on the same workloads with ``sqs-scale-to-zero simulate``.

Columns: our basic example, the seed blog's stack, QPFS defaults with min 0, and an always-on
single task. Rows per workload: processed, interrupted, wait p50/p95, task-hours, cost.

Run from the repository root::

    .venv/bin/python -m benchmarks.policies [--markdown]

Our column comes from ``examples/basic`` when that app exists; until the construct lands it
falls back to :func:`reference_template`, a hand-written template of the construct's design
(wake alarm on visible messages, metric-math idle alarm, ExactCapacity 0, task protection).
The anchors are synthesized from :mod:`benchmarks.anchors` (needs aws-cdk-lib and Node.js).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.simulate import WorkItem, simulate
from sqs_scale_to_zero.simulate.report import markdown_table, table
from sqs_scale_to_zero.simulate.workload import (
    burst,
    daily_curve,
    idle_then_one,
    poisson,
)

ROOT = Path(__file__).resolve().parent.parent

COLUMNS = ["ours (basic)", "seed blog", "QPFS defaults", "always-on"]


def reference_template(
    *, idle_minutes: int = 5, cpu_term: bool = True, protection: bool = True
) -> dict[str, Any]:
    """A template with the scaling design of ``ScaleToZeroQueueService``.

    Args:
        idle_minutes: Evaluation periods (= datapoints to alarm) of the idle alarm. Default: 5.
        cpu_term: Include the ``FILL(cpu, 0) <= 5`` term. Default: True.
        protection: Set ``SCALE_TO_ZERO_TASK_PROTECTION=enabled``. Default: True.
    """
    queue_name = {"Fn::GetAtt": ["Queue", "QueueName"]}
    service_name = {"Fn::GetAtt": ["Service", "Name"]}
    cluster = {"Ref": "Cluster"}

    def metric(
        id_: str, ns: str, name: str, dims: list[dict[str, Any]], stat: str
    ) -> dict[str, Any]:
        return {
            "Id": id_,
            "MetricStat": {
                "Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims},
                "Period": 60,
                "Stat": stat,
            },
            "ReturnData": False,
        }

    queries = [
        metric(
            "visible",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": queue_name}],
            "Maximum",
        ),
        metric(
            "inflight",
            "AWS/SQS",
            "ApproximateNumberOfMessagesNotVisible",
            [{"Name": "QueueName", "Value": queue_name}],
            "Maximum",
        ),
    ]
    condition = "FILL(visible, 0) + FILL(inflight, 0) == 0"
    if cpu_term:
        queries.append(
            metric(
                "cpu",
                "AWS/ECS",
                "CPUUtilization",
                [
                    {"Name": "ClusterName", "Value": cluster},
                    {"Name": "ServiceName", "Value": service_name},
                ],
                "Average",
            )
        )
        condition += " AND FILL(cpu, 0) <= 5"
    queries.append(
        {"Id": "idle", "Expression": f"IF({condition}, 1, 0)", "ReturnData": True}
    )
    env = [
        {"Name": "QUEUE_URL", "Value": {"Ref": "Queue"}},
        {"Name": "QUEUE_NAME", "Value": queue_name},
        {
            "Name": "SCALE_TO_ZERO_TASK_PROTECTION",
            "Value": "enabled" if protection else "disabled",
        },
        {"Name": "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS", "Value": "25"},
        {"Name": "SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS", "Value": "300"},
    ]
    return {
        "Resources": {
            "Dlq": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"MessageRetentionPeriod": 1209600},
            },
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": 300,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                        "maxReceiveCount": 5,
                    },
                },
            },
            "Cluster": {"Type": "AWS::ECS::Cluster"},
            "TaskDef": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Cpu": "256",
                    "Memory": "512",
                    "RuntimePlatform": {
                        "CpuArchitecture": "ARM64",
                        "OperatingSystemFamily": "LINUX",
                    },
                    "ContainerDefinitions": [
                        {"Name": "Worker", "Environment": env, "StopTimeout": 30}
                    ],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": cluster,
                    "DesiredCount": 0,
                    "LaunchType": "FARGATE",
                    "TaskDefinition": {"Ref": "TaskDef"},
                },
            },
            "Target": {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "Properties": {
                    "MinCapacity": 0,
                    "MaxCapacity": 4,
                    "ResourceId": {
                        "Fn::Join": ["", ["service/", cluster, "/", service_name]]
                    },
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "ServiceNamespace": "ecs",
                },
            },
            "WakePolicy": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyType": "StepScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "StepScalingPolicyConfiguration": {
                        "AdjustmentType": "ChangeInCapacity",
                        "MetricAggregationType": "Maximum",
                        "Cooldown": 60,
                        "StepAdjustments": [
                            {
                                "MetricIntervalLowerBound": 0,
                                "MetricIntervalUpperBound": 99,
                                "ScalingAdjustment": 1,
                            },
                            {
                                "MetricIntervalLowerBound": 99,
                                "MetricIntervalUpperBound": 499,
                                "ScalingAdjustment": 2,
                            },
                            {"MetricIntervalLowerBound": 499, "ScalingAdjustment": 5},
                        ],
                    },
                },
            },
            "WakeAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Dimensions": [{"Name": "QueueName", "Value": queue_name}],
                    "Statistic": "Maximum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": [{"Ref": "WakePolicy"}],
                },
            },
            "IdlePolicy": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyType": "StepScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "StepScalingPolicyConfiguration": {
                        "AdjustmentType": "ExactCapacity",
                        "StepAdjustments": [
                            {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 0}
                        ],
                    },
                },
            },
            "IdleAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": queries,
                    "EvaluationPeriods": idle_minutes,
                    "DatapointsToAlarm": idle_minutes,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "breaching",
                    "AlarmActions": [{"Ref": "IdlePolicy"}],
                },
            },
        }
    }


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


def _synth_anchors(outdir: Path) -> dict[str, Path]:
    code = (
        "import sys; import aws_cdk as cdk; from benchmarks import anchors; "
        f"app = cdk.App(outdir={str(outdir)!r}); anchors.add_seed_blog(app); "
        "anchors.add_qpfs_defaults(app); anchors.add_always_on(app); app.synth()"
    )
    env = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)
    return {
        n: outdir / f"{n}.template.json"
        for n in ("SeedBlog", "QpfsDefaults", "AlwaysOn")
    }


def _ours(outdir: Path) -> Path:
    basic = ROOT / "examples" / "basic"
    if (basic / "app.py").exists():
        out = outdir / "basic"
        env = dict(
            os.environ,
            CDK_OUTDIR=str(out),
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        )
        subprocess.run([sys.executable, "app.py"], cwd=basic, check=True, env=env)
        found = sorted(out.glob("*.template.json"))
        if found:
            return found[0]
    path = outdir / "reference.template.json"
    path.write_text(json.dumps(reference_template()))
    return path


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table (``--markdown`` for the README)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        anchors = _synth_anchors(out / "anchors")
        templates = [
            _ours(out),
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
            print(
                markdown_table(results, COLUMNS)
                if args.markdown
                else table(results, COLUMNS)
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
