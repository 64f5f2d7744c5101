"""The monthly bill of a synthesized stack while its queue is idle, item by item.

Read from the template alone, like the rest of the simulator: what the stack costs in a month in
which no message arrives and no task runs. Prices are us-east-1 list prices as AWS's pricing
pages give them (read 2026-12-06), free tiers NOT applied (an account running other workloads
may have used them up), except the dashboard's, which is shown both ways:

* CloudWatch, https://aws.amazon.com/cloudwatch/pricing/: $0.10 per standard-resolution alarm
  metric a month ($0.30 high resolution; a metric-math alarm is billed for each metric it
  reads); $0.30 per custom metric a month, "prorated by the hour and metered only when they
  are sent to CloudWatch"; $0.01 per 1,000 ``PutMetricData`` requests (``DescribeAlarms``,
  ``DisableAlarmActions`` and ``EnableAlarmActions`` are not on the request price list: $0);
  $3.00 per dashboard a month, three dashboards free per account; logs $0.50 per GB ingested
  and $0.03 per GB-month stored.
* Container Insights: "Metrics collected by Container Insights are charged as custom metrics"
  (Amazon ECS developer guide, "Amazon ECS CloudWatch Container Insights"). AWS does not say
  which of them ECS still sends for a service with no task; the bill assumes, pessimistically,
  the task counts: per service ``DesiredTaskCount``, ``RunningTaskCount``,
  ``PendingTaskCount``, ``DeploymentCount`` and ``TaskSetCount``, per cluster ``TaskCount``
  and ``ServiceCount``, every hour.
* Lambda, https://aws.amazon.com/lambda/pricing/: $0.20 per million requests, $0.0000166667
  per GB-second on x86_64 and $0.0000133334 on arm64; each run of a scheduled function is
  billed :data:`RUN_SECONDS` (assumed, not measured: three API calls in the Region) and writes
  :data:`LOG_BYTES_PER_RUN` of log (Lambda's START, END and REPORT lines; assumed).
* SQS, https://aws.amazon.com/sqs/pricing/: $0.40 per million requests (``GetQueueAttributes``
  included). Tasks' long polling stops with the last task: no other request while idle.
* ECS ``DescribeServices`` and ``UpdateService``: no charge (Amazon ECS pricing: you pay for
  the Fargate resources your tasks use). EventBridge: scheduled rules invoke at no charge
  (Amazon EventBridge pricing).
* GPU instances (:mod:`~sqs_scale_to_zero.simulate.models.instances`): none runs at zero tasks
  unless the group keeps ``MinSize`` instances, billed every hour at the instance type's
  on-demand price (Spot at the instance model's factor) plus the root volume; a warm pool's
  stopped instances bill only their volumes (EBS gp3 $0.08 per GB-month,
  https://aws.amazon.com/ebs/pricing/, and https://aws.amazon.com/ec2/pricing/on-demand/).
* KMS, https://aws.amazon.com/kms/pricing/: $1.00 per customer managed key a month. NAT,
  https://aws.amazon.com/vpc/pricing/: $0.045 a gateway-hour. No flow logs without traffic.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.simulate.models.instances.assumptions import InstanceAssumptions
from sqs_scale_to_zero.simulate.models.instances.reader import read_instance_capacity
from sqs_scale_to_zero.simulate.models.wake_function.reader import schedule_rate_seconds
from sqs_scale_to_zero.simulate.plain_names import alarm_name, function_role
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.reader import CONTAINER_INSIGHTS_ON, TemplateReader
from sqs_scale_to_zero.worker import contract

PRICES_READ_ON = "2026-12-06"
"""The date the prices below were read from AWS's pricing pages."""
HOURS_PER_MONTH = 730.0
"""AWS's pricing month."""
ALARM_METRIC_MONTH = 0.10
HIGH_RESOLUTION_ALARM_METRIC_MONTH = 0.30
CUSTOM_METRIC_MONTH = 0.30
PUT_METRIC_DATA_PER_REQUEST = 0.01 / 1000
DASHBOARD_MONTH = 3.00
FREE_DASHBOARDS = 3
LOGS_PER_GB_INGESTED = 0.50
LOGS_PER_GB_MONTH_STORED = 0.03
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
SQS_PER_REQUEST = 0.40 / 1e6
KMS_KEY_MONTH = 1.00
NAT_GATEWAY_HOUR = 0.045
RUN_SECONDS = 0.3
"""Assumed billed duration of one warm run of a scheduled function. Not measured."""
LOG_BYTES_PER_RUN = 350
"""Assumed log bytes one run writes (Lambda's START, END and REPORT lines)."""
CONTAINER_INSIGHTS_IDLE_METRICS_PER_SERVICE = 5
CONTAINER_INSIGHTS_IDLE_METRICS_PER_CLUSTER = 2

