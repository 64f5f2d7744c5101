"""The wake function in a template: scheduled functions that read the queue, and their fast wake.

Read from template JSON for
:class:`~sqs_scale_to_zero.simulate.template.reader.TemplateReader`: an ``AWS::Events::Rule``
on a ``rate(...)`` schedule whose target is an ``AWS::Lambda::Function`` whose ``QUEUE_URL``
environment variable references the queue
(:class:`~sqs_scale_to_zero.simulate.template.specs.QueuePollerSpec`). When the function's
environment also names the service (the contract's ``SIGNAL_SERVICE_NAME``), it may wake that
service from zero, and raise the Auto Scaling group of its instances (the contract's
``SIGNAL_AUTO_SCALING_GROUP``); what it may do is read from its environment and its role's
policies (:class:`~sqs_scale_to_zero.simulate.template.specs.WakeSpec`,
:mod:`~sqs_scale_to_zero.simulate.template.permissions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqs_scale_to_zero.simulate.models.instances.spec import InstanceWakeSpec
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.permissions import role_permissions
from sqs_scale_to_zero.simulate.template.resources import Template
from sqs_scale_to_zero.simulate.template.specs import QueuePollerSpec, WakeSpec
from sqs_scale_to_zero.worker import contract

_RATE_RE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_RATE_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_rate_seconds(expression: Any) -> float | None:
    """Seconds between runs of an EventBridge ``rate(value unit)`` expression, else ``None``.

    ``cron(...)`` expressions and malformed rates give ``None``.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
    """
    m = _RATE_RE.match(expression.strip()) if isinstance(expression, str) else None
    if m is None or int(m.group(1)) == 0:
        return None
    return float(int(m.group(1)) * _RATE_UNIT_SECONDS[m.group(2).removesuffix("s")])


def read_wake(reader: Template, function: dict[str, Any], service_id: str) -> WakeSpec | None:
    """The fast wake ``function`` may perform on ``service_id``, if its environment names it.

    A function that names the service but another cluster than the service's (when the
    service's cluster is in the template) would not find it: no wake.
    """
    variables = (function.get("Environment") or {}).get("Variables") or {}
    if service_id not in referenced_ids(variables.get(contract.SIGNAL_SERVICE_NAME)):
        return None
    service = reader.of_type("AWS::ECS::Service")[service_id]
    clusters = set(referenced_ids(service.get("Cluster"))) & set(reader.resources)
    named = set(referenced_ids(variables.get(contract.SIGNAL_CLUSTER_NAME)))
    if clusters and not clusters & named:
        return None
    alarm_ids = [
        a
        for a in referenced_ids(variables.get(contract.SIGNAL_IDLE_ALARM_NAME))
        if reader.resources.get(a, {}).get("Type") == "AWS::CloudWatch::Alarm"
    ]
    alarm = alarm_ids[0] if alarm_ids else None
    roles = [r for r in referenced_ids(function.get("Role")) if r in reader.resources]
    perms = role_permissions(roles[0], reader.resources) if roles else None

    def may(action: str, resource: str | None) -> bool:
        return perms is not None and resource is not None and perms.allows(action, resource)

    return WakeSpec(
        service_logical_id=service_id,
        alarm_logical_id=alarm,
        describe_service=may("ecs:DescribeServices", service_id),
        update_service=may("ecs:UpdateService", service_id),
        describe_alarm=may("cloudwatch:DescribeAlarms", alarm),
        disable_alarm_actions=may("cloudwatch:DisableAlarmActions", alarm),
        enable_alarm_actions=may("cloudwatch:EnableAlarmActions", alarm),
        messages_per_task=_literal_int(variables.get(contract.SIGNAL_MESSAGES_PER_TASK)),
        max_capacity=_literal_int(variables.get(contract.SIGNAL_MAX_CAPACITY)),
        instances=_instance_wake(reader, variables, may),
    )


def _instance_wake(
    reader: Template, variables: dict[str, Any], may: Callable[[str, str | None], bool]
) -> InstanceWakeSpec | None:
    """The Auto Scaling group the function's wake raises, if it names one and may raise it.

    The handler reads the group (``DescribeAutoScalingGroups``) before it sets its desired
    capacity (``SetDesiredCapacity``): either denied, no raise.
    """
    groups = [
        g
        for g in referenced_ids(variables.get(contract.SIGNAL_AUTO_SCALING_GROUP))
        if reader.resources.get(g, {}).get("Type") == "AWS::AutoScaling::AutoScalingGroup"
    ]
    per = _literal_int(variables.get(contract.SIGNAL_TASKS_PER_INSTANCE))
    if not groups or per is None:
        return None
    allowed = may("autoscaling:DescribeAutoScalingGroups", groups[0]) and may(
        "autoscaling:SetDesiredCapacity", groups[0]
    )
    return InstanceWakeSpec(groups[0], per) if allowed else None


def _literal_int(value: Any) -> int | None:
    """A positive whole number written as a string, else ``None``."""
    if isinstance(value, str) and value.isdigit() and int(value) >= 1:
        return int(value)
    return None


def read_pollers(reader: Template, queue_id: str, service_id: str) -> tuple[QueuePollerSpec, ...]:
    """Every enabled ``rate(...)`` rule invoking a function that reads ``queue_id``."""
    functions = reader.of_type("AWS::Lambda::Function")
    out: list[QueuePollerSpec] = []
    for rid, rprops in reader.of_type("AWS::Events::Rule").items():
        period = schedule_rate_seconds(rprops.get("ScheduleExpression"))
        if period is None or rprops.get("State") == "DISABLED":
            continue
        for target in rprops.get("Targets") or []:
            for fid in referenced_ids(target.get("Arn")):
                function = functions.get(fid, {})
                variables = (function.get("Environment") or {}).get("Variables") or {}
                if queue_id not in referenced_ids(variables.get(contract.SIGNAL_QUEUE_URL)):
                    continue
                ns = variables.get(contract.SIGNAL_METRIC_NAMESPACE)
                out.append(
                    QueuePollerSpec(
                        rule_logical_id=rid,
                        function_logical_id=fid,
                        queue_logical_id=queue_id,
                        period=period,
                        namespace=ns if isinstance(ns, str) and "{" not in ns else None,
                        wake=read_wake(reader, function, service_id),
                        publishes_backlog=variables.get(contract.SIGNAL_PUBLISHES)
                        != contract.SIGNAL_PUBLISHES_DESIRED,
                    )
                )
    return tuple(out)
