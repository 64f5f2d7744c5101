"""The wake function: every minute it keeps the queue active, wakes the service, may publish.

Built for ``wake=Wake.FAST`` (the default) and ``Wake.FRESH_SIGNAL`` (see :mod:`.wake`). With the
fresh signal it publishes the queue's counts, the *backlog signal*, and both scaling alarms read
those instead of SQS's own, through one :class:`~sqs_scale_to_zero.backlog.BacklogMetrics`, so
the scale-out and scale-in alarms can never act on two different views of the backlog. With the
fast wake they read SQS's own metrics, which the function's reads keep flowing, and the function
publishes only the desired count, and only while the service has tasks
(:mod:`.wake_function_handler`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero import wake_function_handler as handler_module
from sqs_scale_to_zero.backlog import BacklogMetrics, QueueActivity
from sqs_scale_to_zero.compliance import acknowledge, wildcard_resource_finding
from sqs_scale_to_zero.flag_alarms import ONE_MINUTE
from sqs_scale_to_zero.worker import contract


def inline_source() -> str:
    """The handler module's source as the function runs it: standalone and compact.

    The one import from the contract is replaced by the values it names (strings written in
    place of their names, other values assigned once), and docstrings, comments, type
    annotations and the imports only annotations use are dropped (``ast.unparse``, then one
    space per indentation level), so the code fits CloudFormation's inline ``ZipFile`` (4 KB)
    and runs without this package.

    Raises:
        RuntimeError: The handler no longer imports from the contract in the expected form.
    """
    source = Path(handler_module.__file__).read_text(encoding="utf-8")
    match = _CONTRACT_IMPORT.search(source)
    if match is None:
        raise RuntimeError("wake_function_handler must import its names from the contract")
    names = [name.strip() for name in match.group("names").split(",") if name.strip()]
    strings = {name: getattr(contract, name) for name in names}
    others = {name: strings.pop(name) for name in names if not isinstance(strings[name], str)}
    values = "".join(f"{name} = {value!r}\n" for name, value in others.items())
    tree = ast.parse(source[: match.start()] + values + source[match.end() :])
    tree = _StringsInPlace(strings).visit(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.returns = None
            for arg in (*node.args.args, *node.args.kwonlyargs):
                arg.annotation = None
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [_unannotated(statement) for statement in body if _kept(statement)]
            setattr(node, "body", kept or [ast.Pass()])  # noqa: B010 (any node with a body)
    return _one_space_indents(ast.unparse(ast.fix_missing_locations(tree))) + "\n"


def _one_space_indents(source: str) -> str:
    """``source`` with one space per indentation level instead of ``ast.unparse``'s four.

    Safe because ``ast.unparse`` writes every statement on one line (no string spans lines).
    """
    lines = source.splitlines()
    return "\n".join(
        " " * ((len(line) - len(line.lstrip(" "))) // 4) + line.lstrip(" ") for line in lines
    )


class _StringsInPlace(ast.NodeTransformer):
    """Writes each contract string where its name is read."""

    def __init__(self, strings: dict[str, str]) -> None:
        self.strings = strings

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.strings:
            return ast.copy_location(ast.Constant(self.strings[node.id]), node)
        return node


_ANNOTATIONS = ("__future__", "typing")
"""Modules the handler imports only for its annotations."""


def _kept(statement: ast.stmt) -> bool:
    """False for docstrings and the imports only annotations use."""
    if isinstance(statement, ast.ImportFrom) and statement.module in _ANNOTATIONS:
        return False
    return not _is_docstring(statement)


def _unannotated(statement: ast.stmt) -> ast.stmt:
    """``x: T = v`` as ``x = v``; any other statement as it is."""
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return ast.copy_location(
            ast.Assign(targets=[statement.target], value=statement.value), statement
        )
    return statement


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
class WakeFunction:
    """The wake function's resources: its Lambda function, schedule, log group, and signal."""

    function: lambda_.Function
    rule: events.Rule
    log_group: logs.LogGroup
    metrics: Optional[BacklogMetrics]
    """The backlog signal it publishes (``Wake.FRESH_SIGNAL``), else ``None``."""
    publishes_backlog: bool


def _allow_publishing(function: lambda_.Function, publishes: str) -> None:
    """Let ``function`` publish ``publishes`` (a contract value) into the signal's namespace."""
    function.add_environment(contract.SIGNAL_METRIC_NAMESPACE, contract.SIGNAL_NAMESPACE)
    function.add_environment(contract.SIGNAL_PUBLISHES, publishes)
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": contract.SIGNAL_NAMESPACE}},
        )
    )
    assert function.role is not None  # built with its own role
    acknowledge(
        function.role,
        "AwsSolutions-IAM5[Resource::*]",
        "cloudwatch:PutMetricData supports no resource-level permissions; the statement is "
        "scoped to the backlog signal's namespace by a cloudwatch:namespace condition.",
    )


def desired_count_metric(queue: sqs.IQueue) -> cloudwatch.Metric:
    """The desired count the function publishes after any wake.

    With the fast wake it is published only while it is at least 1.
    """
    return signal_metric(queue, contract.SIGNAL_DESIRED_METRIC)


