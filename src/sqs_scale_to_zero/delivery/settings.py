"""How messages reach the code, checked: ``http_delivery`` and ``own_consumer``.

Three ways, one per :class:`DeliveryMode`; the construct knows which one it builds, so the
synthesized template (and the summary read from it) says which guarantees hold.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Annotations, Duration
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from sqs_scale_to_zero.checks import optional_bool, optional_duration, whole_seconds
from sqs_scale_to_zero.delivery.image import default_runtime_image
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.http_delivery.settings import (
    DEFAULT_CONTENT_TYPE,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT_SECONDS,
    MEDIA_TYPE,
)

RUNTIME_MODULE = "sqs_scale_to_zero.worker"
"""What a ``command`` that runs the worker runtime names."""

LOOPBACK_HOST = "127.0.0.1"
"""Where the runtime reaches the app: the task's loopback (awsvpc: one network namespace)."""

DEFAULT_INACTIVITY_TIMEOUT = Duration.seconds(DEFAULT_TIMEOUT_SECONDS)
"""Beanstalk's ``InactivityTimeout`` default, as the runtime's."""

URL_PATH = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$")
"""An absolute URL path: a leading slash and RFC 3986's path characters (no query, fragment,
space or control character)."""


class DeliveryMode(enum.Enum):
    """How each message reaches the code in the task."""

    PYTHON_RUNTIME = contract.DELIVERY_PYTHON_RUNTIME
    """The image runs ``python -m sqs_scale_to_zero.worker`` with a Python handler."""

    HTTP = contract.DELIVERY_HTTP
    """The runtime, in a second container, POSTs each message to the app on localhost."""

    OWN_CONSUMER = contract.DELIVERY_OWN_CONSUMER
    """The image consumes the queue itself, in any language, without the runtime."""


@dataclass(frozen=True)
class HttpDelivery:
    """Deliver each message over HTTP to the app in ``image``, in any language.

    The construct adds the worker runtime as a second container of the task: it receives from
    the queue and POSTs each message to ``http://127.0.0.1:<port><path>`` as Elastic Beanstalk's
    worker daemon (``sqsd``) does, and keeps every guarantee it gives a Python handler (task
    protection, heartbeat, deploy drain, graceful stop). The app answers 2xx to have the message
    deleted. The runtime starts after the app, so ECS stops it first and the app answers every
    open request (Amazon ECS API Reference, ``ContainerDependency``: a dependency is reversed
    for container shutdown).

    Example:
        ```python
        ScaleToZeroQueueService(
            self, "Orders",
            image=ecs.ContainerImage.from_asset("app/"),   # e.g. a Node.js app on port 8080
            http_delivery=HttpDelivery(port=8080, path="/work", health_path="/health"),
        )
        ```

    Attributes:
        port: The port the app listens on, 1 to 65535. Default: 80 (as Beanstalk).
        path: The path each message is POSTed to; starts with ``/``, no query. Default: ``/``.
        content_type: The ``Content-Type`` of each POST, a media type such as ``text/plain;
            charset=utf-8``. Default: ``application/json``.
        inactivity_timeout: How long the app may take to answer a POST before it counts as
            failed; the message stays invisible meanwhile. Whole seconds, 1 second to 12 hours.
            Default: 180 seconds (as Beanstalk).
        health_path: A path the runtime GETs (any 2xx: ready) before it receives anything.
            Default: none, the app's port accepting a connection is enough.
        runtime_image: The runtime's image, e.g. ``ecs.ContainerImage.from_registry(...)`` for a
            CI without Docker; it must run ``python -m sqs_scale_to_zero.worker``. Default: built
            as a CDK asset from the Dockerfile the package ships, with the installed worker.

    Raises:
        ScaleToZeroValidationError: From ``ScaleToZeroQueueService``, before any child
            construct, for an invalid option; the message names it (``http_delivery.port``)
            and the fix.
    """

    port: int = DEFAULT_PORT
    path: str = "/"
    content_type: str = DEFAULT_CONTENT_TYPE
    inactivity_timeout: Optional[Duration] = None
    health_path: Optional[str] = None
    runtime_image: Optional[ecs.ContainerImage] = None


@dataclass(frozen=True)
class HttpRuntime:
    """A checked :class:`HttpDelivery`, defaults resolved: what the runtime's container gets."""

    url: str
    """Where the runtime POSTs each message: ``http://127.0.0.1:<port><path>``."""
    content_type: str
    timeout_seconds: int
    health_path: Optional[str]
    image: ecs.ContainerImage


@dataclass(frozen=True)
class DeliverySettings:
    """The delivery mode, and the checked HTTP delivery when that is the mode."""

    mode: DeliveryMode
    http: Optional[HttpRuntime]
    """With :attr:`DeliveryMode.HTTP`: the runtime's settings; else ``None``."""
    command_names_runtime: Optional[bool] = None
    """Whether ``command`` names the runtime; ``None`` without a ``command`` (the image's)."""

    def warn_about(self, scope: Construct) -> None:
        """Warn when ``command`` does not run the runtime but no other mode was chosen.

        E.g. ``["node", "worker.js"]`` with every default: no guarantee of the runtime holds.
        """
        if self.mode is DeliveryMode.PYTHON_RUNTIME and self.command_names_runtime is False:
            Annotations.of(scope).add_warning_v2(
                "sqs-scale-to-zero:command-without-runtime",
                f"command does not run {RUNTIME_MODULE}: if the image consumes the queue "
                "itself, set own_consumer=True (its guarantees are then listed by "
                "sqs-scale-to-zero synth) or deliver over HTTP with http_delivery=HttpDelivery(...)",
            )


