"""The fresh backlog signal: a one-minute scheduled function that publishes the live backlog.

Opt-in with ``backlog_signal=True``. Both scaling alarms then read the published metrics
instead of SQS's own, through one :class:`~sqs_scale_to_zero.backlog.BacklogMetrics`, so the
scale-out and scale-in alarms can never act on two different views of the backlog.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero import backlog_signal_handler as handler_module
from sqs_scale_to_zero.backlog import BacklogMetrics, QueueActivity
from sqs_scale_to_zero.checks import optional_bool
from sqs_scale_to_zero.compliance import acknowledge
from sqs_scale_to_zero.flag_alarms import ONE_MINUTE
from sqs_scale_to_zero.worker import contract


def inline_source() -> str:
    """The handler module's source as the function runs it: standalone and compact.

    The one import from the contract is replaced by assignments of the values it names, and
    docstrings and comments are dropped (``ast.unparse``), so the code fits CloudFormation's
    inline ``ZipFile`` and runs without this package.

    Raises:
        RuntimeError: The handler no longer imports from the contract in the expected form.
    """
    source = Path(handler_module.__file__).read_text(encoding="utf-8")
    match = _CONTRACT_IMPORT.search(source)
    if match is None:
        raise RuntimeError("backlog_signal_handler must import its names from the contract")
    names = [name.strip() for name in match.group("names").split(",") if name.strip()]
    values = "".join(f"{name} = {getattr(contract, name)!r}\n" for name in names)
    tree = ast.parse(source[: match.start()] + values + source[match.end() :])
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [statement for statement in body if not _is_docstring(statement)]
            setattr(node, "body", kept or [ast.Pass()])  # noqa: B010 (any node with a body)
    return ast.unparse(tree) + "\n"


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


_CONTRACT_IMPORT = re.compile(
    r"^from sqs_scale_to_zero\.worker\.contract import \((?P<names>[^)]*)\)\n", re.MULTILINE
)
HANDLER_SOURCE = inline_source()
"""The source the function carries inline."""
SCHEDULE = events.Schedule.rate(Duration.minutes(1))


@dataclass(frozen=True)
class BacklogSignal:
    """The composed backlog-signal resources."""

    function: lambda_.Function
    rule: events.Rule
    log_group: logs.LogGroup
    metrics: BacklogMetrics


def resolve_backlog_signal(*, backlog_signal: Optional[bool]) -> bool:
    """Whether to scale on the fresh backlog signal (Default: False).

    Raises:
        ScaleToZeroValidationError: ``backlog_signal`` is not a bool.
    """
    return bool(optional_bool("backlog_signal", backlog_signal))


def enable_fast_wake(
    signal: BacklogSignal, service: ecs.BaseService, idle_alarm: cloudwatch.Alarm
) -> None:
    """Let the backlog signal function wake ``service`` from zero tasks itself.

    The function may read and update only this service (``ecs:UpdateService`` has no narrower
    action for the desired count) and read, disable and enable the actions of only the idle
    alarm, which it holds off while it wakes the service (see
    :mod:`sqs_scale_to_zero.backlog_signal_handler`).
    """
    function = signal.function
    function.add_environment(contract.SIGNAL_CLUSTER_NAME, service.cluster.cluster_name)
    function.add_environment(contract.SIGNAL_SERVICE_NAME, service.service_name)
    function.add_environment(contract.SIGNAL_IDLE_ALARM_NAME, idle_alarm.alarm_name)
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["ecs:DescribeServices", "ecs:UpdateService"],
            resources=[service.service_arn],
        )
    )
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=[
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DisableAlarmActions",
                "cloudwatch:EnableAlarmActions",
            ],
            resources=[idle_alarm.alarm_arn],
        )
    )


def newest_python_runtime() -> lambda_.Runtime:
    """The newest ``python3.N`` Lambda runtime this aws-cdk-lib knows.

    cdk-nag's L1 rule asks for it; the handler needs only the standard library and the runtime's
    boto3.
    """
    python_runtimes = [
        runtime for runtime in lambda_.Runtime.ALL if runtime.name.startswith("python3.")
    ]
    return max(python_runtimes, key=lambda runtime: int(runtime.name.split(".")[1]))


def signal_metric(queue: sqs.IQueue, metric_name: str) -> cloudwatch.Metric:
    """One published backlog metric of ``queue``: Maximum over one minute."""
    return cloudwatch.Metric(
        namespace=contract.SIGNAL_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={contract.SIGNAL_QUEUE_DIMENSION: queue.queue_name},
        statistic="Maximum",
        period=ONE_MINUTE,
    )


def build_backlog_signal(
    scope: Construct, queue: sqs.IQueue, log_retention: logs.RetentionDays
) -> BacklogSignal:
    """Create the function, its one-minute schedule, its log group and least-privilege role.

    The role may read only this queue's attributes, write only to its own log group, and put
    metric data only into the signal's namespace (``PutMetricData`` has no resource-level
    permissions, so a ``cloudwatch:namespace`` condition scopes it instead). The fast wake's
    permissions are added by :func:`enable_fast_wake` once the service and its idle alarm exist.
    """
    log_group = logs.LogGroup(scope, "BacklogSignalLogs", retention=log_retention)
    role = iam.Role(
        scope,
        "BacklogSignalRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="Reads one queue's backlog and publishes it as CloudWatch metrics",
    )
    function = lambda_.Function(
        scope,
        "BacklogSignalFunction",
        description="Publishes the queue's live backlog every minute for scale-to-zero alarms",
        runtime=newest_python_runtime(),
        handler="index.handler",
        code=lambda_.Code.from_inline(HANDLER_SOURCE),
        memory_size=128,
        timeout=Duration.seconds(30),
        role=role,
        log_group=log_group,
        # A run that fails is superseded by the next minute's run: no retries, no overlap.
        retry_attempts=0,
        environment={
            contract.SIGNAL_QUEUE_URL: queue.queue_url,
            contract.SIGNAL_QUEUE_NAME: queue.queue_name,
            contract.SIGNAL_METRIC_NAMESPACE: contract.SIGNAL_NAMESPACE,
        },
    )
    role.add_to_policy(
        iam.PolicyStatement(actions=["sqs:GetQueueAttributes"], resources=[queue.queue_arn])
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": contract.SIGNAL_NAMESPACE}},
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "cloudwatch:PutMetricData supports no resource-level permissions; the statement is "
        "scoped to the backlog signal's namespace by a cloudwatch:namespace condition.",
    )
    rule = events.Rule(
        scope,
        "BacklogSignalSchedule",
        description="Publish the queue's backlog every minute",
        schedule=SCHEDULE,
        targets=[targets.LambdaFunction(function, retry_attempts=0)],
    )
    return BacklogSignal(
        function=function,
        rule=rule,
        log_group=log_group,
        metrics=BacklogMetrics(
            visible=signal_metric(queue, contract.SIGNAL_METRICS["ApproximateNumberOfMessages"]),
            in_flight=signal_metric(
                queue, contract.SIGNAL_METRICS["ApproximateNumberOfMessagesNotVisible"]
            ),
            delayed=signal_metric(
                queue, contract.SIGNAL_METRICS["ApproximateNumberOfMessagesDelayed"]
            ),
            activity=QueueActivity.of_queue(queue),
            desired=signal_metric(queue, contract.SIGNAL_DESIRED_METRIC),
            published_when_empty=True,
        ),
    )
