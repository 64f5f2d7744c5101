"""Read a synthesized CloudFormation template into the simulator's model of one ECS service.

Only template JSON is read: no aws_cdk, no constructs. Intrinsic functions are resolved to
plain strings in which references stay recognisable (``{ref:Logical}`` for ``Ref``,
``{att:Logical.Attr}`` for ``Fn::GetAtt``), which is enough to link
alarm -> scaling policy -> scalable target -> service -> task definition -> queue in any
stack, ours or not.

CloudFormation intrinsic functions:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationInputError

_REF_RE = re.compile(r"\{ref:([A-Za-z0-9]+)\}")
_ATT_RE = re.compile(r"\{att:([A-Za-z0-9]+)\.([A-Za-z0-9.]+)\}")

DEFAULT_VISIBILITY_TIMEOUT = 30.0
"""SQS default visibility timeout in seconds (AWS::SQS::Queue VisibilityTimeout)."""

DEFAULT_FARGATE_STOP_TIMEOUT = 30.0
"""ECS default container stopTimeout on Fargate, in seconds (task definition parameters)."""

DEFAULT_ECS_COOLDOWN = 300.0
"""Application Auto Scaling's default cooldown for ECS services, in seconds."""

_RATE_RE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_RATE_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


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
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
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
        environment: All literal container environment variables (resolved to strings).
    """

    cpu_units: int
    memory_mib: int
    arm64: bool = False
    stop_timeout: float = DEFAULT_FARGATE_STOP_TIMEOUT
    task_protection: bool = False
    shutdown_grace: float | None = None
    extends_visibility: bool = False
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
        namespace: The function's literal ``METRIC_NAMESPACE`` variable (where it publishes the
            queue's counts), or ``None``.
    """

    rule_logical_id: str
    function_logical_id: str
    queue_logical_id: str
    period: float
    namespace: str | None = None


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