def resolve_delivery(
    *,
    http_delivery: Optional[HttpDelivery],
    own_consumer: Optional[bool],
    command: Optional[Sequence[str]],
    environment: Mapping[str, str],
    cpu_architecture: ecs.CpuArchitecture,
) -> DeliverySettings:
    """Check ``http_delivery`` and ``own_consumer`` against each other and ``command``.

    Args:
        http_delivery: The prop.
        own_consumer: The prop.
        command: The app container's command, checked.
        environment: The ``environment`` prop, checked.
        cpu_architecture: The task's architecture, which the runtime's image is built for.

    Raises:
        ScaleToZeroValidationError: For the first invalid option, naming it and the fix.
    """
    own = optional_bool("own_consumer", own_consumer)
    if http_delivery is not None and not isinstance(http_delivery, HttpDelivery):
        raise ScaleToZeroValidationError(
            "http_delivery",
            f"must be an HttpDelivery (got {type(http_delivery).__name__} {http_delivery!r}): "
            "pass e.g. HttpDelivery(port=8080, path='/work')",
        )
    names_runtime = None if command is None else any(RUNTIME_MODULE in part for part in command)
    runs_runtime = bool(names_runtime)
    if own and http_delivery is not None:
        raise ScaleToZeroValidationError(
            "own_consumer",
            "can't be combined with http_delivery (the runtime would consume the queue): "
            "omit own_consumer for HTTP delivery",
        )
    if own:
        if runs_runtime:
            raise ScaleToZeroValidationError(
                "own_consumer",
                f"is True but command runs {RUNTIME_MODULE}: omit own_consumer to have the "
                "runtime's guarantees",
            )
        settings = [name for name in environment if name.startswith(contract.RESERVED_PREFIX)]
        if settings:
            raise ScaleToZeroValidationError(
                "environment",
                f"{', '.join(sorted(settings))} is read only by the worker runtime, which "
                "own_consumer=True does not run: remove it",
            )
        return DeliverySettings(mode=DeliveryMode.OWN_CONSUMER, http=None)
    if http_delivery is None:
        return DeliverySettings(
            mode=DeliveryMode.PYTHON_RUNTIME, http=None, command_names_runtime=names_runtime
        )
    if runs_runtime:
        raise ScaleToZeroValidationError(
            "http_delivery",
            f"runs the runtime in its own container, but command runs {RUNTIME_MODULE} in the "
            "app's: give command the app's own start command (e.g. ['node', 'server.js']), or "
            "omit http_delivery for a Python handler",
        )
    return DeliverySettings(
        mode=DeliveryMode.HTTP, http=_check_http(http_delivery, cpu_architecture)
    )


def _check_http(options: HttpDelivery, cpu_architecture: ecs.CpuArchitecture) -> HttpRuntime:
    port = options.port
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ScaleToZeroValidationError(
            "http_delivery.port",
            f"must be a whole number from 1 to 65535 (got {port!r}): pass the port your app "
            "listens on, e.g. 8080",
        )
    _check_path("http_delivery.path", options.path, "'/work'")
    if options.health_path is not None:
        _check_path("http_delivery.health_path", options.health_path, "'/health'")
    media = options.content_type
    if not isinstance(media, str) or not MEDIA_TYPE.match(media):
        raise ScaleToZeroValidationError(
            "http_delivery.content_type",
            f"must be a media type (got {media!r}): pass e.g. 'application/json' or "
            "'text/plain; charset=utf-8'",
        )
    timeout = optional_duration("http_delivery.inactivity_timeout", options.inactivity_timeout)
    resolved_timeout = timeout or DEFAULT_INACTIVITY_TIMEOUT
    timeout_seconds = whole_seconds("http_delivery.inactivity_timeout", resolved_timeout)
    if not 1 <= timeout_seconds <= contract.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS:
        raise ScaleToZeroValidationError(
            "http_delivery.inactivity_timeout",
            f"must be 1 second to 12 hours, SQS's longest invisibility (got {timeout_seconds} s): "
            "use e.g. Duration.minutes(10)",
        )
    image = options.runtime_image
    if image is not None and not isinstance(image, ecs.ContainerImage):
        raise ScaleToZeroValidationError(
            "http_delivery.runtime_image",
            f"must be an ecs.ContainerImage (got {type(image).__name__} {image!r}): pass e.g. "
            "ecs.ContainerImage.from_registry('<registry>/sqs-scale-to-zero-runtime:<version>')",
        )
    return HttpRuntime(
        url=f"http://{LOOPBACK_HOST}:{port}{options.path}",
        content_type=media,
        timeout_seconds=timeout_seconds,
        health_path=options.health_path,
        image=image or default_runtime_image(cpu_architecture),
    )


def _check_path(prop: str, path: object, example: str) -> None:
    if not isinstance(path, str) or not URL_PATH.match(path):
        raise ScaleToZeroValidationError(
            prop,
            f"must be a URL path starting with / without query or spaces (got {path!r}): "
            f"pass e.g. {example}",
        )
