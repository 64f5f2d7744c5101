"""The simulator's model of one ECS service and its parts, as read from a template.

Frozen dataclasses only: :mod:`.reader` builds them, every other module reads them. Defaults
are the ones AWS applies when a template leaves a property out:

* ``VisibilityTimeout``: :data:`~sqs_scale_to_zero.worker.contract.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS`
  (AWS::SQS::Queue).
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html
* ``StopTimeout``: :data:`DEFAULT_FARGATE_STOP_TIMEOUT` (task definition parameters).
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
* ``Cooldown``: :data:`DEFAULT_ECS_COOLDOWN` (Application Auto Scaling, ECS services).
  https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqs_scale_to_zero.simulate.models.instances.spec import InstanceCapacitySpec, InstanceWakeSpec
from sqs_scale_to_zero.worker.contract import (
    DELIVERY_OWN_CONSUMER,
    SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
)

DEFAULT_FARGATE_STOP_TIMEOUT = 30.0
"""ECS default container stopTimeout on Fargate, in seconds (task definition parameters)."""

DEFAULT_ECS_COOLDOWN = 300.0
"""Application Auto Scaling's default cooldown for ECS services, in seconds."""


@dataclass(frozen=True)
class QueueSpec:
    """One ``AWS::SQS::Queue``.

    Attributes:
        logical_id: The queue's logical ID.
        name: Its ``QueueName`` if set literally, else the logical ID.
        visibility_timeout: Seconds. Default: 30.
        delay_seconds: Queue-level delivery delay in seconds. Default: 0.
        max_receive_count: From ``RedrivePolicy``; ``None`` without a DLQ.
        dlq_logical_id: Logical ID of the dead-letter queue, if any.
    """

    logical_id: str
    name: str
    visibility_timeout: float = float(SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS)
    delay_seconds: float = 0.0
    max_receive_count: int | None = None
    dlq_logical_id: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    """The part of an ``AWS::ECS::TaskDefinition`` the simulator uses.

    Attributes:
        cpu_units: Task CPU units (1024 = 1 vCPU).
        memory_mib: Task memory in MiB.
        arm64: True when ``RuntimePlatform.CpuArchitecture`` is ARM64.
        stop_timeout: Seconds between SIGTERM and SIGKILL. Default: 30 (Fargate).
        task_protection: True when the container sets ``SCALE_TO_ZERO_TASK_PROTECTION=enabled``.
        shutdown_grace: ``SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS`` if set: after that long the
            worker releases an unfinished message instead of waiting for its visibility to lapse.
        extends_visibility: True when the container runs our worker runtime (any
            ``SCALE_TO_ZERO_*`` environment variable): it keeps extending a message's visibility
            while working on it, so a long job does not reappear in the queue mid-work.
        concurrency: Messages the worker runs at once: ``SCALE_TO_ZERO_CONCURRENCY`` if set,
            else 1 (the worker CLI's default; a consumer other than ours runs one at a time).
            Default: 1.
        prefetch_seconds: How far ahead the worker receives (0: only for free handlers); our
            runtime's default for our worker, 0 for any other consumer. Default: 0.
        delivery: How messages reach the code (a delivery mode of
            :mod:`sqs_scale_to_zero.worker.contract`): the runtime's two modes set the flags
            above from the task definition; an own consumer has none of them. Default: own
            consumer, as the other defaults.
        environment: All literal container environment variables (resolved to strings).
    """

    cpu_units: int
    memory_mib: int
    arm64: bool = False
    stop_timeout: float = DEFAULT_FARGATE_STOP_TIMEOUT
    task_protection: bool = False
    shutdown_grace: float | None = None
    extends_visibility: bool = False
    concurrency: int = 1
    prefetch_seconds: float = 0.0
    delivery: str = DELIVERY_OWN_CONSUMER
    environment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricStat:
    """A metric with its statistic and period, as an alarm queries it.

    Attributes:
        namespace: e.g. ``AWS/SQS``.
        metric_name: e.g. ``ApproximateNumberOfMessagesVisible``.
        dimensions: Dimension name -> resolved value string.
        subject: Logical ID of the queue or service the dimensions point at, if any.
        stat: ``Average``, ``Maximum``, ``Minimum``, ``Sum`` or ``SampleCount``.
        period: Seconds.
    """

    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    subject: str | None
    stat: str
    period: int


@dataclass(frozen=True)
class MetricQuery:
    """One entry of an alarm's ``Metrics`` list (metric math).

    Attributes:
        id: The query ID used in expressions.
        metric: The metric it reads, or ``None`` for an expression.
        expression: A metric math expression, or ``None`` for a metric.
        return_data: Whether this query is the alarm's time series.
    """

    id: str
    metric: MetricStat | None
    expression: str | None
    return_data: bool