CLOUDWATCH_PRICING = "https://aws.amazon.com/cloudwatch/pricing/"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
SQS_PRICING = "https://aws.amazon.com/sqs/pricing/"


@dataclass(frozen=True)
class BillLine:
    """One item of the idle bill.

    Attributes:
        item: What is billed, in plain words ("alarm: idle scale-in").
        quantity: How much of it, in words.
        usd: USD a month.
        price: The unit price it is billed at.
        source: The pricing page.
        resources: The template's logical IDs behind the item, for the technical detail.
            Default: none.
    """

    item: str
    quantity: str
    usd: float
    price: str
    source: str
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdleBill:
    """A stack's monthly bill while its queue is idle.

    Attributes:
        lines: Every item, dashboards excluded.
        dashboards: Dashboards in the stack ($3.00 each beyond the account's three free).
    """

    lines: tuple[BillLine, ...]
    dashboards: int

    @property
    def total(self) -> float:
        """USD a month, with the stack's dashboards among the account's three free ones."""
        return sum(line.usd for line in self.lines)

    @property
    def dashboards_usd(self) -> float:
        """USD a month for the dashboards where the account's free ones are used up."""
        return self.dashboards * DASHBOARD_MONTH

    def summary(self, width: int = 94, *, details: bool = False) -> list[str]:
        """The bill as lines of ``width`` at most, logical IDs too where ``details``."""
        items = [
            (
                f"${line.usd:.2f}",
                f"{line.item}: {line.quantity} at {line.price}"
                + (f" [{', '.join(line.resources)}]" if details and line.resources else ""),
            )
            for line in self.lines
        ]
        if self.dashboards:
            items.append(
                (
                    f"+ ${self.dashboards_usd:.2f}",
                    f"{self.dashboards} dashboard(s) at ${DASHBOARD_MONTH:.2f}, $0 among the "
                    f"account's {FREE_DASHBOARDS} free ones",
                )
            )
        out = [f"idle bill: ${self.total:.2f}/month at us-east-1 list prices ({PRICES_READ_ON})"]
        for usd, text in items:
            lead = f"  {usd}  "
            out += textwrap.wrap(
                text, width, initial_indent=lead, subsequent_indent=" " * len(lead)
            )
        return out

    def markdown(self) -> str:
        """The bill as a Markdown table with a total row."""
        rows = ["| item | quantity | price | USD / month |", "|---|---|---|---:|"]
        rows += [
            f"| {line.item} | {line.quantity} | [{line.price}]({line.source}) | {line.usd:.2f} |"
            for line in self.lines
        ]
        if self.dashboards:
            rows.append(
                f"| CloudWatch dashboard | {self.dashboards} | "
                f"[${DASHBOARD_MONTH:.2f} each beyond {FREE_DASHBOARDS} free per account]"
                f"({CLOUDWATCH_PRICING}) | 0.00 (or {self.dashboards_usd:.2f}) |"
            )
        rows.append(f"| **total** | | | **{self.total:.2f}** |")
        return "\n".join(rows)


def idle_bill(path: str | Path) -> IdleBill:
    """The idle bill of the template at ``path``."""
    return bill_of(TemplateReader.from_path(path))


def bill_of(reader: TemplateReader) -> IdleBill:
    """The idle bill of a read template."""
    lines = [*_alarm_metrics(reader), *_scheduled_functions(reader), *_container_insights(reader)]
    lines += _gpu_instances(reader)
    keys = tuple(reader.of_type("AWS::KMS::Key"))
    if keys:
        lines.append(
            BillLine(
                "encryption keys (KMS, customer managed)",
                f"{len(keys)}",
                len(keys) * KMS_KEY_MONTH,
                f"${KMS_KEY_MONTH:.2f} per key-month",
                "https://aws.amazon.com/kms/pricing/",
                keys,
            )
        )
    gateways = tuple(reader.of_type("AWS::EC2::NatGateway"))
    if gateways:
        lines.append(
            BillLine(
                "NAT gateways (the private subnets' way out)",
                f"{len(gateways)}, every hour",
                len(gateways) * NAT_GATEWAY_HOUR * HOURS_PER_MONTH,
                f"${NAT_GATEWAY_HOUR} per hour",
                "https://aws.amazon.com/vpc/pricing/",
                gateways,
            )
        )
    return IdleBill(tuple(lines), len(reader.of_type("AWS::CloudWatch::Dashboard")))


