"""The runtime's container beside the app: its image and its place in the task.

Both containers are essential and share the task's network namespace (``awsvpc``), so the
runtime reaches the app on ``127.0.0.1`` and neither needs a port mapping (one would only open
the port on the task's network interface).

The stop order: the runtime depends on the app (``dependsOn``, condition ``START``), so the app
starts first, and "when a dependency is defined for container startup, for container shutdown
it is reversed" (Amazon ECS API Reference, ``ContainerDependency``; AWS CloudFormation template
reference, ``AWS::ECS::TaskDefinition ContainerDependency``). When ECS stops the task (scale-in,
deploy), SIGTERM therefore reaches the runtime first: it stops receiving, lets the open requests
finish within its shutdown grace, releases the rest and exits 0; only then is the app stopped,
so it serves every request in flight to the end.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs

from sqs_scale_to_zero.delivery.settings import HttpRuntime
from sqs_scale_to_zero.worker import contract

RUNTIME_CONTAINER_NAME = "Runtime"
RUNTIME_LOG_PREFIX = "runtime"


def runtime_environment(delivery: HttpRuntime) -> dict[str, str]:
    """The ``SCALE_TO_ZERO_DELIVER_*`` variables that point the runtime at the app."""
    environment = {
        contract.DELIVER_TO: delivery.url,
        contract.DELIVER_CONTENT_TYPE: delivery.content_type,
        contract.DELIVER_TIMEOUT_SECONDS: str(delivery.timeout_seconds),
    }
    if delivery.health_path is not None:
        environment[contract.DELIVER_HEALTH_PATH] = delivery.health_path
    return environment


def add_runtime_container(
    task_definition: ecs.TaskDefinition,
    delivery: HttpRuntime,
    *,
    app: ecs.ContainerDefinition,
    environment: dict[str, str],
    log_group: logs.ILogGroup,
    stop_timeout: Duration,
) -> ecs.ContainerDefinition:
    """Add the runtime's container, started after ``app`` and so stopped before it.

    Args:
        task_definition: The task.
        delivery: The checked HTTP delivery.
        app: The app's container.
        environment: The worker runtime's variables (queue, protection, shutdown grace, ...);
            the delivery's own are added.
        log_group: The task's log group; the runtime logs under the ``runtime`` prefix.
        stop_timeout: The task's stop timeout, the same for both containers.

    Returns:
        The runtime's container.
    """
    runtime = task_definition.add_container(
        RUNTIME_CONTAINER_NAME,
        image=delivery.image,
        environment={**environment, **runtime_environment(delivery)},
        essential=True,
        logging=ecs.LogDrivers.aws_logs(stream_prefix=RUNTIME_LOG_PREFIX, log_group=log_group),
        stop_timeout=stop_timeout,
    )
    runtime.add_container_dependencies(
        ecs.ContainerDependency(container=app, condition=ecs.ContainerDependencyCondition.START)
    )
    return runtime
