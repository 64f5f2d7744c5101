"""``python -m sqs_scale_to_zero.worker package.module:function [options]``.

Configuration comes from the environment the construct injects (``QUEUE_URL``,
``SCALE_TO_ZERO_*``, ``ECS_AGENT_URI``) and the AWS SDK's own variables; flags override it.
Exits 0 after a graceful shutdown (SIGTERM, SIGINT), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.consumer import Worker
from sqs_scale_to_zero.worker.logs import configure_logging
from sqs_scale_to_zero.worker.policies import (
    IdleShutdown,
    MaxMessagesShutdown,
    ShutdownPolicy,
)


def load_handler(target: str) -> Callable[..., Any]:
    """Import ``package.module:function`` and return the function.

    Raises:
        ValueError: ``target`` is not ``module:attribute``.
        TypeError: The attribute is not callable.
        ImportError: The module cannot be imported.
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"handler must look like package.module:function (got {target!r})")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    if not callable(value):
        raise TypeError(f"handler {target!r} is not callable")
    return value  # type: ignore[no-any-return]


def parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = argparse.ArgumentParser(
        prog="python -m sqs_scale_to_zero.worker",
        description="Run a handler on every message of an SQS queue until SIGTERM.",
    )
    p.add_argument("handler", help="package.module:function taking one Message")
    p.add_argument("--queue-url", help="default: $QUEUE_URL")
    p.add_argument(
        "--concurrency",
        type=int,
        default=int(os.environ.get(contract.CONCURRENCY, "1")),
        help=f"handlers at once (default: ${contract.CONCURRENCY} or 1)",
    )
    p.add_argument("--poll-wait", type=float, default=20, help="long-poll seconds (default 20)")
    p.add_argument(
        "--visibility-timeout",
        type=int,
        help="default: $SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS or GetQueueAttributes",
    )
    p.add_argument(
        "--shutdown-grace",
        type=float,
        help="default: $SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS or 25",
    )
    p.add_argument("--heartbeat-interval", type=float, help="default: visibility timeout / 4")
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
    args = parser().parse_args(argv)
    try:
        configure_logging(args.log_level, json_lines=args.log_format == "json")
        policy: ShutdownPolicy | None = None
        if args.stop_when_idle is not None:
            policy = IdleShutdown(args.stop_when_idle)
        elif args.max_messages is not None:
            policy = MaxMessagesShutdown(args.max_messages)
        worker = Worker(
            load_handler(args.handler),
            queue_url=args.queue_url,
            concurrency=args.concurrency,
            poll_wait_seconds=args.poll_wait,
            visibility_timeout_seconds=args.visibility_timeout,
            heartbeat_interval_seconds=args.heartbeat_interval,
            shutdown_grace_seconds=args.shutdown_grace,
            shutdown_policy=policy,
        )
    except (ValueError, TypeError, ImportError, AttributeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
