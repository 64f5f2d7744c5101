"""``DeliverySettings``: where and how the runtime POSTs each message, read and checked once.

``--deliver-to`` and its companions on the command line, or the ``SCALE_TO_ZERO_DELIVER_*``
variables the construct sets in the runtime's container; flags win. Every failure is a
``ConfigurationError`` (exit 2 in the CLI) whose one line names the setting and the fix.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.config import ConfigurationError

DEFAULT_CONTENT_TYPE = "application/json"
"""The ``Content-Type`` of each POST when none is set: Beanstalk's ``MimeType`` default."""

DEFAULT_TIMEOUT_SECONDS = 180.0
"""Seconds without an answer after which a POST fails: Beanstalk's ``InactivityTimeout`` default
(Elastic Beanstalk developer guide, "Configuring worker environments")."""

DEFAULT_PORT = 80
"""The port when ``--deliver-to`` names none: where Beanstalk's daemon always posts."""

LOOPBACK_NAMES = ("localhost",)
"""Host names taken as loopback besides the 127.0.0.0/8 and ::1 addresses."""

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(\s*;.*)?$")
"""``type/subtype`` with optional parameters (RFC 9110, section 8.3.1)."""


@dataclass(frozen=True)
class DeliverySettings:
    """Where the runtime POSTs each message, and how.

    Attributes:
        url: The URL as given (``http://127.0.0.1:8080/work``).
        host: The loopback host of ``url``.
        port: Its port, 1-65535. Default: ``80`` when ``url`` names none.
        path: The path (and query) each message is POSTed to, starting with ``/``.
            Default: ``/``.
        content_type: The ``Content-Type`` of each POST. Default: ``application/json``.
        timeout_seconds: Seconds without any answer from the app after which a POST fails
            (the inactivity timeout). Default: ``180``.
        health_path: A path the runtime GETs to learn that the app is ready (any 2xx); ``None``
            when the app's port accepting a connection is enough. Default: ``None``.
    """

    url: str
    host: str
    port: int = DEFAULT_PORT
    path: str = "/"
    content_type: str = DEFAULT_CONTENT_TYPE
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    health_path: str | None = None

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str],
        *,
        deliver_to: str | None = None,
        content_type: str | None = None,
        timeout_seconds: Any = None,
        health_path: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> DeliverySettings | None:
        """Resolve and check the delivery settings: explicit values first, then ``environ``.

        Args:
            environ: The environment to read. Required.
            deliver_to: See ``url``. Default: ``$SCALE_TO_ZERO_DELIVER_TO``.
            content_type: See the attributes. Default: ``$SCALE_TO_ZERO_DELIVER_CONTENT_TYPE``,
                else ``application/json``.
            timeout_seconds: See the attributes. Default:
                ``$SCALE_TO_ZERO_DELIVER_TIMEOUT_SECONDS``, else ``180``.
            health_path: See the attributes. Default: ``$SCALE_TO_ZERO_DELIVER_HEALTH_PATH``.
            labels: How error messages name each argument (the CLI passes its flags).
                Default: the argument names.

        Returns:
            The checked settings, or ``None`` when no URL is given (no HTTP delivery).

        Raises:
            ConfigurationError: A setting is invalid; the message names it and the fix.
        """
        names = dict(labels or {})

        def pick(argument: str, value: Any, variable: str) -> tuple[Any, str]:
            if value is not None:
                return value, names.get(argument, argument)
            return (environ.get(variable, "").strip() or None), f"${variable}"

        url, url_name = pick("deliver_to", deliver_to, contract.DELIVER_TO)
        if url is None:
            return None
        host, port, path = _parse_url(url_name, url)
        media, media_name = pick("content_type", content_type, contract.DELIVER_CONTENT_TYPE)
        media = DEFAULT_CONTENT_TYPE if media is None else media
        if not isinstance(media, str) or not MEDIA_TYPE.match(media) or "\n" in media:
            raise ConfigurationError(
                f"{media_name} must be a media type such as application/json or "
                f"text/plain; charset=utf-8 (got {media!r})"
            )
        timeout, timeout_name = pick(
            "timeout_seconds", timeout_seconds, contract.DELIVER_TIMEOUT_SECONDS
        )
        seconds = _timeout(timeout_name, DEFAULT_TIMEOUT_SECONDS if timeout is None else timeout)
        health, health_name = pick("health_path", health_path, contract.DELIVER_HEALTH_PATH)
        if health is not None and (not isinstance(health, str) or not health.startswith("/")):
            raise ConfigurationError(
                f"{health_name} must be a path starting with / such as /health (got {health!r})"
            )
        return cls(
            url=url,
            host=host,
            port=port,
            path=path,
            content_type=media,
            timeout_seconds=seconds,
            health_path=health,
        )


def _parse_url(name: str, url: Any) -> tuple[str, int, str]:
    """``(host, port, path)`` of an ``http://`` URL on a loopback address."""
    example = "http://127.0.0.1:8080/work"
    if not isinstance(url, str):
        raise ConfigurationError(f"{name} must be a URL such as {example} (got {url!r})")
    parts = urlsplit(url.strip())
    if parts.scheme != "http":
        raise ConfigurationError(
            f"{name} must be an http:// URL such as {example} (got {url!r}): the app listens "
            "on the task's own loopback, where the runtime speaks plain HTTP"
        )
    if parts.username is not None or parts.fragment:
        raise ConfigurationError(
            f"{name} must have no user name and no #fragment, as in {example} (got {url!r})"
        )
    host = parts.hostname or ""
    if not _is_loopback(host):
        raise ConfigurationError(
            f"{name} must name a loopback host (127.0.0.1, localhost or [::1]) such as "
            f"{example} (got {url!r}): the runtime delivers only to the app beside it"
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        port = DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise ConfigurationError(
            f"{name} must name a port between 1 and 65535, as in {example} (got {url!r})"
        )
    path = parts.path or "/"
    if not path.startswith("/"):
        raise ConfigurationError(f"{name} must have a path starting with / (got {url!r})")
    if parts.query:
        path = f"{path}?{parts.query}"
    return host, port, path


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _timeout(name: str, value: Any) -> float:
    limit = contract.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS
    problem = f"{name} must be a number of seconds between 1 and {limit} (got {value!r})"
    if isinstance(value, bool):
        raise ConfigurationError(problem)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(problem) from None
    if not math.isfinite(seconds) or not 1 <= seconds <= limit:
        raise ConfigurationError(f"{problem}: a message stays invisible for at most SQS's 12 hours")
    return seconds
