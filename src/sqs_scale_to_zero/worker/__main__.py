"""``python -m sqs_scale_to_zero.worker package.module:function [options]``.

Or ``python -m sqs_scale_to_zero.worker --deliver-to http://127.0.0.1:PORT/PATH [options]``:
POST each message to an app in any language instead (``http_delivery``).

Configuration comes from the environment the construct injects (``QUEUE_URL``,
``SCALE_TO_ZERO_*``, ``ECS_AGENT_URI``) and the AWS SDK's own variables; flags override it.
Exits 0 after a graceful shutdown (SIGTERM, SIGINT, also during start-up), 2 on a bad setting or
a handler that cannot be loaded (before any message is received), 130 after a second SIGINT.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.config import ConfigurationError, WorkerConfig
from sqs_scale_to_zero.worker.http_delivery import DeliverySettings, HttpDelivery
from sqs_scale_to_zero.worker.logs import configure_logging
from sqs_scale_to_zero.worker.policies import (
    IdleShutdown,
    MaxMessagesShutdown,
    ShutdownPolicy,
)
from sqs_scale_to_zero.worker.signals import STOP_SIGNALS

FLAGS = {
    "queue_url": "--queue-url",
    "concurrency": "--concurrency",
    "poll_wait_seconds": "--poll-wait",
    "visibility_timeout_seconds": "--visibility-timeout",
    "heartbeat_interval_seconds": "--heartbeat-interval",
    "shutdown_grace_seconds": "--shutdown-grace",
    "dead_letter_queue_url": "--dead-letter-queue-url",
    "deliver_to": "--deliver-to",
    "content_type": "--content-type",
    "timeout_seconds": "--deliver-timeout",
    "health_path": "--health-path",
}
"""The flag of each ``WorkerConfig`` setting, used to name it in error messages."""


class HandlerImportError(ImportError):
    """The handler's module could not be imported.

    Attributes:
        show_traceback: True when the module itself failed (its traceback helps); False when it
            was simply not found.
    """

    def __init__(self, message: str, *, show_traceback: bool) -> None:
        super().__init__(message)
        self.show_traceback = show_traceback


def load_handler(target: str) -> Callable[..., Any]:
    """Import ``package.module:function`` and return the function.

    Raises:
        ValueError: ``target`` is not ``module:attribute``.
        TypeError: The attribute is not callable.
        AttributeError: The module has no such attribute.
        HandlerImportError: The module cannot be found, or raised while it was imported.
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"handler must look like package.module:function (got {target!r})")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            raise HandlerImportError(
                f"no module named {missing!r} (handler {target!r}): run from the directory "
                "that holds it, or add that directory to PYTHONPATH",
                show_traceback=False,
            ) from None
        raise HandlerImportError(
            f"handler module {module_name!r} failed to import", show_traceback=True
        ) from error
    except Exception as error:
        raise HandlerImportError(
            f"handler module {module_name!r} failed to import", show_traceback=True
        ) from error
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise AttributeError(f"handler {target!r}: {module_name!r} has no {part!r}") from None
    if not callable(value):
        raise TypeError(f"handler {target!r} is not callable")
    return value  # type: ignore[no-any-return]


def parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = argparse.ArgumentParser(
        prog="python -m sqs_scale_to_zero.worker",
        description="Run a handler on every message of an SQS queue until SIGTERM, or POST "
        "each message to an app beside it (--deliver-to).",
    )
    p.add_argument(
        "handler", nargs="?", help="package.module:function taking one Message (or --deliver-to)"
    )
    p.add_argument(
        "--deliver-to",
        metavar="URL",
        help=f"POST each message to this http:// URL on a loopback address instead of calling a "
        f"handler (default: ${contract.DELIVER_TO})",
    )
    p.add_argument(
        "--content-type",
        help=f"Content-Type of each POST (default: ${contract.DELIVER_CONTENT_TYPE} or "
        "application/json)",
    )
    p.add_argument(
        "--deliver-timeout",
        metavar="SECONDS",
        help=f"inactivity timeout of each POST (default: ${contract.DELIVER_TIMEOUT_SECONDS} "
        "or 180)",
    )
    p.add_argument(
        "--health-path",
        help=f"GET this path until a 2xx before receiving (default: "
        f"${contract.DELIVER_HEALTH_PATH}; unset: the port accepting a connection)",
    )
    p.add_argument("--queue-url", help=f"default: ${contract.QUEUE_URL}")
    p.add_argument(
        "--concurrency", type=int, help=f"handlers at once (default: ${contract.CONCURRENCY} or 1)"
    )
    p.add_argument(
        "--poll-wait",
        type=float,
        help=f"long-poll seconds (default {contract.SQS_MAX_WAIT_SECONDS})",
    )
    p.add_argument(
        "--visibility-timeout",
        type=int,
        help=f"default: ${contract.VISIBILITY_TIMEOUT_SECONDS}, checked against the queue's",
    )
    p.add_argument(
        "--shutdown-grace",
        type=float,
        help=f"default: ${contract.SHUTDOWN_GRACE_SECONDS} or 25",
    )
    p.add_argument(
        "--heartbeat-interval",
        type=float,
        help="default: visibility timeout / 4 (at most half of it)",
    )
    p.add_argument(
        "--dead-letter-queue-url",
        help=f"where raise DeadLetter(reason) sends a message (default: "
        f"${contract.DEAD_LETTER_QUEUE_URL})",
    )
    p.add_argument(
        "--stop-when-idle",
        type=float,
        metavar="SECONDS",
        help="exit after the queue has been empty this long (batch jobs)",
    )
    p.add_argument("--max-messages", type=int, help="exit after this many messages")
    p.add_argument(
        "--log-level",
        default=os.environ.get(contract.LOG_LEVEL, "INFO"),
        help=f"default: ${contract.LOG_LEVEL} or INFO",
    )
    p.add_argument("--log-format", choices=["json", "text"], default="json")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    STOP_SIGNALS.install()  # first of all: a signal during start-up is a clean stop
    try:
        return _main(argv)
    finally:
        STOP_SIGNALS.ignore_from_now()  # a late signal of a storm must not undo a clean exit


def _main(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    try:
        configure_logging(args.log_level, json_lines=args.log_format == "json")
        policy: ShutdownPolicy | None = None
        if args.stop_when_idle is not None:
            policy = IdleShutdown(args.stop_when_idle)
        elif args.max_messages is not None:
            policy = MaxMessagesShutdown(args.max_messages)
        config = WorkerConfig.from_environment(
            os.environ,
            queue_url=args.queue_url,
            concurrency=args.concurrency,
            poll_wait_seconds=args.poll_wait,
            visibility_timeout_seconds=args.visibility_timeout,
            heartbeat_interval_seconds=args.heartbeat_interval,
            shutdown_grace_seconds=args.shutdown_grace,
            dead_letter_queue_url=args.dead_letter_queue_url,
            concurrency_from_environment=True,
            labels=FLAGS,
        )
        delivery = http_delivery(args, config.queue_url, config.poll_wait_seconds)
        handler = delivery if delivery is not None else load_handler(args.handler)
        from sqs_scale_to_zero.worker.consumer import Worker  # boto3: after the signals

        worker = Worker(handler, config=config, shutdown_policy=policy)
    except HandlerImportError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.show_traceback and error.__cause__ is not None:
            traceback.print_exception(error.__cause__, file=sys.stderr)
        return 2
    except (ValueError, TypeError, AttributeError) as error:  # ConfigurationError included
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if delivery is None:
            worker.run()
        else:
            with delivery.watching(worker):
                worker.run()
    except ConfigurationError as error:  # checked against the queue, before any receive
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def http_delivery(
    args: argparse.Namespace, queue_url: str, poll_wait_seconds: float
) -> HttpDelivery | None:
    """The ``HttpDelivery`` the flags or the environment ask for, or None (a Python handler).

    Raises:
        ConfigurationError: A delivery setting is invalid, or a handler and ``--deliver-to``
            are both given, or neither is.
    """
    settings = DeliverySettings.from_environment(
        os.environ,
        deliver_to=args.deliver_to,
        content_type=args.content_type,
        timeout_seconds=args.deliver_timeout,
        health_path=args.health_path,
        labels=FLAGS,
    )
    if settings is None:
        if args.handler is None:
            raise ConfigurationError(
                "no handler: pass package.module:function, or --deliver-to "
                f"http://127.0.0.1:PORT/PATH (${contract.DELIVER_TO}) to POST to an app"
            )
        return None
    if args.handler is not None:
        source = "--deliver-to" if args.deliver_to else f"${contract.DELIVER_TO}"
        raise ConfigurationError(
            f"pass a handler ({args.handler}) or {source}, not both: HTTP delivery replaces "
            "the Python handler"
        )
    return HttpDelivery(
        settings,
        queue_name=queue_url.rstrip("/").rsplit("/", 1)[-1],
        unreachable_retry_seconds=poll_wait_seconds + 1,
    )


if __name__ == "__main__":
    sys.exit(main())
