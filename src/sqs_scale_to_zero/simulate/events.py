"""The kinds of event on the engine's heap and the signature of their handlers."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum


class EventKind(Enum):
    """What an event on the heap does when its time comes (see ``engine.Simulation._handlers``)."""

    VISIBLE = "visible"
    """A delayed message becomes visible."""
    READY = "ready"
    """A provisioning task starts polling."""
    DONE = "done"
    """A task finishes its message (stale unless the work epoch matches)."""
    LAPSE = "lapse"
    """A message's visibility timeout lapses (stale unless the message epoch matches)."""
    KILL = "kill"
    """``stopTimeout`` after SIGTERM: ECS kills a task still working (SIGKILL)."""
    RELEASE = "release"
    """The worker's shutdown grace ends: it releases its unfinished message and exits."""
    EXIT = "exit"
    """An idle task exits after SIGTERM."""
    POLL = "poll"
    """A scheduled function reads the queue."""
    SAMPLE = "sample"
    """SQS samples the queue's gauges for the current minute (see :mod:`.metrics`)."""
    DEPLOY = "deploy"
    """A new task definition is deployed (see :mod:`.deployments`)."""
    ROLLOUT = "rollout"
    """ECS's deployment scheduler acts on the deployments in progress."""
    DEPLOY_CHECK = "deploy_check"
    """A worker checks whether a deployment made its task outdated."""


Handler = Callable[[object, int, float], None]
"""Handles one event: ``(subject, epoch, now)``."""
