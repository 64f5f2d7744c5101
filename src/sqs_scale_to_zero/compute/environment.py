"""The worker container's environment: what a user may set, and what the construct sets.

The construct sets the worker runtime's variables (the contract's ``QUEUE_URL``, ``QUEUE_NAME``
and ``SCALE_TO_ZERO_*`` names); a user's ``environment`` and ``secrets`` may set any other name,
and of the ``SCALE_TO_ZERO_*`` names only the worker settings in :data:`USER_WORKER_SETTINGS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sqs as sqs

from sqs_scale_to_zero.delivery import DeliveryMode
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.worker import contract

RESERVED_ENVIRONMENT = (contract.QUEUE_URL, contract.QUEUE_NAME)
"""Variables the construct sets in the container besides the ``SCALE_TO_ZERO_*`` ones."""

USER_WORKER_SETTINGS = {
    contract.CONCURRENCY: "a whole number of handlers, at least 1, e.g. '4'",
    contract.LOG_LEVEL: "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
}
"""The worker's ``SCALE_TO_ZERO_*`` settings a user may set in ``environment``, with their form.

Every other ``SCALE_TO_ZERO_*`` name is reserved for what the construct sets."""
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def check_user_variables(
    environment: dict[Any, Any], secrets: dict[Any, Any]
) -> tuple[dict[str, str], dict[str, ecs.Secret]]:
    """``environment`` and ``secrets`` as given, once checked: typed, not reserved, one source.

    Raises:
        ScaleToZeroValidationError: Naming ``environment`` or ``secrets``, and the fix.
    """
    for name, value in environment.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ScaleToZeroValidationError(
                "environment",
                f"names and values must be strings (got {name!r}: {value!r}): "
                "convert them, e.g. str(value)",
            )
    for name, secret in secrets.items():
        if not isinstance(name, str) or not isinstance(secret, ecs.Secret):
            raise ScaleToZeroValidationError(
                "secrets",
                f"names must be strings and values ecs.Secret (got {name!r}: {secret!r}): use "
                "e.g. ecs.Secret.from_secrets_manager(secret)",
            )
    for prop, names in (("environment", environment), ("secrets", secrets)):
        reserved = sorted(name for name in names if _is_reserved(name))
        if reserved:
            raise ScaleToZeroValidationError(
                prop,
                f"{', '.join(reserved)} is set by the construct for the worker runtime: "
                "rename your variable (every SCALE_TO_ZERO_* name is reserved except "
                f"{' and '.join(USER_WORKER_SETTINGS)})",
            )
    _check_worker_settings(environment)
    both = sorted(set(environment) & set(secrets))
    if both:
        raise ScaleToZeroValidationError(
            "secrets",
            f"{', '.join(both)} is also in environment: give each variable one source",
        )
    return environment, secrets


def _is_reserved(name: str) -> bool:
    if name in RESERVED_ENVIRONMENT:
        return True
    return name.startswith(contract.RESERVED_PREFIX) and name not in USER_WORKER_SETTINGS


def _check_worker_settings(environment: Mapping[str, str]) -> None:
    """The worker settings a user may set must have a form the worker accepts."""
    concurrency = environment.get(contract.CONCURRENCY)
    if concurrency is not None and not (concurrency.isdigit() and int(concurrency) >= 1):
        raise ScaleToZeroValidationError(
            "environment",
            f"{contract.CONCURRENCY} must be {USER_WORKER_SETTINGS[contract.CONCURRENCY]} "
            f"(got {concurrency!r})",
        )
    level = environment.get(contract.LOG_LEVEL)
    if level is not None and level.upper() not in _LOG_LEVELS:
        raise ScaleToZeroValidationError(
            "environment",
            f"{contract.LOG_LEVEL} must be {USER_WORKER_SETTINGS[contract.LOG_LEVEL]} "
            f"(got {level!r})",
        )


def worker_variables(
    queue: sqs.IQueue,
    *,
    task_protection: bool,
    shutdown_grace_seconds: int,
    visibility_timeout_seconds: Optional[int],
    dead_letter_queue: Optional[sqs.IQueue],
) -> dict[str, str]:
    """What the construct tells the worker runtime (the environment contract)."""
    environment = {
        contract.QUEUE_URL: queue.queue_url,
        contract.QUEUE_NAME: queue.queue_name,
        contract.TASK_PROTECTION: "enabled" if task_protection else "disabled",
        contract.SHUTDOWN_GRACE_SECONDS: str(shutdown_grace_seconds),
    }
    if visibility_timeout_seconds is not None:
        environment[contract.VISIBILITY_TIMEOUT_SECONDS] = str(visibility_timeout_seconds)
    if dead_letter_queue is not None:
        environment[contract.DEAD_LETTER_QUEUE_URL] = dead_letter_queue.queue_url
    return environment


def split_variables(
    mode: DeliveryMode,
    user: Mapping[str, str],
    runtime: dict[str, str],
    queue: sqs.IQueue,
) -> tuple[dict[str, str], dict[str, str]]:
    """The app's container's variables and the runtime's, from the user's and the runtime's.

    The runtime's go to the container it runs in: the app's, or with HTTP delivery its own (with
    the worker settings a user set). The user's own consumer gets only the queue's URL and name.
    """
    if mode is DeliveryMode.OWN_CONSUMER:
        app = {**user, contract.QUEUE_URL: queue.queue_url, contract.QUEUE_NAME: queue.queue_name}
        return app, runtime
    if mode is DeliveryMode.HTTP:
        # The worker settings a user may set (concurrency, log level) are the runtime's.
        app = {name: value for name, value in user.items() if name not in USER_WORKER_SETTINGS}
        settings = {name: value for name, value in user.items() if name in USER_WORKER_SETTINGS}
        return app, {**settings, **runtime}
    return {**user, **runtime}, runtime
