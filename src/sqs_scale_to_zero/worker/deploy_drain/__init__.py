"""The deploy drain, the worker's side: a task that a deploy made outdated drains and exits.

Task scale-in protection keeps a busy task alive through deployments too (Amazon ECS developer
guide, "Protect your Amazon ECS tasks from being terminated by scale-in events"), and a worker on
a queue with a steady backlog is never idle. So the worker finds out by itself that a deploy has
replaced its task definition. From the first check that sees the new PRIMARY deployment it
*pauses*: it receives nothing more and hands back the messages it received but has not started.
Once that deployment runs a task it *drains* (see ``Worker.drain``): it lets the running
messages finish (their visibility is still extended), turns task protection off and exits 0.
ECS stops the task, and the deployment completes about one job duration after it began. A
deployment that has no running task :data:`~sqs_scale_to_zero.worker.contract.
DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS` after the pause began (a new image that does not start) ends
the pause: the task goes back to work on the old code and drains once the deployment runs a task;
if the circuit breaker rolls it back, the PRIMARY names this task's task definition again and
the task simply keeps working.

**The signal.** The task metadata endpoint v4 (``$ECS_CONTAINER_METADATA_URI_V4/task``) gives the
task's ``Cluster``, ``TaskARN``, ``Family`` and ``Revision``, but not its service on Fargate
(Amazon ECS developer guide, "Amazon ECS task metadata v4 JSON response for tasks on Fargate").
The construct therefore passes the stack's ID and the service's logical ID, and
``cloudformation:DescribeStackResource`` gives the service's ARN (the physical ID of an
``AWS::ECS::Service``). Then every check calls ``ecs:DescribeServices`` on that one service. The
task is **outdated** when the PRIMARY deployment's task definition (``family:revision``) is not
the task's own.

**The rate.** ECS throttles API requests per account and Region with a token bucket per group of
actions (Amazon ECS API reference, "Request throttling for the Amazon ECS API");
``DescribeServices`` is one of the *service read actions*, whose default sustained rate is 20
requests per second. Each task checks once per ``check_seconds`` on average (jittered by
the contract's ``DEPLOY_CHECK_JITTER``, the first check after a random fraction of an interval,
so tasks started together do not call together), and the construct sets ``check_seconds`` to
``max(DEPLOY_CHECK_MIN_SECONDS, max_capacity / DEPLOY_CHECKS_PER_SECOND)``: at ``max_capacity``
the fleet makes two calls per second on average, a tenth of that rate, and fewer tasks make
fewer calls. The bucket is the account's in the Region: other ECS clients (and other services of
this kind) share it. ``DescribeStackResource`` is called once per task, until it succeeds.

**Failures.** A check that fails (no metadata endpoint, an HTTP error or unreadable answer, an
AWS error such as throttling or access denied, an answer without exactly one PRIMARY deployment)
changes nothing: the worker goes on working, logs a warning the first time each kind of failure
happens (later ones at DEBUG, counted in ``deploy_check_failures``), and checks again at the next
interval. Nothing here ever stops the worker but the verdict ``Outdated`` with a running
replacement (a failed check during a pause keeps the pause, and its time limit).
"""

from sqs_scale_to_zero.worker.deploy_drain.verdict import (
    CheckFailed,
    Outdated,
    TaskIdentity,
    outdated,
    parse_task_metadata,
    primary_deployment,
    read_task_metadata,
)
from sqs_scale_to_zero.worker.deploy_drain.watch import (
    DEFAULT_TIMEOUT_SECONDS,
    DeployDrainWatch,
    EcsDeployDrainWatch,
    NoDeployDrainWatch,
)

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "CheckFailed",
    "DeployDrainWatch",
    "EcsDeployDrainWatch",
    "NoDeployDrainWatch",
    "Outdated",
    "TaskIdentity",
    "outdated",
    "parse_task_metadata",
    "primary_deployment",
    "read_task_metadata",
]