class _Resolver:
    """Resolves intrinsic functions to strings that keep references recognisable."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, Any] = template.get("Resources") or {}
        self.parameters: dict[str, Any] = template.get("Parameters") or {}

    def resolve(self, value: Any) -> Any:
        """Resolve ``value`` recursively; dicts without intrinsics stay dicts."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
                return f"{{att:{parts[0]}.{self.resolve(parts[1])}}}"
            if key == "Fn::Join":
                sep, items = arg
                return str(sep).join(str(self.resolve(i)) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                return self.resolve(arg[1])
            if key.startswith("Fn::"):
                return f"{{fn:{key}}}"
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> Any:
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return default if default is not None else f"{{param:{name}}}"
        if name.startswith("AWS::"):
            return {"AWS::Partition": "aws", "AWS::Region": "us-east-1"}.get(name, f"{{{name}}}")
        return f"{{ref:{name}}}"

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical, attr = name.split(".", 1)
                return f"{{att:{logical}.{attr}}}"
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", repl, str(text))


def _referenced_ids(text: Any) -> list[str]:
    """Logical IDs referenced (by Ref or GetAtt) anywhere in a resolved value."""
    s = json.dumps(text) if not isinstance(text, str) else text
    return [m.group(1) for m in _REF_RE.finditer(s)] + [m.group(1) for m in _ATT_RE.finditer(s)]


def _num(value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class TemplateReader:
    """Reads one template and builds :class:`ServiceModel` objects from it.

    Args:
        template: The parsed template.
        name: A name for messages and reports (usually the file path).

    Raises:
        SimulationInputError: If the template has no ``Resources``.
    """

    def __init__(self, template: dict[str, Any], name: str) -> None:
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            raise SimulationInputError(f"{name}: not a CloudFormation template (no Resources)")
        self.name = name
        self._resolver = _Resolver(template)
        self.resources: dict[str, dict[str, Any]] = {
            k: {
                "Type": v.get("Type", ""),
                "Properties": self._resolver.resolve(v.get("Properties") or {}),
            }
            for k, v in template["Resources"].items()
        }

    @classmethod
    def from_path(cls, path: str | Path) -> TemplateReader:
        """Load a template JSON file.

        Raises:
            SimulationInputError: If the file is missing or not JSON.
        """
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise SimulationInputError(f"{p}: template file not found") from None
        except json.JSONDecodeError as exc:
            raise SimulationInputError(
                f"{p}: not valid JSON ({exc.msg}, line {exc.lineno})"
            ) from None
        return cls(data, str(p))

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        """Properties of every resource of ``cfn_type``, by logical ID."""
        return {k: v["Properties"] for k, v in self.resources.items() if v["Type"] == cfn_type}

    def service_ids(self) -> list[str]:
        """Logical IDs of the template's ECS services."""
        return list(self.of_type("AWS::ECS::Service"))

    def service(self, logical_id: str | None = None) -> ServiceModel:
        """Build the model of one ECS service.

        Args:
            logical_id: The service's logical ID. Default: the only service in the template.

        Raises:
            SimulationInputError: No service, several services and none chosen, or a link the
                simulator needs (task definition, queue) cannot be found.
        """
        services = self.service_ids()
        if not services:
            raise SimulationInputError(f"{self.name}: no AWS::ECS::Service in the template")
        if logical_id is None:
            if len(services) > 1:
                raise SimulationInputError(
                    f"{self.name}: {len(services)} ECS services ({', '.join(services)}); "
                    "choose one with --service LOGICAL_ID"
                )
            logical_id = services[0]
        elif logical_id not in services:
            raise SimulationInputError(
                f"{self.name}: no ECS service {logical_id!r} (found {', '.join(services)})"
            )
        props = self.of_type("AWS::ECS::Service")[logical_id]
        task = self._task(logical_id, props)
        target_id, target = self._scalable_target(logical_id)
        step_policies: dict[str, StepPolicySpec] = {}
        tracking: list[TargetTrackingSpec] = []
        for pid, pprops in self.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").items():
            if target_id is None or not self._policy_targets(pprops, target_id, target):
                continue
            if pprops.get("PolicyType") == "TargetTrackingScaling":
                tracking.append(self._target_tracking(pid, pprops))
            else:
                step_policies[pid] = self._step_policy(pid, pprops)
        alarms = [
            a
            for aid, aprops in self.of_type("AWS::CloudWatch::Alarm").items()
            if (a := self._alarm(aid, aprops, set(step_policies))) is not None
        ]
        queue = self._queue_for(logical_id, task, alarms)
        queues = self._queues()
        dlq = queues.get(queue.dlq_logical_id) if queue.dlq_logical_id else None
        desired = int(_num(props.get("DesiredCount"), 1))
        strategy = props.get("CapacityProviderStrategy") or []
        spot = bool(strategy) and all(s.get("CapacityProvider") == "FARGATE_SPOT" for s in strategy)
        return ServiceModel(
            template=self.name,
            logical_id=logical_id,
            desired_count=desired,
            min_capacity=int(_num(target.get("MinCapacity"), 0)) if target is not None else None,
            max_capacity=int(_num(target.get("MaxCapacity"), desired))
            if target is not None
            else None,
            task=task,
            queue=queue,
            dlq=dlq,
            alarms=tuple(alarms),
            step_policies=step_policies,
            target_tracking=tuple(tracking),
            spot=spot,
            pollers=self._pollers(queue.logical_id),
        )

    # --- links -------------------------------------------------------------------------

    def _task(self, service_id: str, props: dict[str, Any]) -> TaskSpec:
        ids = _referenced_ids(props.get("TaskDefinition"))
        tasks = self.of_type("AWS::ECS::TaskDefinition")
        tid = next((i for i in ids if i in tasks), None)
        if tid is None:
            raise SimulationInputError(
                f"{self.name}: ECS service {service_id} has no task definition in the template"
            )
        tprops = tasks[tid]
        env: dict[str, str] = {}
        stop_timeout = DEFAULT_FARGATE_STOP_TIMEOUT
        for container in tprops.get("ContainerDefinitions") or []:
            for item in container.get("Environment") or []:
                env[str(item.get("Name"))] = str(item.get("Value"))
            if container.get("StopTimeout") is not None:
                stop_timeout = _num(container.get("StopTimeout"), stop_timeout)
        platform = tprops.get("RuntimePlatform") or {}
        grace = env.get("SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS")
        return TaskSpec(
            cpu_units=int(_num(tprops.get("Cpu"), 256)),
            memory_mib=int(_num(tprops.get("Memory"), 512)),
            arm64=str(platform.get("CpuArchitecture", "")).upper() == "ARM64",
            stop_timeout=stop_timeout,
            task_protection=env.get("SCALE_TO_ZERO_TASK_PROTECTION") == "enabled",
            shutdown_grace=_num(grace, 0.0) if grace is not None else None,
            extends_visibility=any(k.startswith("SCALE_TO_ZERO_") for k in env),
            environment=env,
        )

    def _scalable_target(self, service_id: str) -> tuple[str | None, dict[str, Any] | None]:
        for tid, tprops in self.of_type("AWS::ApplicationAutoScaling::ScalableTarget").items():
            if tprops.get("ScalableDimension") != "ecs:service:DesiredCount":
                continue
            if service_id in _referenced_ids(tprops.get("ResourceId")):
                return tid, tprops
        return None, None

    @staticmethod
    def _policy_targets(
        props: dict[str, Any], target_id: str, target: dict[str, Any] | None
    ) -> bool:
        if target_id in _referenced_ids(props.get("ScalingTargetId")):
            return True
        return target is not None and props.get("ResourceId") == target.get("ResourceId")

    def _step_policy(self, pid: str, props: dict[str, Any]) -> StepPolicySpec:
        cfg = props.get("StepScalingPolicyConfiguration") or {}
        steps = tuple(
            StepAdjustmentSpec(
                lower=None
                if s.get("MetricIntervalLowerBound") is None
                else float(s["MetricIntervalLowerBound"]),
                upper=None
                if s.get("MetricIntervalUpperBound") is None
                else float(s["MetricIntervalUpperBound"]),
                adjustment=int(s.get("ScalingAdjustment", 0)),
            )
            for s in cfg.get("StepAdjustments") or []
        )
        mam = cfg.get("MinAdjustmentMagnitude")
        return StepPolicySpec(
            logical_id=pid,
            adjustment_type=str(cfg.get("AdjustmentType", "ChangeInCapacity")),
            steps=steps,
            metric_aggregation=str(cfg.get("MetricAggregationType", "Average")),
            cooldown=_num(cfg.get("Cooldown"), DEFAULT_ECS_COOLDOWN),
            min_adjustment_magnitude=int(mam) if mam is not None else None,
        )

    def _target_tracking(self, pid: str, props: dict[str, Any]) -> TargetTrackingSpec:
        cfg = props.get("TargetTrackingScalingPolicyConfiguration") or {}
        predefined = (cfg.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        metric = None
        custom = cfg.get("CustomizedMetricSpecification")
        if custom and custom.get("MetricName"):
            metric = self._metric_stat(custom, str(custom.get("Statistic", "Average")), 60)
        return TargetTrackingSpec(
            logical_id=pid,
            target_value=_num(cfg.get("TargetValue"), 50.0),
            metric=metric,
            predefined_type=str(predefined) if predefined else None,
            scale_out_cooldown=_num(cfg.get("ScaleOutCooldown"), DEFAULT_ECS_COOLDOWN),
            scale_in_cooldown=_num(cfg.get("ScaleInCooldown"), DEFAULT_ECS_COOLDOWN),
            disable_scale_in=bool(cfg.get("DisableScaleIn", False)),
        )

    def _subject(self, dims: dict[str, str]) -> str | None:
        preferred = ("ServiceName", "QueueName")
        ordered = [dims[k] for k in preferred if k in dims] + [
            v for k, v in dims.items() if k not in preferred
        ]
        for value in ordered:
            for rid in _referenced_ids(value):
                if rid in self.resources:
                    return rid
            for qid, q in self._queues().items():
                if value == q.name:
                    return qid
            for sid, sprops in self.of_type("AWS::ECS::Service").items():
                if value == sprops.get("ServiceName"):
                    return sid
        return None

    def _metric_stat(self, metric: dict[str, Any], stat: str, period: int) -> MetricStat:
        dims = {str(d.get("Name")): str(d.get("Value")) for d in metric.get("Dimensions") or []}
        return MetricStat(
            namespace=str(metric.get("Namespace", "")),
            metric_name=str(metric.get("MetricName", "")),
            dimensions=dims,
            subject=self._subject(dims),
            stat=stat,
            period=period,
        )

    def _alarm(self, aid: str, props: dict[str, Any], policies: set[str]) -> AlarmSpec | None:
        actions = tuple(
            i for i in _referenced_ids(props.get("AlarmActions") or []) if i in policies
        )
        ok_actions = tuple(
            i for i in _referenced_ids(props.get("OKActions") or []) if i in policies
        )
        if not actions and not ok_actions:
            return None
        queries: list[MetricQuery] = []
        period = int(_num(props.get("Period"), 60))
        if props.get("Metrics"):
            for q in props["Metrics"]:
                ms = q.get("MetricStat")
                stat = None
                if ms:
                    stat = self._metric_stat(
                        ms.get("Metric") or {},
                        str(ms.get("Stat", "Average")),
                        int(_num(ms.get("Period"), 60)),
                    )
                    period = stat.period
                queries.append(
                    MetricQuery(
                        id=str(q.get("Id")),
                        metric=stat,
                        expression=q.get("Expression"),
                        return_data=bool(q.get("ReturnData", True)),
                    )
                )
            if not any(q.return_data for q in queries):
                queries[-1] = MetricQuery(
                    queries[-1].id, queries[-1].metric, queries[-1].expression, True
                )
        else:
            stat_name = str(props.get("Statistic") or props.get("ExtendedStatistic") or "Average")
            queries.append(
                MetricQuery("m", self._metric_stat(props, stat_name, period), None, True)
            )
        n = int(_num(props.get("EvaluationPeriods"), 1))
        return AlarmSpec(
            logical_id=aid,
            queries=tuple(queries),
            period=period,
            evaluation_periods=n,
            datapoints_to_alarm=int(_num(props.get("DatapointsToAlarm"), n)),
            threshold=_num(props.get("Threshold"), 0.0),
            comparison=str(props.get("ComparisonOperator", "GreaterThanOrEqualToThreshold")),
            treat_missing_data=str(props.get("TreatMissingData", "missing")),
            alarm_actions=actions,
            ok_actions=ok_actions,
        )

    def _queues(self) -> dict[str, QueueSpec]:
        out: dict[str, QueueSpec] = {}
        for qid, qprops in self.of_type("AWS::SQS::Queue").items():
            redrive = qprops.get("RedrivePolicy") or {}
            if isinstance(redrive, str):
                redrive = json.loads(redrive)
            dlq_ids = _referenced_ids(redrive.get("deadLetterTargetArn"))
            name = qprops.get("QueueName")
            out[qid] = QueueSpec(
                logical_id=qid,
                name=name if isinstance(name, str) and "{" not in name else qid,
                visibility_timeout=_num(
                    qprops.get("VisibilityTimeout"), DEFAULT_VISIBILITY_TIMEOUT
                ),
                delay_seconds=_num(qprops.get("DelaySeconds"), 0.0),
                max_receive_count=int(redrive["maxReceiveCount"])
                if "maxReceiveCount" in redrive
                else None,
                dlq_logical_id=dlq_ids[0] if dlq_ids else None,
            )
        return out

    def _queue_for(self, service_id: str, task: TaskSpec, alarms: list[AlarmSpec]) -> QueueSpec:
        queues = self._queues()
        dlqs = {q.dlq_logical_id for q in queues.values() if q.dlq_logical_id}
        for value in task.environment.values():
            for rid in _referenced_ids(value):
                if rid in queues:
                    return queues[rid]
        for alarm in alarms:
            for q in alarm.queries:
                if q.metric and q.metric.subject in queues and q.metric.subject not in dlqs:
                    return queues[q.metric.subject]
        candidates = [q for qid, q in queues.items() if qid not in dlqs]
        if len(candidates) == 1:
            return candidates[0]
        raise SimulationInputError(
            f"{self.name}: cannot tell which SQS queue ECS service {service_id} consumes "
            f"({len(candidates)} candidate queues and no QUEUE_NAME/QUEUE_URL environment link)"
        )

    def _pollers(self, queue_id: str) -> tuple[QueuePollerSpec, ...]:
        functions = self.of_type("AWS::Lambda::Function")
        out: list[QueuePollerSpec] = []
        for rid, rprops in self.of_type("AWS::Events::Rule").items():
            period = schedule_rate_seconds(rprops.get("ScheduleExpression"))
            if period is None or rprops.get("State") == "DISABLED":
                continue
            for target in rprops.get("Targets") or []:
                for fid in _referenced_ids(target.get("Arn")):
                    variables = (functions.get(fid, {}).get("Environment") or {}).get(
                        "Variables"
                    ) or {}
                    if queue_id not in _referenced_ids(variables.get("QUEUE_URL")):
                        continue
                    ns = variables.get("METRIC_NAMESPACE")
                    out.append(
                        QueuePollerSpec(
                            rule_logical_id=rid,
                            function_logical_id=fid,
                            queue_logical_id=queue_id,
                            period=period,
                            namespace=ns if isinstance(ns, str) and "{" not in ns else None,
                        )
                    )
        return tuple(out)


def schedule_rate_seconds(expression: Any) -> float | None:
    """Seconds between runs of an EventBridge ``rate(value unit)`` expression, else ``None``.

    ``cron(...)`` expressions and malformed rates give ``None``.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
    """
    m = _RATE_RE.match(expression.strip()) if isinstance(expression, str) else None
    if m is None or int(m.group(1)) == 0:
        return None
    return float(int(m.group(1)) * _RATE_UNIT_SECONDS[m.group(2).removesuffix("s")])


def load_service(path: str | Path, service: str | None = None) -> ServiceModel:
    """Read ``path`` and return the model of its (only, or chosen) ECS service.

    Args:
        path: Template JSON file.
        service: Logical ID of the service. Default: the only one.

    Raises:
        SimulationInputError: On any problem reading or linking the template.
    """
    return TemplateReader.from_path(path).service(service)
