"""Read a synthesized CloudFormation template into the simulator's model of one ECS service.

Only template JSON is read: no aws_cdk, no constructs. Intrinsic functions are resolved first
(:mod:`.intrinsics`, :mod:`.resources`); the reader then follows the references from each ECS
service to its task definition, scalable target, scaling policies, alarms, queue, scheduled
queue readers (:mod:`..models.backlog_signal.reader`) and deployment settings
(:mod:`..models.deployment.reader`), and builds the :mod:`.specs` dataclasses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.backlog_signal.reader import read_pollers
from sqs_scale_to_zero.simulate.models.deployment.reader import read_deployment
from sqs_scale_to_zero.simulate.models.instances.reader import read_instance_capacity
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template
from sqs_scale_to_zero.simulate.template.specs import (
    DEFAULT_ECS_COOLDOWN,
    DEFAULT_FARGATE_STOP_TIMEOUT,
    AlarmSpec,
    MetricQuery,
    MetricStat,
    QueueSpec,
    ServiceModel,
    StepAdjustmentSpec,
    StepPolicySpec,
    TargetTrackingSpec,
    TaskSpec,
)
from sqs_scale_to_zero.worker import contract

CONTAINER_INSIGHTS_ON = ("enabled", "enhanced")
"""``containerInsights`` values of ``AWS::ECS::Cluster`` ``ClusterSettings`` that turn it on."""


def _num(value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class TemplateReader(Template):
    """Reads one template and builds :class:`ServiceModel` objects from it.

    Args:
        template: The parsed template.
        name: A name for messages and reports (usually the file path).

    Raises:
        SimulationInputError: If the template has no ``Resources``.
    """

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
            pollers=read_pollers(self, queue.logical_id, logical_id),
            container_insights=self._container_insights(props),
            deployment=read_deployment(self, logical_id, props, task),
            instances=read_instance_capacity(self, props),
        )

    # --- links -------------------------------------------------------------------------

    def _task(self, service_id: str, props: dict[str, Any]) -> TaskSpec:
        ids = referenced_ids(props.get("TaskDefinition"))
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
        grace = env.get(contract.SHUTDOWN_GRACE_SECONDS)
        return TaskSpec(
            cpu_units=int(_num(tprops.get("Cpu"), 256)),
            memory_mib=int(_num(tprops.get("Memory"), 512)),
            arm64=str(platform.get("CpuArchitecture", "")).upper() == "ARM64",
            stop_timeout=stop_timeout,
            task_protection=env.get(contract.TASK_PROTECTION) == "enabled",
            shutdown_grace=_num(grace, 0.0) if grace is not None else None,
            extends_visibility=any(k.startswith(contract.RESERVED_PREFIX) for k in env),
            environment=env,
        )

    def _scalable_target(self, service_id: str) -> tuple[str | None, dict[str, Any] | None]:
        for tid, tprops in self.of_type("AWS::ApplicationAutoScaling::ScalableTarget").items():
            if tprops.get("ScalableDimension") != "ecs:service:DesiredCount":
                continue
            if service_id in referenced_ids(tprops.get("ResourceId")):
                return tid, tprops
        return None, None

    @staticmethod
    def _policy_targets(
        props: dict[str, Any], target_id: str, target: dict[str, Any] | None
    ) -> bool:
        if target_id in referenced_ids(props.get("ScalingTargetId")):
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
            for rid in referenced_ids(value):
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
        actions = tuple(i for i in referenced_ids(props.get("AlarmActions") or []) if i in policies)
        ok_actions = tuple(i for i in referenced_ids(props.get("OKActions") or []) if i in policies)
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
            dlq_ids = referenced_ids(redrive.get("deadLetterTargetArn"))
            name = qprops.get("QueueName")
            out[qid] = QueueSpec(
                logical_id=qid,
                name=name if isinstance(name, str) and "{" not in name else qid,
                visibility_timeout=_num(
                    qprops.get("VisibilityTimeout"), contract.SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS
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
            for rid in referenced_ids(value):
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

    def _container_insights(self, service_props: dict[str, Any]) -> bool:
        """Whether the service's cluster is in the template with Container Insights on.

        A cluster outside the template (or the default cluster) may have it on by the account
        setting, which a template does not show: its metrics are then taken as absent.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ecs-cluster-clustersettings.html
        """
        clusters = self.of_type("AWS::ECS::Cluster")
        for cid in referenced_ids(service_props.get("Cluster")):
            for setting in clusters.get(cid, {}).get("ClusterSettings") or []:
                if setting.get("Name") == "containerInsights":
                    return str(setting.get("Value")) in CONTAINER_INSIGHTS_ON
        return False


def load_service(path: str | Path, service: str | None = None) -> ServiceModel:
    """Read ``path`` and return the model of its (only, or chosen) ECS service.

    Args:
        path: Template JSON file.
        service: Logical ID of the service. Default: the only one.

    Raises:
        SimulationInputError: On any problem reading or linking the template.
    """
    return TemplateReader.from_path(path).service(service)