def _alarm_metrics(reader: TemplateReader) -> list[BillLine]:
    """One line per alarm, named in plain words, billed for every metric it reads."""
    lines: list[BillLine] = []
    for lid, alarm in reader.of_type("AWS::CloudWatch::Alarm").items():
        queries = alarm.get("Metrics")
        stats = (
            [q["MetricStat"] for q in queries if isinstance(q.get("MetricStat"), dict)]
            if isinstance(queries, list)
            else [alarm]
        )
        high = sum(1 for stat in stats if float(stat.get("Period", 60)) < 60)
        lines.append(
            BillLine(
                f"alarm: {alarm_name(lid, alarm, stats)}",
                f"{len(stats)} metric{'' if len(stats) == 1 else 's'}"
                + (f" ({high} high-resolution)" if high else ""),
                (len(stats) - high) * ALARM_METRIC_MONTH
                + high * HIGH_RESOLUTION_ALARM_METRIC_MONTH,
                f"${ALARM_METRIC_MONTH:.2f} per alarm metric-month",
                CLOUDWATCH_PRICING,
                (lid,),
            )
        )
    return lines


def _scheduled_runs(reader: TemplateReader) -> dict[str, float]:
    """Runs a month of every function a ``rate(...)`` rule invokes, by logical ID."""
    functions = reader.of_type("AWS::Lambda::Function")
    runs: dict[str, float] = {}
    for rule in reader.of_type("AWS::Events::Rule").values():
        period = schedule_rate_seconds(rule.get("ScheduleExpression"))
        if period is None or rule.get("State") == "DISABLED":
            continue
        for target in rule.get("Targets") or []:
            for fid in referenced_ids(target.get("Arn")):
                if fid in functions:
                    runs[fid] = runs.get(fid, 0.0) + HOURS_PER_MONTH * 3600.0 / period
    return runs


def _scheduled_functions(reader: TemplateReader) -> list[BillLine]:
    functions = reader.of_type("AWS::Lambda::Function")
    lines: list[BillLine] = []
    for fid, runs in _scheduled_runs(reader).items():
        function = functions[fid]
        variables: dict[str, Any] = (function.get("Environment") or {}).get("Variables") or {}
        arch = (function.get("Architectures") or ["x86_64"])[0]
        gb_seconds = runs * RUN_SECONDS * float(function.get("MemorySize", 128)) / 1024.0
        role = function_role(variables, runs / (HOURS_PER_MONTH * 60.0))
        lines.append(
            BillLine(
                role,
                f"{runs:,.0f} runs, {gb_seconds:,.0f} GB-s ({RUN_SECONDS * 1000:.0f} ms assumed, "
                f"{arch})",
                runs * LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_PER_GB_SECOND[arch],
                f"$0.20 per 1M requests + ${LAMBDA_PER_GB_SECOND[arch]:.10f} per GB-s",
                LAMBDA_PRICING,
                (fid,),
            )
        )
        role = role.split(" (")[0]
        if contract.SIGNAL_QUEUE_URL in variables:
            lines.append(
                BillLine(
                    f"queue counts read by the {role}",
                    f"{runs:,.0f} SQS GetQueueAttributes requests (ECS and alarm calls: no charge)",
                    runs * SQS_PER_REQUEST,
                    "$0.40 per 1M requests",
                    SQS_PRICING,
                    (fid,),
                )
            )
        lines += _published(fid, role, variables, runs)
        gb = runs * LOG_BYTES_PER_RUN / 1e9
        retention_months = _retention_days(reader, fid) / 30.0
        lines.append(
            BillLine(
                f"logs of the {role}",
                f"{gb * 1000:.0f} MB ingested ({LOG_BYTES_PER_RUN} B a run assumed), "
                f"kept {retention_months:.0f} month(s)",
                gb * LOGS_PER_GB_INGESTED + gb * retention_months * LOGS_PER_GB_MONTH_STORED,
                f"${LOGS_PER_GB_INGESTED:.2f} per GB ingested + "
                f"${LOGS_PER_GB_MONTH_STORED:.2f} per GB-month",
                CLOUDWATCH_PRICING,
                (fid,),
            )
        )
    return lines


