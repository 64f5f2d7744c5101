"""``WorkerConfig``: every setting of a ``Worker``, read and checked in one place.

The environment the construct injects (``QUEUE_URL``, ``SCALE_TO_ZERO_*``, ``ECS_AGENT_URI``)
and the explicit arguments of ``Worker`` or the CLI meet here; explicit values win. Every check
runs before the worker makes an SQS client, and every failure is a ``ConfigurationError`` whose
message names the setting and the fix. Nothing here talks to AWS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqs_scale_to_zero.worker import contract

DEFAULT_SHUTDOWN_GRACE_SECONDS = 25.0
"""Grace period when neither the argument nor the variable is set: below ECS's default 30-second
stop timeout by more than a release takes."""

DEFAULT_BATCH_FILL_SECONDS = 0.05
"""How long the receive loop waits for more handlers to free up before a receive."""

HEARTBEAT_MIN_SECONDS = 0.5
"""Shortest default heartbeat interval (queues with a visibility timeout of 1-2 s)."""

HEARTBEAT_MAX_SECONDS = 60.0
"""Longest default heartbeat interval (queues with a long visibility timeout)."""

PROTECTION_VALUES = ("enabled", "disabled")
"""The values of ``$SCALE_TO_ZERO_TASK_PROTECTION``."""


class ConfigurationError(ValueError):
    """A worker setting is invalid; the message names the setting and says how to fix it."""


@dataclass(frozen=True)
class WorkerConfig:
    """The checked settings of one ``Worker``; build it with ``from_environment``.

    Attributes:
        queue_url: The queue. Default: ``$QUEUE_URL`` (required).
        concurrency: Handlers running at once. Default: ``1``.
        poll_wait_seconds: ``WaitTimeSeconds`` of each receive, 0..20, never above the grace
            period. Default: ``20``.
        visibility_timeout_seconds: The configured visibility timeout (argument or
            ``$SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS``), checked against the queue's own
            attribute at start. Default: ``None`` (read from the queue).
        visibility_timeout_source: Where ``visibility_timeout_seconds`` came from, for messages.
            Default: ``None``.
        heartbeat_interval_seconds: Time between visibility checks. Default: ``None`` (a quarter
            of the visibility timeout, between 0.5 and 60 seconds).
        shutdown_grace_seconds: How long running handlers may go on after a stop request.
            Default: ``$SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS``, else ``25``.
        batch_fill_seconds: Wait for more free handlers before a receive. Default: ``0.05``.
        prefetch_seconds: Receive ahead the messages expected to start within this time (by the
            handlers' average duration); ``0`` receives only for free handlers. Default: ``1.0``.
        ecs_agent_uri: The ECS agent endpoint for task protection, or ``None`` when protection
            is off (not on ECS, or ``$SCALE_TO_ZERO_TASK_PROTECTION`` is ``disabled``).
            Default: ``None``.
        deploy_stack: The stack that holds the worker's ECS service
            (``$SCALE_TO_ZERO_DEPLOY_STACK``), for draining after a deploy. Default: ``None``.
        deploy_service_resource: The service's logical ID in that stack
            (``$SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE``). Default: ``None``.
        deploy_check_seconds: Mean seconds between deployment checks
            (``$SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS``). Default: ``5``.
        dead_letter_queue_url: The queue to which ``raise DeadLetter(reason)`` moves a message
            (``$SCALE_TO_ZERO_DEAD_LETTER_QUEUE_URL``); FIFO exactly when the queue is.
            Default: ``None`` (a ``DeadLetter`` is then logged and left to the redrive policy).
        task_metadata_uri: The task metadata endpoint v4 (``$ECS_CONTAINER_METADATA_URI_V4``,
            set by ECS). Default: ``None``.
        labels: How error messages name each setting (the CLI's flags). Default: ``{}`` (the
            argument names).
    """

    queue_url: str
    concurrency: int = 1
    poll_wait_seconds: int = contract.SQS_MAX_WAIT_SECONDS
    visibility_timeout_seconds: int | None = None
    visibility_timeout_source: str | None = None
    heartbeat_interval_seconds: float | None = None
    shutdown_grace_seconds: float = DEFAULT_SHUTDOWN_GRACE_SECONDS
    batch_fill_seconds: float = DEFAULT_BATCH_FILL_SECONDS
    prefetch_seconds: float = contract.DEFAULT_PREFETCH_SECONDS
    ecs_agent_uri: str | None = field(default=None, repr=False)
    deploy_stack: str | None = field(default=None, repr=False)
    deploy_service_resource: str | None = field(default=None, repr=False)
    deploy_check_seconds: float = float(contract.DEPLOY_CHECK_MIN_SECONDS)
    task_metadata_uri: str | None = field(default=None, repr=False)
    dead_letter_queue_url: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_fifo(self) -> bool:
        """True for a FIFO queue (its URL ends in ``.fifo``)."""
        return self.queue_url.endswith(".fifo")

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str],
        *,
        queue_url: str | None = None,
        concurrency: Any = None,
        poll_wait_seconds: Any = None,
        visibility_timeout_seconds: Any = None,
        heartbeat_interval_seconds: Any = None,
        shutdown_grace_seconds: Any = None,
        batch_fill_seconds: Any = None,
        prefetch_seconds: Any = None,
        dead_letter_queue_url: str | None = None,
        concurrency_from_environment: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> WorkerConfig:
        """Resolve and check every setting: explicit values first, then ``environ``.

        Args:
            environ: The environment to read. Required.
            queue_url: See the attributes. Default: ``$QUEUE_URL``.
            concurrency: See the attributes. Default: ``1`` (or ``$SCALE_TO_ZERO_CONCURRENCY``
                with ``concurrency_from_environment``).
            poll_wait_seconds: See the attributes. Default: ``20``.
            visibility_timeout_seconds: See the attributes. Default:
                ``$SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS``, else ``None``.
            heartbeat_interval_seconds: See the attributes. Default: ``None``.
            shutdown_grace_seconds: See the attributes. Default:
                ``$SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS``, else ``25``.
            batch_fill_seconds: See the attributes. Default: ``0.05``.
            prefetch_seconds: See the attributes. Default: ``1.0``.
            dead_letter_queue_url: See the attributes. Default:
                ``$SCALE_TO_ZERO_DEAD_LETTER_QUEUE_URL``, else ``None``.
            concurrency_from_environment: Read ``$SCALE_TO_ZERO_CONCURRENCY`` when
                ``concurrency`` is ``None`` (what the CLI does). Default: ``False``.
            labels: How to name each argument in error messages (the CLI passes its flags).
                Default: the argument names.

        Returns:
            The checked configuration.

        Raises:
            ConfigurationError: A setting is missing, of the wrong type, not finite, or out of
                range; the message names it and the fix.
        """
        names = dict(labels or {})

        def label(argument: str) -> str:
            return names.get(argument, argument)

        url = queue_url or environ.get(contract.QUEUE_URL, "")
        if not isinstance(url, str) or not url:
            raise ConfigurationError(
                f"queue_url is required: pass {label('queue_url')}= or set ${contract.QUEUE_URL}"
            )

        if concurrency is None and concurrency_from_environment:
            concurrency = _from_env(environ, contract.CONCURRENCY)
            concurrency_name = f"${contract.CONCURRENCY}"
        else:
            concurrency_name = label("concurrency")
        workers = _whole(concurrency_name, 1 if concurrency is None else concurrency)
        if workers < 1:
            raise ConfigurationError(f"{concurrency_name} must be at least 1 (got {workers})")

        grace_name = label("shutdown_grace_seconds")
        if shutdown_grace_seconds is None and environ.get(contract.SHUTDOWN_GRACE_SECONDS):
            shutdown_grace_seconds = environ[contract.SHUTDOWN_GRACE_SECONDS]
            grace_name = f"${contract.SHUTDOWN_GRACE_SECONDS}"
        grace = _seconds(
            grace_name,
            DEFAULT_SHUTDOWN_GRACE_SECONDS
            if shutdown_grace_seconds is None
            else shutdown_grace_seconds,
        )

        poll = _seconds(
            label("poll_wait_seconds"),
            contract.SQS_MAX_WAIT_SECONDS if poll_wait_seconds is None else poll_wait_seconds,
            maximum=contract.SQS_MAX_WAIT_SECONDS,
            why="SQS long polls for at most 20 seconds",
        )

        visibility_name: str | None = label("visibility_timeout_seconds")
        if visibility_timeout_seconds is None:
            visibility_timeout_seconds = _from_env(environ, contract.VISIBILITY_TIMEOUT_SECONDS)
            visibility_name = (
                f"${contract.VISIBILITY_TIMEOUT_SECONDS}"
                if visibility_timeout_seconds is not None
                else None
            )
        visibility: int | None = None
        if visibility_timeout_seconds is not None:
            assert visibility_name is not None
            visibility = _whole(visibility_name, visibility_timeout_seconds)
            if not 1 <= visibility <= contract.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS:
                raise ConfigurationError(
                    f"{visibility_name} must be between 1 and "
                    f"{contract.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS} (got {visibility}): "
                    "SQS's visibility timeout is 1 second to 12 hours"
                )

        heartbeat = None
        if heartbeat_interval_seconds is not None:
            heartbeat = _seconds(label("heartbeat_interval_seconds"), heartbeat_interval_seconds)
            if heartbeat <= 0:
                raise ConfigurationError(
                    f"{label('heartbeat_interval_seconds')} must be > 0 (got {heartbeat:g})"
                )

        config = cls(
            queue_url=url,
            concurrency=workers,
            poll_wait_seconds=int(min(poll, grace)),
            visibility_timeout_seconds=visibility,
            visibility_timeout_source=visibility_name,
            heartbeat_interval_seconds=heartbeat,
            shutdown_grace_seconds=grace,
            batch_fill_seconds=_seconds(
                label("batch_fill_seconds"),
                DEFAULT_BATCH_FILL_SECONDS if batch_fill_seconds is None else batch_fill_seconds,
            ),
            prefetch_seconds=_seconds(
                label("prefetch_seconds"),
                contract.DEFAULT_PREFETCH_SECONDS if prefetch_seconds is None else prefetch_seconds,
            ),
            ecs_agent_uri=_agent_uri(environ),
            deploy_stack=_from_env(environ, contract.DEPLOY_STACK),
            deploy_service_resource=_from_env(environ, contract.DEPLOY_SERVICE_RESOURCE),
            deploy_check_seconds=_check_seconds(environ),
            task_metadata_uri=_from_env(environ, contract.ECS_CONTAINER_METADATA_URI_V4),
            dead_letter_queue_url=_dead_letter_queue(
                url, dead_letter_queue_url, environ, label("dead_letter_queue_url")
            ),
            labels=names,
        )
        if visibility is not None:
            config.heartbeat_interval(visibility)  # checks it now
        return config

    def log_fields(self) -> dict[str, object]:
        """The settings the worker's start line shows (besides what it reads from the queue)."""
        return {
            "queue_url": self.queue_url,
            "concurrency": self.concurrency,
            "fifo": self.is_fifo,
            "poll_wait_seconds": self.poll_wait_seconds,
            "shutdown_grace_seconds": self.shutdown_grace_seconds,
            "prefetch_seconds": self.prefetch_seconds,
            "dead_letter_queue_url": self.dead_letter_queue_url,
        }

    def heartbeat_interval(self, visibility: int) -> float:
        """The heartbeat interval for a queue whose visibility timeout is ``visibility``.

        Args:
            visibility: The visibility timeout in seconds. Required.

        Returns:
            ``heartbeat_interval_seconds``, or a quarter of ``visibility`` between 0.5 and 60 s.

        Raises:
            ConfigurationError: ``heartbeat_interval_seconds`` is above half of ``visibility``:
                a message could become visible to another consumer between two heartbeats.
        """
        if self.heartbeat_interval_seconds is None:
            return min(HEARTBEAT_MAX_SECONDS, max(HEARTBEAT_MIN_SECONDS, visibility / 4))
        if self.heartbeat_interval_seconds > visibility / 2:
            name = self.labels.get("heartbeat_interval_seconds", "heartbeat_interval_seconds")
            raise ConfigurationError(
                f"{name} ({self.heartbeat_interval_seconds:g} s) must be at most half the "
                f"queue's visibility timeout ({visibility} s): a running message would become "
                f"visible to other consumers between heartbeats; use {visibility / 2:g} or "
                "less, or leave it unset"
            )
        return self.heartbeat_interval_seconds


def _from_env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _number(name: str, value: Any) -> float:
    """``value`` as a finite float; strings are parsed (they come from the environment)."""
    if isinstance(value, bool):
        raise ConfigurationError(f"{name} must be a number (got {value!r})")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigurationError(f"{name} must be a number (got {value!r})") from None
    if not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a number (got {type(value).__name__})")
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number of seconds (got {value!r})")
    return float(value)


def _seconds(
    name: str, value: Any, *, maximum: float | None = None, why: str = "a duration"
) -> float:
    """A finite, non-negative number of seconds, at most ``maximum``."""
    seconds = _number(name, value)
    if seconds < 0 or (maximum is not None and seconds > maximum):
        bound = f"between 0 and {maximum:g}" if maximum is not None else ">= 0"
        raise ConfigurationError(f"{name} must be {bound} (got {seconds:g}): {why}")
    return seconds


def _whole(name: str, value: Any) -> int:
    """A whole number: an int, or a string or float holding one (``"300"``, ``300.0``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    try:
        number = _number(name, value)
    except ConfigurationError:
        raise ConfigurationError(f"{name} must be a whole number (got {value!r})") from None
    if not number.is_integer():
        raise ConfigurationError(f"{name} must be a whole number (got {value!r})")
    return int(number)


def _agent_uri(environ: Mapping[str, str]) -> str | None:
    """The ECS agent URI when task protection applies, else None."""
    setting = environ.get(contract.TASK_PROTECTION, "enabled").strip().lower() or "enabled"
    if setting not in PROTECTION_VALUES:
        raise ConfigurationError(
            f"${contract.TASK_PROTECTION} must be 'enabled' or 'disabled' "
            f"(got {environ[contract.TASK_PROTECTION]!r})"
        )
    agent = environ.get(contract.ECS_AGENT_URI, "").strip()
    return agent if agent and setting == "enabled" else None


def _check_seconds(environ: Mapping[str, str]) -> float:
    """``$SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS``: a positive number, else the contract's minimum."""
    name = f"${contract.DEPLOY_CHECK_SECONDS}"
    value = _from_env(environ, contract.DEPLOY_CHECK_SECONDS)
    seconds = _seconds(name, contract.DEPLOY_CHECK_MIN_SECONDS if value is None else value)
    if seconds <= 0:
        raise ConfigurationError(f"{name} must be > 0 (got {seconds:g})")
    return seconds


def _dead_letter_queue(
    queue_url: str, given: Any, environ: Mapping[str, str], label: str
) -> str | None:
    """The dead-letter queue's URL: another queue, FIFO exactly when ``queue_url`` is."""
    name = label
    if given is None:
        given = _from_env(environ, contract.DEAD_LETTER_QUEUE_URL)
        name = f"${contract.DEAD_LETTER_QUEUE_URL}"
    if given is None:
        return None
    if not isinstance(given, str) or not given.strip():
        raise ConfigurationError(f"{name} must be a queue URL (got {given!r})")
    url = given.strip()
    if url == queue_url:
        raise ConfigurationError(
            f"{name} is the queue itself ({url}): give the URL of its dead-letter queue"
        )
    fifo = queue_url.endswith(".fifo")
    if url.endswith(".fifo") != fifo:
        kind = "a FIFO queue (its URL ending in .fifo)" if fifo else "a standard queue"
        raise ConfigurationError(
            f"{name} must be {kind}, as the queue is (got {url}): SQS requires a dead-letter "
            "queue of the same type"
        )
    return url