@dataclass(frozen=True)
class AlarmSpec:
    """One ``AWS::CloudWatch::Alarm`` acting on the service's scaling policies.

    Attributes:
        logical_id: The alarm's logical ID.
        queries: Metric queries; a single-metric alarm has exactly one.
        period: Seconds per datapoint.
        evaluation_periods: N of "M out of N".
        datapoints_to_alarm: M of "M out of N". Default: N.
        threshold: Threshold value.
        comparison: CloudFormation ``ComparisonOperator``.
        treat_missing_data: ``missing`` (default), ``breaching``, ``notBreaching`` or ``ignore``.
        alarm_actions: Logical IDs of scaling policies invoked in ALARM.
        ok_actions: Logical IDs of scaling policies invoked in OK.
    """

    logical_id: str
    queries: tuple[MetricQuery, ...]
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepAdjustmentSpec:
    """A step adjustment; bounds are relative to the alarm threshold (``None`` = infinite)."""

    lower: float | None
    upper: float | None
    adjustment: int


@dataclass(frozen=True)
class StepPolicySpec:
    """A ``StepScaling`` policy.

    Attributes:
        logical_id: Logical ID.
        adjustment_type: ``ChangeInCapacity``, ``ExactCapacity`` or ``PercentChangeInCapacity``.
        steps: Step adjustments.
        metric_aggregation: ``Average`` (default), ``Minimum`` or ``Maximum``.
        cooldown: Seconds. Default: 300 (ECS).
        min_adjustment_magnitude: For ``PercentChangeInCapacity``. Default: None.
    """

    logical_id: str
    adjustment_type: str
    steps: tuple[StepAdjustmentSpec, ...]
    metric_aggregation: str = "Average"
    cooldown: float = DEFAULT_ECS_COOLDOWN
    min_adjustment_magnitude: int | None = None


@dataclass(frozen=True)
class TargetTrackingSpec:
    """A ``TargetTrackingScaling`` policy on the service's average CPU (or another metric).

    Attributes:
        logical_id: Logical ID.
        target_value: Target metric value.
        metric: What it tracks (``ECSServiceAverageCPUUtilization`` maps to AWS/ECS CPU).
        scale_out_cooldown: Seconds. Default: 300.
        scale_in_cooldown: Seconds. Default: 300.
        disable_scale_in: Default: False.
    """

    logical_id: str
    target_value: float
    metric: MetricStat | None
    predefined_type: str | None
    scale_out_cooldown: float = DEFAULT_ECS_COOLDOWN
    scale_in_cooldown: float = DEFAULT_ECS_COOLDOWN
    disable_scale_in: bool = False


@dataclass(frozen=True)
class WakeSpec:
    """What a scheduled function may do to wake its service from zero (the fast wake).

    Read from the function's environment (the contract's ``SIGNAL_...`` names) and its role's
    ``Allow`` statements (:mod:`.permissions`): each flag says the role may make that call.

    Attributes:
        service_logical_id: The service its ``SERVICE_NAME`` names.
        alarm_logical_id: The alarm its ``IDLE_ALARM_NAME`` names, or ``None`` (names none).
        describe_service: ``ecs:DescribeServices`` on the service.
        update_service: ``ecs:UpdateService`` on the service.
        describe_alarm: ``cloudwatch:DescribeAlarms`` on the alarm. Default: False.
        disable_alarm_actions: ``cloudwatch:DisableAlarmActions`` on the alarm. Default: False.
        enable_alarm_actions: ``cloudwatch:EnableAlarmActions`` on the alarm. Default: False.
        messages_per_task: Its literal ``MESSAGES_PER_TASK`` (a wake starts one task per that
            many visible messages), or ``None``. Default: None.
        max_capacity: Its literal ``MAX_CAPACITY`` (the most a wake starts), or ``None``; a
            wake starts 1 task when either is ``None``. Default: None.
        instances: The Auto Scaling group a wake also raises, if it may. Default: None.
    """

    service_logical_id: str
    alarm_logical_id: str | None
    describe_service: bool
    update_service: bool
    describe_alarm: bool = False
    disable_alarm_actions: bool = False
    enable_alarm_actions: bool = False
    messages_per_task: int | None = None
    max_capacity: int | None = None
    instances: InstanceWakeSpec | None = None


@dataclass(frozen=True)
class QueuePollerSpec:
    """A scheduled function that reads the service's queue (e.g. the fresh backlog signal).

    Found as an ``AWS::Events::Rule`` with a ``rate(N minute|minutes|hour|hours|day|days)``
    ``ScheduleExpression`` (not ``DISABLED``) whose target is an ``AWS::Lambda::Function``
    whose ``QUEUE_URL`` environment variable references the queue. Rate expressions run "at
    regular intervals" from the rule's creation, with a precision of one minute.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html

    Attributes:
        rule_logical_id: The schedule rule.
        function_logical_id: The Lambda function it invokes.
        queue_logical_id: The queue the function reads.
        period: Seconds between runs.
        namespace: The function's literal ``METRIC_NAMESPACE`` variable (where it publishes),
            or ``None``.
        wake: What it may do to wake the service, when its environment names the service (it
            then also publishes the service's desired count). Default: None.
        publishes_backlog: Whether it publishes the queue's counts every run (its
            ``PUBLISHES`` variable unset or the contract's ``SIGNAL_PUBLISHES_BACKLOG``), or
            only the desired count while that is at least 1 (``SIGNAL_PUBLISHES_DESIRED``).
            Default: True.
    """

    rule_logical_id: str
    function_logical_id: str
    queue_logical_id: str
    period: float
    namespace: str | None = None
    wake: WakeSpec | None = None
    publishes_backlog: bool = True


