"""Names of the environment variables the construct injects into the worker container.

This module is the single contract between ``ScaleToZeroQueueService`` (which sets them) and
the worker runtime (which reads them). It imports nothing.
"""

QUEUE_URL = "QUEUE_URL"
"""URL of the queue to consume. Always set by the construct."""

QUEUE_NAME = "QUEUE_NAME"
"""Name of the queue to consume. Always set by the construct."""

VISIBILITY_TIMEOUT_SECONDS = "SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS"
"""The queue's visibility timeout in seconds; set when the construct creates the queue.

When absent (a queue brought with ``queue=``), the worker reads it with ``GetQueueAttributes``.
"""

TASK_PROTECTION = "SCALE_TO_ZERO_TASK_PROTECTION"
"""``"enabled"`` when the task role may call ``ecs:UpdateTaskProtection``, else ``"disabled"``."""

SHUTDOWN_GRACE_SECONDS = "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS"
"""Seconds the worker may let running handlers finish after SIGTERM.

The construct sets it a few seconds below the container's ``stop_timeout`` so that unfinished
messages can still be released before ECS sends SIGKILL.
"""

ECS_AGENT_URI = "ECS_AGENT_URI"
"""Set by the ECS agent itself (not by the construct); the base of the task-protection endpoint."""

CONCURRENCY = "SCALE_TO_ZERO_CONCURRENCY"
"""Optional: handlers the worker CLI runs at once (default 1); ``--concurrency`` overrides it.

Read by ``python -m sqs_scale_to_zero.worker`` only; ``Worker(concurrency=...)`` is explicit.
"""

LOG_LEVEL = "SCALE_TO_ZERO_LOG_LEVEL"
"""Optional: the worker CLI's logging level (default ``INFO``); ``--log-level`` overrides it."""
