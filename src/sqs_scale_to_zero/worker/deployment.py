"""Draining a task that a deploy made outdated: the worker's side of a rolling deployment.

Task scale-in protection keeps a busy task alive through deployments too (Amazon ECS developer
guide, "Protect your Amazon ECS tasks from being terminated by scale-in events"), and a worker on
a queue with a steady backlog is never idle. So the worker finds out by itself that a deploy has
replaced its task definition, and then *drains* (see ``Worker.drain``): it receives nothing more,
hands back the messages it received but has not started, lets the running ones finish (their
visibility is still extended), turns task protection off and exits 0. ECS stops the task, and the
deployment completes about one job duration after it began.

**The signal.** The task metadata endpoint v4 (``$ECS_CONTAINER_METADATA_URI_V4/task``) gives the
task's ``Cluster``, ``TaskARN``, ``Family`` and ``Revision``, but not its service on Fargate
(Amazon ECS developer guide, "Amazon ECS task metadata v4 JSON response for tasks on Fargate").
The construct therefore passes the stack's ID and the service's logical ID, and
``cloudformation:DescribeStackResource`` gives the service's ARN (the physical ID of an
``AWS::ECS::Service``). Then every check calls ``ecs:DescribeServices`` on that one service. The
task is **outdated** when the PRIMARY deployment's task definition (``family:revision``) is not
the task's own *and* that deployment has at least one running task: a deployment whose tasks do
not start (a bad image) is never drained into; the circuit breaker rolls it back, and the
rollback's PRIMARY names the old task definition again.

**The rate.** ECS throttles API requests per account and Region with a token bucket per group of
actions (Amazon ECS API reference, "Request throttling for the Amazon ECS API");
``DescribeServices`` is one of the *service read actions*, whose default sustained rate is 20
requests per second. Each task checks once per ``check_seconds`` on average (jittered by
``JITTER``, the first check after a random fraction of an interval, so tasks started together do
not call together), and the construct sets ``check_seconds`` to
``max(DEPLOY_CHECK_MIN_SECONDS, max_capacity / DEPLOY_CHECKS_PER_SECOND)``: at ``max_capacity``
the fleet makes one call per second on average, a twentieth of that rate, and fewer tasks make
fewer calls. ``DescribeStackResource`` is called once per task, until it succeeds.

**Failures.** A check that fails (no metadata endpoint, an HTTP error or unreadable answer, an
AWS error such as throttling or access denied, an answer without exactly one PRIMARY deployment)
changes nothing: the worker goes on working, logs a warning the first time each kind of failure
happens (later ones at DEBUG, counted in ``deploy_check_failures``), and checks again at the next
interval. Nothing here ever stops the worker but the verdict ``Outdated``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import boto3  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS, check_client_config, make_client

if TYPE_CHECKING:
    from sqs_scale_to_zero.worker.config import WorkerConfig
    from sqs_scale_to_zero.worker.stats import WorkerStats

logger = logging.getLogger("sqs_scale_to_zero.worker.deployment")

JITTER = 0.25
"""Each interval between two checks is ``check_seconds`` times a uniform factor in 1 ± this."""

DEFAULT_TIMEOUT_SECONDS = 5.0
"""Connect and read timeout of one metadata or AWS call of a check."""

TASK_DEFINITION_MARKER = "task-definition/"
"""What precedes ``family:revision`` in a task definition ARN."""


@dataclass(frozen=True)
class TaskIdentity:
    """What the task metadata endpoint says about this task.

    Attributes:
        cluster: The cluster's ARN (or name). Required.
        task_arn: The task's ARN. Required.
        family: The task definition's family. Required.
        revision: The task definition's revision. Required.
    """

    cluster: str
    task_arn: str
    family: str
    revision: str

    @property
    def task_definition(self) -> str:
        """``family:revision``."""
        return f"{self.family}:{self.revision}"


@dataclass(frozen=True)
class Outdated:
    """The verdict that this task is no longer part of its service's current deployment.

    Attributes:
        own: This task's task definition, ``family:revision``. Required.
        primary: The PRIMARY deployment's task definition, ``family:revision``. Required.
        running: The PRIMARY deployment's running tasks (at least 1). Required.
    """

    own: str
    primary: str
    running: int

    def __str__(self) -> str:
        return (
            f"task definition {self.own} is outdated: the service's primary deployment runs "
            f"{self.primary} ({self.running} task(s) running)"
        )


class CheckFailed(Exception):
    """One step of a deployment check failed; ``step`` and ``kind`` name the kind of failure.

    Args:
        step: The call that failed, e.g. ``"DescribeServices"``. Required.
        kind: What went wrong, e.g. an AWS error code or ``"malformed answer"``. Required.
        detail: The details, for the log. Required.
    """

    def __init__(self, step: str, kind: str, detail: str) -> None:
        super().__init__(f"{step}: {kind}: {detail}")
        self.step = step
        self.kind = kind


def _aws_failure(step: str, error: Exception) -> CheckFailed:
    if isinstance(error, ClientError):
        kind = str(error.response.get("Error", {}).get("Code") or "ClientError")
    else:
        kind = type(error).__name__
    return CheckFailed(step, kind, str(error))


def parse_task_metadata(payload: bytes) -> TaskIdentity:
    """Read the ``/task`` answer of the task metadata endpoint v4.

    Raises:
        CheckFailed: The answer is not JSON or lacks one of ``Cluster``, ``TaskARN``,
            ``Family``, ``Revision``.
    """
    try:
        answer = json.loads(payload)
    except ValueError:
        raise CheckFailed("task metadata", "malformed answer", repr(payload[:200])) from None
    fields = ("Cluster", "TaskARN", "Family", "Revision")
    values = [answer.get(name) if isinstance(answer, dict) else None for name in fields]
    if not all(isinstance(value, str | int) and str(value) for value in values):
        raise CheckFailed("task metadata", "malformed answer", repr(payload[:200]))
    return TaskIdentity(*(str(value) for value in values))


def read_task_metadata(metadata_uri: str, timeout_seconds: float) -> TaskIdentity:
    """``GET $ECS_CONTAINER_METADATA_URI_V4/task`` and read it.

    Raises:
        CheckFailed: The endpoint failed, timed out or gave an unreadable answer.
    """
    url = metadata_uri.rstrip("/") + "/task"
    try:
        with urllib.request.urlopen(url, timeout=timeout_seconds) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        raise CheckFailed("task metadata", f"HTTP {error.code}", url) from None
    except (OSError, ValueError) as error:
        raise CheckFailed("task metadata", type(error).__name__, f"{url}: {error}") from None
    return parse_task_metadata(payload)


def primary_deployment(answer: Mapping[str, Any]) -> tuple[str, int]:
    """The PRIMARY deployment's ``family:revision`` and running count, from ``DescribeServices``.

    Raises:
        CheckFailed: The service is missing, or there is not exactly one well-formed PRIMARY
            deployment.
    """
    failures = answer.get("failures") or []
    services = answer.get("services") or []
    if failures or len(services) != 1:
        reasons = sorted({str(item.get("reason")) for item in failures if isinstance(item, dict)})
        kind = f"service {', '.join(reasons)}" if reasons else "malformed answer"
        raise CheckFailed("DescribeServices", kind, f"{failures or services}"[:300])
    deployments = services[0].get("deployments") or []
    primaries = [d for d in deployments if isinstance(d, dict) and d.get("status") == "PRIMARY"]
    if len(primaries) == 1:
        arn, running = primaries[0].get("taskDefinition"), primaries[0].get("runningCount")
        if isinstance(arn, str) and TASK_DEFINITION_MARKER in arn and isinstance(running, int):
            return arn.rpartition(TASK_DEFINITION_MARKER)[2], running
    raise CheckFailed("DescribeServices", "malformed answer", f"deployments: {deployments}"[:300])


def outdated(task: TaskIdentity, primary: str, running: int) -> Outdated | None:
    """The verdict for ``task`` given its service's PRIMARY deployment; ``None``: keep working."""
    if primary == task.task_definition or running < 1:
        return None
    return Outdated(own=task.task_definition, primary=primary, running=running)


