"""The monthly cost of a template's backlog-signal function, worked out from the template.

What the fresh signal adds to a stack, priced at us-east-1 list prices (free tiers ignored: an
account running other workloads may have used them up):

* Lambda: one invocation per run of the schedule rule (``rate(...)``), each billed for
  :data:`TYPICAL_DURATION_SECONDS` at the function's ``MemorySize`` and architecture.
  https://aws.amazon.com/lambda/pricing/
* EventBridge: scheduled rules on the default bus invoke at no charge.
  https://aws.amazon.com/eventbridge/pricing/
* CloudWatch: one ``PutMetricData`` call per run; one custom metric per metric it publishes
  (the contract's ``SIGNAL_METRICS``, plus ``SIGNAL_DESIRED_METRIC`` when its environment names
  the service it wakes); the alarms that watch the function itself (their metrics).
  ``DescribeAlarms``, ``DisableAlarmActions`` and ``EnableAlarmActions`` are not on the price
  list's API line and are counted as free. https://aws.amazon.com/cloudwatch/pricing/
* SQS: one ``GetQueueAttributes`` request per run. https://aws.amazon.com/sqs/pricing/
* ECS ``DescribeServices`` and ``UpdateService`` have no charge.

The function's log lines (a few hundred bytes a run, about 10 MB a month) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.reader import TemplateReader
from sqs_scale_to_zero.worker import contract

HOURS_PER_MONTH = 730.0
"""AWS's pricing month."""

TYPICAL_DURATION_SECONDS = 0.3
"""Assumed billed duration of one warm run: four or five API calls in the region. Not measured."""

LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
CUSTOM_METRIC_MONTH = 0.30
PUT_METRIC_DATA_PER_CALL = 0.01 / 1000
ALARM_METRIC_MONTH = 0.10
SQS_PER_REQUEST = 0.40 / 1e6


@dataclass(frozen=True)
class SignalCost:
    """One function's monthly cost, item by item (USD)."""

    invocations: float
    lambda_usd: float
    put_metric_data_usd: float
    metrics: int
    metrics_usd: float
    alarm_metrics: int
    alarms_usd: float
    sqs_usd: float

    @property
    def total(self) -> float:
        """The month's total."""
        return (
            self.lambda_usd
            + self.put_metric_data_usd
            + self.metrics_usd
            + self.alarms_usd
            + self.sqs_usd
        )

    def summary(self) -> str:
        """One line with every item."""
        return (
            f"${self.total:.2f}/month: {self.invocations:,.0f} invocations "
            f"(Lambda ${self.lambda_usd:.2f}, at {TYPICAL_DURATION_SECONDS * 1000:.0f} ms assumed), "
            f"PutMetricData ${self.put_metric_data_usd:.2f}, {self.metrics} custom metrics "
            f"${self.metrics_usd:.2f}, {self.alarm_metrics} alarm metrics "
            f"${self.alarms_usd:.2f}, GetQueueAttributes ${self.sqs_usd:.2f}"
        )


def signal_cost(path: str | Path) -> SignalCost | None:
    """The monthly cost of the template's backlog-signal function, or ``None`` if it has none."""
    reader = TemplateReader.from_path(path)
    model = reader.service()
    if not model.pollers:
        return None
    poller = model.pollers[0]
    function = reader.of_type("AWS::Lambda::Function")[poller.function_logical_id]
    runs = HOURS_PER_MONTH * 3600.0 / poller.period
    memory_gb = float(function.get("MemorySize", 128)) / 1024.0
    arch = (function.get("Architectures") or ["x86_64"])[0]
    gb_seconds = runs * TYPICAL_DURATION_SECONDS * memory_gb
    lambda_usd = runs * LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_PER_GB_SECOND[arch]
    metrics = len(contract.SIGNAL_METRICS) + (1 if poller.wake is not None else 0)
    alarm_metrics = 0
    for alarm in reader.of_type("AWS::CloudWatch::Alarm").values():
        queries = alarm.get("Metrics") or [alarm]
        watched = [
            q
            for q in queries
            if poller.function_logical_id in referenced_ids(q.get("MetricStat") or q)
            and "Expression" not in q
        ]
        alarm_metrics += len(watched)
    return SignalCost(
        invocations=runs,
        lambda_usd=lambda_usd,
        put_metric_data_usd=runs * PUT_METRIC_DATA_PER_CALL,
        metrics=metrics,
        metrics_usd=metrics * CUSTOM_METRIC_MONTH,
        alarm_metrics=alarm_metrics,
        alarms_usd=alarm_metrics * ALARM_METRIC_MONTH,
        sqs_usd=runs * SQS_PER_REQUEST,
    )
