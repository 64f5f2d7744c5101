"""The deploy drain's watches: ``EcsDeployDrainWatch`` asks ECS; ``NoDeployDrainWatch`` never does.

See the package's docstring for the rule, the rate and what a failed check does.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

import boto3  # type: ignore[import-untyped]

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.client import SQS_ERRORS, check_client_config, make_client
from sqs_scale_to_zero.worker.deploy_drain.verdict import (
    CheckFailed,
    Outdated,
    TaskIdentity,
    aws_failure,
    outdated,
    primary_deployment,
    read_task_metadata,
)

if TYPE_CHECKING:
    from sqs_scale_to_zero.worker.config import WorkerConfig
    from sqs_scale_to_zero.worker.stats import WorkerStats

# The logger's name is the "logger" field of the JSON log lines that users filter on: it keeps
# the name it had before the package was called deploy_drain.
logger = logging.getLogger("sqs_scale_to_zero.worker.deployment")

DEFAULT_TIMEOUT_SECONDS = 5.0
"""Connect and read timeout of one metadata or AWS call of a check."""


class DeployDrainListener(Protocol):
    """What a deploy drain watch tells the worker (``Worker`` is one)."""

    def pause_receiving(self, reason: object) -> None:
        """A newer deployment exists but runs no task yet: take no new message for now."""
        ...

    def resume_receiving(self, reason: object) -> None:
        """Take messages again (the task is current again, or the pause reached its limit)."""
        ...

    def drain(self, reason: object) -> None:
        """The newer deployment runs a task: finish what is held, then exit."""
        ...


class DeployDrainWatch(Protocol):
    """What the worker asks of a deploy drain watch: tell it when to pause and when to drain."""

    def start(self, listener: DeployDrainListener, stopped: threading.Event) -> None:
        """Watch on a daemon thread until ``stopped`` is set; ``listener.drain`` at most once."""
        ...


class NoDeployDrainWatch:
    """Never checks: not on ECS, or the construct did not say where the service is.

    Args:
        reason: Why, logged once at ``start()``. Default: ``"turned off"``.
    """

    def __init__(self, reason: str = "turned off") -> None:
        self.reason = reason

    def start(self, listener: DeployDrainListener, stopped: threading.Event) -> None:
        """Log why there is no check; make no call."""
        logger.info("not checking for new deployments: %s", self.reason)

    def __repr__(self) -> str:
        return f"NoDeployDrainWatch(reason={self.reason!r})"


class EcsDeployDrainWatch:
    """Checks the service's PRIMARY deployment with ``ecs:DescribeServices``; see the module.

    The ``cloudformation`` and ``ecs`` clients are made on the watch's thread, from ``session``
    or else from a new boto3 session (boto3 sessions are not thread-safe, and the default one
    may be in use by handlers), so the standard AWS SDK configuration applies
    (``AWS_ENDPOINT_URL_ECS``, ``AWS_ENDPOINT_URL_CLOUDFORMATION`` ...).

    Args:
        stack_id: The stack's ID (ARN) or name. Required.
        service_resource: The logical ID of the ``AWS::ECS::Service`` in that stack. Required.
        metadata_uri: The value of ``$ECS_CONTAINER_METADATA_URI_V4``. Required.
        check_seconds: Mean seconds between two checks. Default: ``5``.
        timeout_seconds: Connect and read timeout of one call. Default: ``5.0``.
        pause_limit_seconds: How long the task waits, taking no message, for a newer
            deployment's first running task before it works on. Default: ``180``.
        session: The boto3 session the clients are made from. Default: a new boto3 session.
        stats: Where failed checks are counted (``deploy_check_failures``). Default: ``None``.

    Raises:
        ValueError: An empty ``stack_id``, ``service_resource`` or ``metadata_uri``, or a
            ``check_seconds``, ``timeout_seconds`` or ``pause_limit_seconds`` that is not
            positive.

    Attributes:
        task: This task's identity, once read from the metadata endpoint.
        service_arn: The service's ARN, once resolved.
        checks: Checks that got an answer (current or outdated).
        pause_limit_seconds: As given.
    """

    def __init__(
        self,
        *,
        stack_id: str,
        service_resource: str,
        metadata_uri: str,
        check_seconds: float = float(contract.DEPLOY_CHECK_MIN_SECONDS),
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        pause_limit_seconds: float = float(contract.DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS),
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
        if not pause_limit_seconds > 0:
            raise ValueError(f"pause_limit_seconds must be > 0 (got {pause_limit_seconds})")
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
        self.pause_limit_seconds = pause_limit_seconds
        self._last: Outdated | None = None
        self._failures_seen: set[tuple[str, str]] = set()
        self._failing = False

    @classmethod
    def from_config(
        cls, config: WorkerConfig, session: Any = None, stats: WorkerStats | None = None
    ) -> EcsDeployDrainWatch | NoDeployDrainWatch:
        """The watch the environment asks for, or a ``NoDeployDrainWatch`` saying what is missing.

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
            return NoDeployDrainWatch(f"${' and $'.join(missing)} not set")
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
                raise aws_failure("DescribeStackResource", error) from None
            arn = (answer.get("StackResourceDetail") or {}).get("PhysicalResourceId")
            if not isinstance(arn, str) or not arn:
                raise CheckFailed("DescribeStackResource", "malformed answer", repr(answer)[:300])
            self.service_arn = arn
        try:
            answer = self._client("ecs").describe_services(
                cluster=self.task.cluster, services=[self.service_arn]
            )
        except SQS_ERRORS as error:
            raise aws_failure("DescribeServices", error) from None
        return outdated(self.task, *primary_deployment(answer))

    def start(self, listener: DeployDrainListener, stopped: threading.Event) -> None:
        """Check on a daemon thread until ``stopped`` is set or the task drains."""
        threading.Thread(
            target=self._watch, args=(listener, stopped), name="deploy-drain-watch", daemon=True
        ).start()

    def _watch(self, listener: DeployDrainListener, stopped: threading.Event) -> None:
        delay = random.uniform(0, self.check_seconds)
        paused_at: float | None = None
        waited_for: str | None = None  # the deployment whose pause reached its limit
        while not stopped.wait(delay):
            delay = self.check_seconds * random.uniform(
                1 - contract.DEPLOY_CHECK_JITTER, 1 + contract.DEPLOY_CHECK_JITTER
            )
            try:
                verdict = self.check()
            except CheckFailed as failure:
                self._failed(failure, delay)
                verdict = None if paused_at is None else self._last
            except Exception as error:  # a bug here must not stop the worker either
                self._failed(CheckFailed("check", type(error).__name__, repr(error)), delay)
                verdict = None if paused_at is None else self._last
            else:
                self.checks += 1
                self._last = verdict
                if self._failing:
                    self._failing = False
                    logger.info("deployment check works again")
            if verdict is None:
                if paused_at is not None and self._last is None:
                    paused_at = None
                    listener.resume_receiving("the service's primary deployment is this task's")
                continue
            if verdict.replaced:
                listener.drain(verdict)
                return
            now = time.monotonic()
            if paused_at is None and waited_for != verdict.primary:
                paused_at = now
                listener.pause_receiving(verdict)
            elif paused_at is not None and now - paused_at >= self.pause_limit_seconds:
                paused_at, waited_for = None, verdict.primary
                listener.resume_receiving(
                    f"{verdict.primary} has run no task for {self.pause_limit_seconds:g} s; "
                    "working on the old code until it does"
                )

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
            f"EcsDeployDrainWatch(stack_id={self.stack_id!r}, "
            f"service_resource={self.service_resource!r}, check_seconds={self.check_seconds:g})"
        )
