"""What a template declares about rolling out a new task definition.

The reader builds :class:`~sqs_scale_to_zero.simulate.template.specs.DeploymentSpec`.

The rollout: the service's ``DeploymentConfiguration`` (``MinimumHealthyPercent``,
``MaximumPercent``, ``DeploymentCircuitBreaker``), with ECS's defaults where it sets none.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ecs-service-deploymentconfiguration.html

The drain: our worker checks whether its task is outdated only when it can find its service and
read its deployments (the contract's "The deploy drain"). The simulator
grants the drain when the worker container sets ``DEPLOY_STACK`` and ``DEPLOY_SERVICE_RESOURCE``
(naming this service's logical ID) and the task role allows ``ecs:DescribeServices`` on the
service and ``cloudformation:DescribeStackResource`` on the stack the environment names (as
:mod:`~sqs_scale_to_zero.simulate.template.permissions` reads grants). Without any of them
every check fails, and a worker whose check fails keeps working normally: its tasks are then
stopped by the deployment like any other's. The check interval is ``DEPLOY_CHECK_SECONDS``, at least
:data:`~sqs_scale_to_zero.worker.contract.DEPLOY_CHECK_MIN_SECONDS`.
"""

from __future__ import annotations

from typing import Any

from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.permissions import role_permissions
from sqs_scale_to_zero.simulate.template.resources import Template
from sqs_scale_to_zero.simulate.template.specs import (
    DEFAULT_MAX_PERCENT,
    DEFAULT_MIN_HEALTHY_PERCENT,
    DeploymentSpec,
    TaskSpec,
)
from sqs_scale_to_zero.worker import contract


def _int(value: Any, default: int) -> int:
    try:
        return int(float(value)) if value is not None else default
    except (TypeError, ValueError):
        return default


def _drain_check_seconds(
    reader: Template, service_id: str, props: dict[str, Any], task: TaskSpec
) -> float | None:
    env = task.environment
    stack = env.get(contract.DEPLOY_STACK)
    if not stack or env.get(contract.DEPLOY_SERVICE_RESOURCE) != service_id:
        return None
    task_defs = reader.of_type("AWS::ECS::TaskDefinition")
    tid = next((i for i in referenced_ids(props.get("TaskDefinition")) if i in task_defs), None)
    if tid is None:
        return None
    roles = [r for r in referenced_ids(task_defs[tid].get("TaskRoleArn")) if r in reader.resources]
    if not roles:
        return None
    perms = role_permissions(roles[0], reader.resources)
    if not (
        perms.allows("ecs:DescribeServices", service_id)
        and perms.allows_value("cloudformation:DescribeStackResource", stack)
    ):
        return None
    try:
        seconds = float(env.get(contract.DEPLOY_CHECK_SECONDS, contract.DEPLOY_CHECK_MIN_SECONDS))
    except ValueError:
        seconds = float(contract.DEPLOY_CHECK_MIN_SECONDS)
    return max(seconds, float(contract.DEPLOY_CHECK_MIN_SECONDS))


def read_deployment(
    reader: Template, service_id: str, props: dict[str, Any], task: TaskSpec
) -> DeploymentSpec:
    """The rollout and drain of the service ``service_id``.

    Args:
        reader: The template.
        service_id: The service's logical ID.
        props: Its resolved properties.
        task: Its task definition as read (its container environment).
    """
    config = props.get("DeploymentConfiguration") or {}
    breaker = config.get("DeploymentCircuitBreaker") or {}
    return DeploymentSpec(
        min_healthy_percent=_int(config.get("MinimumHealthyPercent"), DEFAULT_MIN_HEALTHY_PERCENT),
        max_percent=_int(config.get("MaximumPercent"), DEFAULT_MAX_PERCENT),
        circuit_breaker=str(breaker.get("Enable", False)).lower() == "true",
        rollback=str(breaker.get("Rollback", False)).lower() == "true",
        drain_check_seconds=_drain_check_seconds(reader, service_id, props, task),
    )
