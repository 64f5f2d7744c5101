"""What ``from-copilot`` understood of a Worker Service manifest: the app it will write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union


class ManifestError(ValueError):
    """A manifest the converter refuses: the message is one line naming the field and the fix."""


@dataclass(frozen=True)
class ImageBuild:
    """``image.build``: a Dockerfile built as a CDK image asset."""

    context: str
    """The build context, relative to the Copilot workspace (the folder holding ``copilot/``)."""
    dockerfile: str
    """The Dockerfile, relative to ``context``."""
    args: dict[str, str] = field(default_factory=dict)
    target: Optional[str] = None


@dataclass(frozen=True)
class ImportedValue:
    """A ``from_cfn`` variable: a CloudFormation export, read with ``Fn.import_value``."""

    export_name: str


@dataclass(frozen=True)
class SecretRef:
    """A ``secrets`` entry: an SSM parameter or a Secrets Manager secret."""

    kind: str
    """``"ssm"`` (a parameter name), ``"secretsmanager"`` (a secret name) or
    ``"secretsmanager_arn"`` (a secret ARN, complete or partial)."""
    name: str
    json_key: Optional[str] = None
    version_stage: Optional[str] = None
    version_id: Optional[str] = None


@dataclass(frozen=True)
class CopilotTopic:
    """A ``subscribe.topics`` entry, named as Copilot names its topics."""

    service: str
    name: str
    topic_name: str
    """``APP-ENV-SERVICE-TOPIC``, with ``.fifo`` for a FIFO topic."""
    filter_policy: Optional[dict[str, Any]] = None


@dataclass
class WorkerPlan:
    """The ``ScaleToZeroQueueService`` a manifest becomes, and what could not come along."""

    service: str
    app: str
    env: str
    image_build: Optional[ImageBuild] = None
    image_location: Optional[str] = None
    cpu: Optional[int] = None
    memory: Optional[int] = None
    arm64: bool = False
    max_capacity: Optional[int] = None
    messages_per_task: Optional[int] = None
    retention_seconds: Optional[int] = None
    visibility_timeout_seconds: Optional[int] = None
    delay_seconds: Optional[int] = None
    max_receive_count: Optional[int] = None
    fifo: bool = False
    content_based_deduplication: bool = False
    command: Optional[list[str]] = None
    environment: dict[str, Union[str, ImportedValue]] = field(default_factory=dict)
    secrets: dict[str, SecretRef] = field(default_factory=dict)
    topics: list[CopilotTopic] = field(default_factory=list)
    not_carried: list[tuple[str, str]] = field(default_factory=list)
    """(field, why) for each manifest field the app does not carry over."""

    def drop(self, name: str, why: str) -> None:
        """Record that ``name`` is not carried over, and why."""
        self.not_carried.append((name, why))
