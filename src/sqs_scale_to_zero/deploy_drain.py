"""The deploy drain: a rolling update that never stops a busy task, and what its worker is told.

No props: every setting here follows from what a queue worker needs.

The rollout (``AWS::ECS::Service`` ``DeploymentConfiguration``): a rolling update with minimum
healthy 100 % and maximum 200 %, so ECS starts the new tasks before it stops any old one, and
the deployment circuit breaker with rollback, so a new image whose tasks keep failing to start
is rolled back to the last completed deployment (Amazon ECS developer guide, "Deploy Amazon ECS
services by replacing tasks" and "How the Amazon ECS deployment circuit breaker detects
failures"). There is no load balancer, so a task counts as healthy once it runs.

The deploy drain: task scale-in protection keeps a busy task alive through deployments too
(Amazon ECS developer guide, "Protect your Amazon ECS tasks from being terminated by scale-in
events"), and a worker on a busy queue is always busy, so on its own the old deployment would
never finish. The worker therefore checks its service's PRIMARY deployment at a bounded rate:
once that deployment names another task definition it takes no new message, and once it runs a
task the old one finishes what it holds, releases protection and exits 0 (see
:mod:`sqs_scale_to_zero.worker.deploy_drain`).

What it needs, and why it looks the way it does: on Fargate the task metadata endpoint does
not name the task's service (Amazon ECS developer guide, "Amazon ECS task metadata v4 JSON
response for tasks on Fargate"), and the task definition cannot name it either, because the
service refers to the task definition. So the container gets the stack's ID and the service's
logical ID, and the task role may call ``cloudformation:DescribeStackResource`` on this stack
(the service's physical ID is its ARN) and ``ecs:DescribeServices`` on this service, nothing
else. The grant is a policy of its own that the service does not depend on, so referring to
the service from it makes no dependency cycle; until CloudFormation has created it (right after
the service, on a stack's first deploy) the worker's checks fail and it simply keeps working.
"""

from __future__ import annotations

import math
from typing import cast

from aws_cdk import Aws, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from sqs_scale_to_zero.worker import contract

MIN_HEALTHY_PERCENT = 100
"""A deploy never stops an old task before the running count allows it: no gap in capacity."""

MAX_HEALTHY_PERCENT = 200
"""A deploy may start a full set of new tasks beside the old ones, so none waits for another."""

DRAIN_ACTIONS = ("ecs:DescribeServices", "cloudformation:DescribeStackResource")
"""What the worker calls to find out that its task is outdated."""


def deploy_check_seconds(max_capacity: int) -> int:
    """Mean seconds between two deployment checks of one task, for a fleet of ``max_capacity``.

    At least :data:`~sqs_scale_to_zero.worker.contract.DEPLOY_CHECK_MIN_SECONDS`, and long
    enough that ``max_capacity`` tasks together make at most
    :data:`~sqs_scale_to_zero.worker.contract.DEPLOY_CHECKS_PER_SECOND` ``DescribeServices``
    calls a second.
    """
    return max(
        contract.DEPLOY_CHECK_MIN_SECONDS,
        math.ceil(max_capacity / contract.DEPLOY_CHECKS_PER_SECOND),
    )


def build_deploy_drain(
    scope: Construct,
    *,
    service: ecs.BaseService,
    container: ecs.ContainerDefinition,
    max_capacity: int,
) -> iam.Policy:
    """Tell the worker where its service is and let it read that service's deployments.

    Returns:
        The task role's policy for the deploy drain (``DeployDrainPolicy``).
    """
    stack = Stack.of(scope)
    cfn_service = cast(ecs.CfnService, service.node.default_child)
    container.add_environment(contract.DEPLOY_STACK, Aws.STACK_ID)
    container.add_environment(contract.DEPLOY_SERVICE_RESOURCE, stack.get_logical_id(cfn_service))
    container.add_environment(
        contract.DEPLOY_CHECK_SECONDS, str(deploy_check_seconds(max_capacity))
    )
    describe_services, describe_stack_resource = DRAIN_ACTIONS
    return iam.Policy(
        scope,
        "DeployDrainPolicy",
        roles=[service.task_definition.task_role],
        statements=[
            iam.PolicyStatement(actions=[describe_services], resources=[service.service_arn]),
            iam.PolicyStatement(actions=[describe_stack_resource], resources=[Aws.STACK_ID]),
        ],
    )