class DeploymentWatch(Protocol):
    """What the worker asks of a deployment watch."""

    def start(self, on_outdated: Callable[[Outdated], None], stopped: threading.Event) -> None:
        """Watch on a daemon thread until ``stopped`` is set; call ``on_outdated`` at most once."""
        ...


class NoDeploymentWatch:
    """Never checks: not on ECS, or the construct did not say where the service is.

    Args:
        reason: Why, logged once at ``start()``. Default: ``"turned off"``.
    """

    def __init__(self, reason: str = "turned off") -> None:
        self.reason = reason

    def start(self, on_outdated: Callable[[Outdated], None], stopped: threading.Event) -> None:
        """Log why there is no check; make no call."""
        logger.info("not checking for new deployments: %s", self.reason)

    def __repr__(self) -> str:
        return f"NoDeploymentWatch(reason={self.reason!r})"


class EcsDeploymentWatch:
    """Checks the service's PRIMARY deployment with ``ecs:DescribeServices``; see the module.

    The ``cloudformation`` and ``ecs`` clients are made on the watch's thread, from ``session``
    or else from a new boto3 session (boto3 sessions are not thread-safe, and the default one
    may be in use by handlers), so the standard AWS SDK configuration applies
    (``AWS_ENDPOINT_URL_ECS``, ``AWS_ENDPOINT_URL_CLOUDFORMATION`` ...).

    Args:
        stack_id: The stack's ID (ARN) or name. Required.
        service_resource: The logical ID of the ``AWS::ECS::Service`` in that stack. Required.
        metadata_uri: The value of ``$ECS_CONTAINER_METADATA_URI_V4``. Required.
        check_seconds: Mean seconds between two checks. Default: ``30``.
        timeout_seconds: Connect and read timeout of one call. Default: ``5.0``.
        session: The boto3 session the clients are made from. Default: a new boto3 session.
        stats: Where failed checks are counted (``deploy_check_failures``). Default: ``None``.

    Raises:
        ValueError: An empty ``stack_id``, ``service_resource`` or ``metadata_uri``, or a
            ``check_seconds`` or ``timeout_seconds`` that is not positive.

    Attributes:
        task: This task's identity, once read from the metadata endpoint.
        service_arn: The service's ARN, once resolved.
        checks: Checks that got an answer (current or outdated).
    """

    def __init__(
        self,
        *,
        stack_id: str,
        service_resource: str,
        metadata_uri: str,
        check_seconds: float = float(contract.DEPLOY_CHECK_MIN_SECONDS),
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        session: Any = None,
        stats: WorkerStats | None = None,
    ) -> None:
        for name, value in (
            ("stack_id", stack_id),
            ("service_resource", service_resource),
            ("metadata_uri", metadata_uri),
        ):
            if not value:
                raise ValueError(f"{name} must not be empty")
        if not check_seconds > 0:
            raise ValueError(f"check_seconds must be > 0 (got {check_seconds})")
        if not timeout_seconds > 0:
            raise ValueError(f"timeout_seconds must be > 0 (got {timeout_seconds})")
        self.stack_id = stack_id
        self.service_resource = service_resource
        self.metadata_uri = metadata_uri
        self.check_seconds = check_seconds
        self.timeout_seconds = timeout_seconds
        self.stats = stats
        self._session = session
        self._clients: dict[str, Any] = {}
        self.task: TaskIdentity | None = None
        self.service_arn: str | None = None
        self.checks = 0
        self._failures_seen: set[tuple[str, str]] = set()
        self._failing = False

    @classmethod
    def from_config(
        cls, config: WorkerConfig, session: Any = None, stats: WorkerStats | None = None
    ) -> EcsDeploymentWatch | NoDeploymentWatch:
        """The watch the environment asks for, or a ``NoDeploymentWatch`` saying what is missing.

        Args:
            config: The worker's settings. Required.
            session: See the class. Default: a new boto3 session.
            stats: See the class. Default: ``None``.
        """
        missing = [
            name
            for name, value in (
                (contract.DEPLOY_STACK, config.deploy_stack),
                (contract.DEPLOY_SERVICE_RESOURCE, config.deploy_service_resource),
                (contract.ECS_CONTAINER_METADATA_URI_V4, config.task_metadata_uri),
            )
            if not value
        ]
        if missing:
            return NoDeploymentWatch(f"${' and $'.join(missing)} not set")
        assert config.deploy_stack and config.deploy_service_resource and config.task_metadata_uri
        return cls(
            stack_id=config.deploy_stack,
            service_resource=config.deploy_service_resource,
            metadata_uri=config.task_metadata_uri,
            check_seconds=config.deploy_check_seconds,
            session=session,
            stats=stats,
        )

    def check(self) -> Outdated | None:
        """One check: the verdict ``Outdated``, or ``None`` while the task is current.

        The task's identity and the service's ARN are looked up once, at the first check that
        gets them.

        Raises:
            CheckFailed: A step failed; nothing is decided.
        """
        if self.task is None:
            self.task = read_task_metadata(self.metadata_uri, self.timeout_seconds)
        if self.service_arn is None:
            try:
                answer = self._client("cloudformation").describe_stack_resource(
                    StackName=self.stack_id, LogicalResourceId=self.service_resource
                )
            except SQS_ERRORS as error:
                raise _aws_failure("DescribeStackResource", error) from None
            arn = (answer.get("StackResourceDetail") or {}).get("PhysicalResourceId")
            if not isinstance(arn, str) or not arn:
                raise CheckFailed("DescribeStackResource", "malformed answer", repr(answer)[:300])
            self.service_arn = arn
        try:
            answer = self._client("ecs").describe_services(
                cluster=self.task.cluster, services=[self.service_arn]
            )
        except SQS_ERRORS as error:
            raise _aws_failure("DescribeServices", error) from None
        return outdated(self.task, *primary_deployment(answer))

    def start(self, on_outdated: Callable[[Outdated], None], stopped: threading.Event) -> None:
        """Check on a daemon thread until ``stopped`` is set or the task is found outdated."""
        threading.Thread(
            target=self._watch, args=(on_outdated, stopped), name="deployment-watch", daemon=True
        ).start()

    def _watch(self, on_outdated: Callable[[Outdated], None], stopped: threading.Event) -> None:
        delay = random.uniform(0, self.check_seconds)
        while not stopped.wait(delay):
            delay = self.check_seconds * random.uniform(1 - JITTER, 1 + JITTER)
            try:
                verdict = self.check()
            except CheckFailed as failure:
                self._failed(failure, delay)
                continue
            except Exception as error:  # a bug here must not stop the worker either
                self._failed(CheckFailed("check", type(error).__name__, repr(error)), delay)
                continue
            self.checks += 1
            if self._failing:
                self._failing = False
                logger.info("deployment check works again")
            if verdict is not None:
                on_outdated(verdict)
                return

    def _failed(self, failure: CheckFailed, delay: float) -> None:
        if self.stats is not None:
            self.stats.add("deploy_check_failures")
        self._failing = True
        key = (failure.step, failure.kind)
        first = key not in self._failures_seen
        self._failures_seen.add(key)
        logger.log(
            logging.WARNING if first else logging.DEBUG,
            "deployment check failed (%s: %s); working on as usual, next check in %.3g s%s: %s",
            failure.step,
            failure.kind,
            delay,
            "; this kind of failure is logged once" if first else "",
            failure,
            extra={"check_step": failure.step, "check_failure": failure.kind},
        )

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            session = self._session or boto3.session.Session()
            parts = self.stack_id.split(":")  # arn:aws:cloudformation:<region>:...
            region = parts[3] if parts[0] == "arn" and len(parts) > 3 else ""
            try:
                client = make_client(
                    service, check_client_config(self.timeout_seconds), session, region
                )
            except Exception as error:  # e.g. no region configured
                raise CheckFailed(f"{service} client", type(error).__name__, str(error)) from None
            self._clients[service] = client
        return client

    def __repr__(self) -> str:
        return (
            f"EcsDeploymentWatch(stack_id={self.stack_id!r}, "
            f"service_resource={self.service_resource!r}, check_seconds={self.check_seconds:g})"
        )