DEFAULT_MIN_HEALTHY_PERCENT = 100
"""ECS's ``minimumHealthyPercent`` of a replica service whose template sets none."""

DEFAULT_MAX_PERCENT = 200
"""ECS's ``maximumPercent`` of a replica service whose template sets none."""


@dataclass(frozen=True)
class DeploymentSpec:
    """How the service rolls out a new task definition, and whether its tasks drain themselves.

    Read from the service's ``DeploymentConfiguration`` (rolling update, the ``ECS``
    deployment controller) and from the worker container's environment and task role
    (:mod:`~sqs_scale_to_zero.simulate.models.deploy_drain.reader`).
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html

    Attributes:
        min_healthy_percent: ``MinimumHealthyPercent``. Default: 100.
        max_percent: ``MaximumPercent``. Default: 200.
        circuit_breaker: ``DeploymentCircuitBreaker.Enable``. Default: False.
        rollback: ``DeploymentCircuitBreaker.Rollback``. Default: False.
        drain_check_seconds: Mean seconds between a task's checks of its service's primary
            deployment, when the template gives the worker all it needs to detect that it is
            outdated and drain (the contract's ``DEPLOY_STACK`` and
            ``DEPLOY_SERVICE_RESOURCE`` naming this service, ``ecs:DescribeServices`` on it and
            ``cloudformation:DescribeStackResource`` on the stack). Default: None (the tasks
            never drain; the deployment stops them).
    """

    min_healthy_percent: int = DEFAULT_MIN_HEALTHY_PERCENT
    max_percent: int = DEFAULT_MAX_PERCENT
    circuit_breaker: bool = False
    rollback: bool = False
    drain_check_seconds: float | None = None


@dataclass(frozen=True)
class PeriodicTaskSpec:
    """An EventBridge Scheduler schedule that sends a message to the service's queue.

    Attributes:
        logical_id: The ``AWS::Scheduler::Schedule``'s logical ID.
        name: The task's name (the message's ``beanstalk.sqsd.task_name``), else the ID.
        expression: ``rate(...)``, ``cron(...)`` or ``at(...)``.
        time_zone: The IANA time zone of the expression. Default: ``UTC``.
    """

    logical_id: str
    name: str
    expression: str
    time_zone: str = "UTC"


@dataclass(frozen=True)
class SubscriptionSpec:
    """An SNS subscription that delivers a topic's messages to the service's queue.

    Attributes:
        logical_id: The ``AWS::SNS::Subscription``'s logical ID.
        topic: The topic as the template names it: ``{ref:Logical}`` or an ARN.
        filter_policy: Its filter policy, if any.
        filter_policy_scope: ``MessageAttributes`` or ``MessageBody``.
    """

    logical_id: str
    topic: str
    filter_policy: dict[str, Any] | None = None
    filter_policy_scope: str = "MessageAttributes"


@dataclass(frozen=True)
class MessageSources:
    """What sends messages into the queue besides the workload's direct sends."""

    periodic: tuple[PeriodicTaskSpec, ...] = ()
    subscriptions: tuple[SubscriptionSpec, ...] = ()


@dataclass(frozen=True)
class ServiceModel:
    """Everything the simulator needs about one ECS service, read from a template.

    Attributes:
        template: Path or name of the template.
        logical_id: The service's logical ID.
        desired_count: Initial desired count (``DesiredCount``, default 1).
        min_capacity: Scalable target minimum (``None`` = no scalable target).
        max_capacity: Scalable target maximum.
        task: The task definition.
        queue: The queue the service consumes.
        dlq: Its dead-letter queue, if any.
        alarms: Alarms whose actions invoke this service's step policies.
        step_policies: Step scaling policies by logical ID.
        target_tracking: Target-tracking policies.
        spot: True when the capacity provider strategy uses only FARGATE_SPOT.
        pollers: Scheduled functions that read the queue. Default: none.
        container_insights: The cluster has Container Insights on (``containerInsights``
            ``enabled`` or ``enhanced``): it publishes the task counts. Default: False.
        deployment: How a new task definition rolls out. Default: ECS's defaults, no drain.
        sources: Schedules and topic subscriptions that send to the queue. Default: none.
        instances: The EC2 instances of its Auto Scaling group capacity provider. Default: None.
    """

    template: str
    logical_id: str
    desired_count: int
    min_capacity: int | None
    max_capacity: int | None
    task: TaskSpec
    queue: QueueSpec
    dlq: QueueSpec | None
    alarms: tuple[AlarmSpec, ...]
    step_policies: dict[str, StepPolicySpec]
    target_tracking: tuple[TargetTrackingSpec, ...]
    spot: bool = False
    pollers: tuple[QueuePollerSpec, ...] = ()
    container_insights: bool = False
    deployment: DeploymentSpec = field(default_factory=DeploymentSpec)
    sources: MessageSources = field(default_factory=MessageSources)
    instances: InstanceCapacitySpec | None = None
