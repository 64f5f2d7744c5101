"""What the task metadata endpoint and ``DescribeServices`` say, and the verdict they give.

Pure reading: nothing here talks to AWS but ``read_task_metadata``, one HTTP GET to the ECS
agent. See the package's docstring for the rule.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

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
        running: The PRIMARY deployment's running tasks. Required.
    """

    own: str
    primary: str
    running: int

    @property
    def replaced(self) -> bool:
        """The new deployment runs a task: this one may drain and exit."""
        return self.running >= 1

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


def aws_failure(step: str, error: Exception) -> CheckFailed:
    """The ``CheckFailed`` of a failed AWS call: the error code, or the exception's class."""
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
    """The verdict for ``task`` given its service's PRIMARY deployment; ``None``: it is current."""
    if primary == task.task_definition:
        return None
    return Outdated(own=task.task_definition, primary=primary, running=running)