def enable_fast_wake(
    wake_function: WakeFunction,
    service: ecs.BaseService,
    idle_alarm: cloudwatch.Alarm,
    *,
    messages_per_task: int,
    max_capacity: int,
) -> None:
    """Let the function wake ``service`` from zero tasks itself, and publish its desired count.

    The function may read and update only this service (``ecs:UpdateService`` has no narrower
    action for the desired count) and read, disable and enable the actions of only the idle
    alarm, which it holds off while it wakes the service (see
    :mod:`sqs_scale_to_zero.wake_function_handler`). A wake starts the backlog's level of
    tasks, one per ``messages_per_task`` visible messages, at most ``max_capacity``.
    """
    function = wake_function.function
    function.add_environment(contract.SIGNAL_MESSAGES_PER_TASK, str(messages_per_task))
    function.add_environment(contract.SIGNAL_MAX_CAPACITY, str(max_capacity))
    if not wake_function.publishes_backlog:
        _allow_publishing(function, contract.SIGNAL_PUBLISHES_DESIRED)
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


def enable_instance_wake(
    wake_function: WakeFunction, group: autoscaling.AutoScalingGroup, *, tasks_per_instance: int
) -> None:
    """Let the fast wake also raise ``group``'s desired capacity, so instances launch at once.

    ``autoscaling:SetDesiredCapacity`` is granted on this group alone. Reading the group's
    desired and maximum size (so a wake never lowers it nor asks past its ``MaxSize``) needs
    ``autoscaling:DescribeAutoScalingGroups``, which supports no resource-level permission
    (Service Authorization Reference, "Actions, resources, and condition keys for Amazon EC2
    Auto Scaling"), so it is granted on ``*``; it reads, never changes.
    """
    function = wake_function.function
    function.add_environment(contract.SIGNAL_AUTO_SCALING_GROUP, group.auto_scaling_group_name)
    function.add_environment(contract.SIGNAL_TASKS_PER_INSTANCE, str(tasks_per_instance))
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["autoscaling:SetDesiredCapacity"], resources=[group.auto_scaling_group_arn]
        )
    )
    function.add_to_role_policy(
        iam.PolicyStatement(actions=["autoscaling:DescribeAutoScalingGroups"], resources=["*"])
    )
    assert function.role is not None  # built with its own role
    acknowledge(
        function.role,
        wildcard_resource_finding(function, group.auto_scaling_group_arn),
        "SetDesiredCapacity is granted on this one Auto Scaling group: the wildcard is the "
        "group's ID, which an ARN by name can't know before the group exists.",
    )
    acknowledge(
        function.role,
        "AwsSolutions-IAM5[Resource::*]",
        "autoscaling:DescribeAutoScalingGroups supports no resource-level permission; it only "
        "reads. cloudwatch:PutMetricData is scoped by a cloudwatch:namespace condition.",
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


def build_wake_function(
    scope: Construct,
    queue: sqs.IQueue,
    log_retention: logs.RetentionDays,
    *,
    publishes_backlog: bool,
) -> WakeFunction:
    """Create the function, its one-minute schedule, its log group and least-privilege role.

    The role may read only this queue's attributes and write only to its own log group. With
    ``publishes_backlog`` (the fresh signal) it may also put metric data, only into the
    signal's namespace (``PutMetricData`` has no resource-level permissions, so a
    ``cloudwatch:namespace`` condition scopes it instead). The fast wake's permissions (and,
    without the fresh signal, publishing the desired count) are added by
    :func:`enable_fast_wake` once the service and its idle alarm exist.
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
        # Graviton: 20 % less per GB-second; the handler is pure Python.
        architecture=lambda_.Architecture.ARM_64,
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
        },
    )
    role.add_to_policy(
        iam.PolicyStatement(actions=["sqs:GetQueueAttributes"], resources=[queue.queue_arn])
    )
    if publishes_backlog:
        _allow_publishing(function, contract.SIGNAL_PUBLISHES_BACKLOG)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    rule = events.Rule(
        scope,
        "BacklogSignalSchedule",
        description="Read the queue's counts every minute",
        schedule=SCHEDULE,
        targets=[targets.LambdaFunction(function, retry_attempts=0)],
    )
    if not publishes_backlog:
        return WakeFunction(function, rule, log_group, None, publishes_backlog=False)
    return WakeFunction(
        function=function,
        rule=rule,
        log_group=log_group,
        publishes_backlog=True,
        metrics=BacklogMetrics(
            visible=signal_metric(queue, contract.SIGNAL_METRICS["ApproximateNumberOfMessages"]),
            in_flight=signal_metric(
                queue, contract.SIGNAL_METRICS["ApproximateNumberOfMessagesNotVisible"]
            ),
            delayed=signal_metric(
                queue, contract.SIGNAL_METRICS["ApproximateNumberOfMessagesDelayed"]
            ),
            activity=QueueActivity.of_queue(queue),
            desired=desired_count_metric(queue),
            published_when_empty=True,
        ),
    )
