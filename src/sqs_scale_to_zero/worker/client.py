"""The one place where the worker's AWS clients, their timeouts and retries are set.

The client is built by boto3 from the standard AWS SDK configuration (region, credentials,
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_SQS``, ``AWS_MAX_ATTEMPTS`` ...), so the same code
runs against AWS or a local SQS-compatible server.
"""

from __future__ import annotations

import os
import re
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    NoRegionError,
)

from sqs_scale_to_zero.worker.config import ConfigurationError

CONNECT_TIMEOUT_SECONDS = 5.0
"""Seconds to wait for a TCP/TLS connection to SQS."""

READ_TIMEOUT_MARGIN_SECONDS = 10.0
"""Seconds the read timeout allows beyond the long-poll wait."""

SDK_MAX_ATTEMPTS = 3
"""Attempts botocore makes per call (standard retry mode) before the worker's own backoff."""

CHECK_SDK_MAX_ATTEMPTS = 2
"""Attempts botocore makes per deployment-check call (``ecs``, ``cloudformation``): one retry
for a blip; the check's own interval is the retry after that."""

SQS_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
"""What a failed AWS call (SQS, or the deployment check's) raises: unreachable endpoint, timeout,
throttling, access denied."""


def client_config(poll_wait_seconds: float) -> Config:
    """Return the botocore ``Config`` the worker uses for SQS.

    Args:
        poll_wait_seconds: The long-poll wait; the read timeout exceeds it by
            ``READ_TIMEOUT_MARGIN_SECONDS`` so a long poll is never cut short.

    Returns:
        A ``Config`` with bounded connect/read timeouts and standard-mode retries.
    """
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=poll_wait_seconds + READ_TIMEOUT_MARGIN_SECONDS,
        retries={"mode": "standard", "max_attempts": SDK_MAX_ATTEMPTS},
        max_pool_connections=50,
    )


def check_client_config(timeout_seconds: float) -> Config:
    """Return the botocore ``Config`` of the deployment check's clients.

    Args:
        timeout_seconds: Connect and read timeout of one call. Required.

    Returns:
        A ``Config`` with those timeouts and ``CHECK_SDK_MAX_ATTEMPTS`` standard-mode attempts.
    """
    return Config(
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
        retries={"mode": "standard", "max_attempts": CHECK_SDK_MAX_ATTEMPTS},
    )


def make_client(service: str, config: Config, session: Any = None, region_hint: str = "") -> Any:
    """Create a botocore client for ``service`` from ``session`` (or boto3's default session).

    Args:
        service: The service's name, e.g. ``"sqs"``. Required.
        config: Its timeouts and retries. Required.
        session: The boto3 session to build from. Default: boto3's default session (made if
            the process has none yet), shared with the app's own ``boto3.client()`` calls.
        region_hint: The region to use when the session has none and ``$AWS_REGION`` (which
            the AWS SDKs for other languages and Lambda use, but botocore does not read) is
            unset. Default: ``""`` (none: botocore's own error).

    Returns:
        A botocore client.

    Raises:
        ConfigurationError: No region is configured anywhere.
    """
    if session is None:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
    region = None
    if session.region_name is None:
        region = os.environ.get("AWS_REGION") or region_hint or None
    try:
        return session.client(service, region_name=region, config=config)
    except NoRegionError:
        raise ConfigurationError(
            "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in the AWS "
            "config file)"
        ) from None


def make_sqs_client(poll_wait_seconds: float, session: Any = None, queue_url: str = "") -> Any:
    """Create the SQS client from ``session`` (or boto3's default session).

    Args:
        poll_wait_seconds: The long-poll wait, used to size the read timeout.
        session: The boto3 session to build from. Default: boto3's default session (made if
            the process has none yet), shared with the app's own ``boto3.client()`` calls.
        queue_url: When the session has no region configured, the region is taken from
            ``$AWS_REGION``, else from an AWS queue URL
            (``https://sqs.<region>.amazonaws.com/...``). Default: ``""``.

    Returns:
        A botocore SQS client.
    """
    match = re.match(r"https://sqs\.([a-z0-9-]+)\.amazonaws\.com", queue_url)
    return make_client(
        "sqs", client_config(poll_wait_seconds), session, match.group(1) if match else ""
    )


def system_attributes_parameter(sqs: Any) -> str:
    """The ``ReceiveMessage`` parameter that asks for system attributes, for this botocore.

    ``MessageSystemAttributeNames`` replaced ``AttributeNames``; botocore releases from before
    the change know only the old name, which SQS still accepts.
    """
    members = sqs.meta.service_model.operation_model("ReceiveMessage").input_shape.members
    return (
        "MessageSystemAttributeNames"
        if "MessageSystemAttributeNames" in members
        else "AttributeNames"
    )