def _published(fid: str, role: str, variables: dict[str, Any], runs: float) -> list[BillLine]:
    """What a scheduled function publishes while the queue is idle."""
    if not isinstance(variables.get(contract.SIGNAL_METRIC_NAMESPACE), str):
        return []
    if variables.get(contract.SIGNAL_PUBLISHES) == contract.SIGNAL_PUBLISHES_DESIRED:
        # The desired count only while it is at least 1: nothing is sent at zero tasks.
        return [
            BillLine(
                f"custom metrics of the {role}",
                f"{contract.SIGNAL_DESIRED_METRIC}, sent only while a task runs: none",
                0.0,
                f"${CUSTOM_METRIC_MONTH:.2f} per metric-month, prorated by the hours sent",
                CLOUDWATCH_PRICING,
                (fid,),
            )
        ]
    metrics = len(contract.SIGNAL_METRICS) + (1 if contract.SIGNAL_SERVICE_NAME in variables else 0)
    return [
        BillLine(
            f"custom metrics of the {role}",
            f"{metrics} sent every run",
            metrics * CUSTOM_METRIC_MONTH,
            f"${CUSTOM_METRIC_MONTH:.2f} per metric-month",
            CLOUDWATCH_PRICING,
            (fid,),
        ),
        BillLine(
            f"metric uploads of the {role}",
            f"{runs:,.0f} PutMetricData requests",
            runs * PUT_METRIC_DATA_PER_REQUEST,
            "$0.01 per 1,000 requests",
            CLOUDWATCH_PRICING,
            (fid,),
        ),
    ]


def _retention_days(reader: TemplateReader, fid: str) -> float:
    """The retention of the log group the function logs to (30 days when not found)."""
    function = reader.of_type("AWS::Lambda::Function")[fid]
    groups = reader.of_type("AWS::Logs::LogGroup")
    named = referenced_ids((function.get("LoggingConfig") or {}).get("LogGroup"))
    for gid in named:
        if gid in groups:
            return float(groups[gid].get("RetentionInDays", 30))
    return 30.0


def _container_insights(reader: TemplateReader) -> Sequence[BillLine]:
    clusters = {
        cid
        for cid, props in reader.of_type("AWS::ECS::Cluster").items()
        if any(
            s.get("Name") == "containerInsights" and s.get("Value") in CONTAINER_INSIGHTS_ON
            for s in props.get("ClusterSettings") or []
        )
    }
    if not clusters:
        return []
    services = sum(
        1
        for props in reader.of_type("AWS::ECS::Service").values()
        if set(referenced_ids(props.get("Cluster"))) & clusters
    )
    metrics = (
        services * CONTAINER_INSIGHTS_IDLE_METRICS_PER_SERVICE
        + len(clusters) * CONTAINER_INSIGHTS_IDLE_METRICS_PER_CLUSTER
    )
    return [
        BillLine(
            "Container Insights (ECS's task counts as custom metrics)",
            f"{metrics} task-count metrics of {services} service(s) at zero tasks (assumed sent)",
            metrics * CUSTOM_METRIC_MONTH,
            f"${CUSTOM_METRIC_MONTH:.2f} per custom metric-month",
            CLOUDWATCH_PRICING,
        )
    ]


def _gpu_instances(reader: TemplateReader) -> list[BillLine]:
    """What the services' GPU instances cost at zero tasks: kept instances and warm pools."""
    prices = InstanceAssumptions()
    lines: list[BillLine] = []
    for props in reader.of_type("AWS::ECS::Service").values():
        spec = read_instance_capacity(reader, props)
        if spec is None:
            continue
        volume = prices.volume_hourly(spec.volume_gib)
        hourly = spec.hourly_usd * (prices.spot_factor if spec.spot else 1.0)
        kept, pooled = spec.min_instances, spec.warm_pool_size
        lines.append(
            BillLine(
                f"{spec.instance_type} instances",
                f"{kept} kept running ({spec.volume_gib} GiB each)"
                + (f", {pooled} stopped in the warm pool" if pooled else "")
                + (", none at zero tasks" if not kept and not pooled else ""),
                HOURS_PER_MONTH * (kept * (hourly + volume) + pooled * volume),
                f"${hourly:.3f} per instance-hour{' (Spot, assumed)' if spec.spot else ''} + "
                f"${prices.ebs_gb_month:.2f} per GB-month of volume",
                "https://aws.amazon.com/ec2/pricing/on-demand/",
            )
        )
    return lines
