"""Backlog sizing: scale out to ``ceil(backlog / messages_per_task)`` tasks in one action.

Prop: ``messages_per_task`` (exclusive with ``scale_out_steps``).

The scale-out alarm's value is the backlog — messages visible *plus* in flight — in every minute
in which a message is visible, and 0 otherwise; it breaches at one message. Its step policy maps
the backlog to a capacity level in one ``ChangeInCapacity`` step per level: a backlog ``B`` picks
the smallest level ``L`` with ``B <= L * messages_per_task``, and adds ``L`` tasks.

Why this gives one action, and never a second copy of it (Application Auto Scaling user guide,
"Step scaling policies for Application Auto Scaling", cooldown period): "While the cooldown
period is in effect, capacity added by the initiating scale-out activity is counted as part of
the desired capacity for the next scale-out activity", and the policy "won't increase the
desired capacity again unless either a larger scale out is triggered or the cooldown period
ends". So within one cooldown the service is sized to ``base + L`` for the largest level ``L``
seen, where ``base`` is the capacity before the first action (0 when waking): a backlog that
grows raises the level and adds only the difference; one that shrinks adds nothing. No step
ever removes a task; scale-in stays with the idle alarm.

Why the backlog counts messages in flight: tasks that take messages turn visible ones into
in-flight ones, and a level read from visible messages alone would fall as soon as the fleet
starts working, so a backlog that keeps growing would be measured against a shrinking base.
Visible plus in flight is the work outstanding. The alarm still fires only while a message is
*visible* (waiting), so a fleet that holds all the work it has in flight is not grown.

Why it needs no task count: the level is a capacity, not a per-task ratio, so nothing divides
by the number of running tasks, and it works on any cluster. One visible message is level 1:
the wake from zero is the same single task as before. Where a desired-count metric exists (the
backlog signal, or Container Insights on a cluster the construct creates), the alarm reads the
backlog those tasks don't cover instead (:func:`uncovered_backlog_expression`), so the policy
never adds a task for a backlog the running ones already carry; without one, a backlog that
persists past the cooldown is sized again on top of the tasks already there.

A policy holds at most 20 step adjustments (Application Auto Scaling quotas), so above 20 tasks
the levels are spaced geometrically, as evenly as the quota allows (for 50 tasks: 1 to 8, then
10, 12, 14, 16, 19, 22, 25, 29, 33, 38, 44, 50), and a backlog is sized up to the next level.
"""

from __future__ import annotations

import math

from sqs_scale_to_zero.checks import optional_int
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.scaling.steps import SCALE_OUT_THRESHOLD, ScaleOutStep

MAX_STEP_ADJUSTMENTS = 20
"""Step adjustments per step scaling policy (Application Auto Scaling quotas)."""

BACKLOG_EXPRESSION = "IF(visible >= 1, visible + FILL(in_flight, 0), 0)"
"""The sizing alarm's value: the backlog while a message waits, 0 otherwise.

``visible`` is not filled: no visible point never scales out. A missing ``in_flight`` point
counts as none, which can only make the level smaller."""

TASK_START_ALLOWANCE_SECONDS = 120
"""How long the sizing waits for the tasks it added to start polling. AWS documents no bound on
a Fargate task's start (image pull, network interface, container start); two minutes covers a
slow one."""

COVERED_SIZING_COOLDOWN_SECONDS = TASK_START_ALLOWANCE_SECONDS + 2 * 60
"""The sizing cooldown when a desired-count metric exists: the added tasks' start, then one whole
minute of counts taken after it, then that minute's publishing (a minute for SQS's metrics).

The desired count counts a task from the moment it is added, but the queue's counts show its
work only once it runs: a datapoint sampled while it starts still holds the whole backlog, and
subtracting the new desired count from that would add a second task for messages the first one
is about to take. Within the cooldown Application Auto Scaling only adds a *larger* level on top
of the capacity before the first action ("won't increase the desired capacity again unless either
a larger scale out is triggered or the cooldown period ends", API reference,
``StepScalingPolicyConfiguration``), so no backlog is sized twice; a backlog still uncovered once
the cooldown ends is sized again."""


def uncovered_backlog_expression(messages_per_task: int) -> str:
    """The sizing alarm's value with a desired-count metric: the backlog the tasks don't cover.

    The policy then adds only ``ceil(backlog / messages_per_task) - desired`` tasks: a second
    task is never added for a message that waits behind a busy one, and the backlog signal's
    desired count, published as it is after a fast wake, never counts the wake twice. A missing
    desired point counts as none (the plain backlog), which can only add tasks; at zero tasks
    that is the wake.
    """
    return (
        "IF(visible >= 1, visible + FILL(in_flight, 0) - "
        f"{messages_per_task} * FILL(desired, 0), 0)"
    )


def resolve_messages_per_task(messages_per_task: object) -> int:
    """Validate ``messages_per_task``.

    Raises:
        ScaleToZeroValidationError: Not a whole number of at least 1, or a token.
    """
    value = optional_int("messages_per_task", messages_per_task)
    assert value is not None  # the caller resolves the default
    if value < 1:
        raise ScaleToZeroValidationError(
            "messages_per_task",
            f"must be at least 1 (got {value}): it is the backlog one task should carry",
        )
    return value


def capacity_levels(max_capacity: int) -> tuple[int, ...]:
    """The capacities a backlog is sized to: every count up to 20, else 20 spaced levels.

    Returns:
        Increasing levels from 1 to ``max_capacity``, at most :data:`MAX_STEP_ADJUSTMENTS`.
    """
    if max_capacity <= MAX_STEP_ADJUSTMENTS:
        return tuple(range(1, max_capacity + 1))
    # The smallest growth factor whose levels (each at least one above the last) reach
    # max_capacity within the quota; found by bisection, so the spacing is as even as it can be.
    low, high = 1.0, float(max_capacity)
    for _ in range(60):
        ratio = (low + high) / 2
        if len(_levels(max_capacity, ratio)) <= MAX_STEP_ADJUSTMENTS:
            high = ratio
        else:
            low = ratio
    return _levels(max_capacity, high)


def _levels(max_capacity: int, ratio: float) -> tuple[int, ...]:
    levels = [1]
    while levels[-1] < max_capacity:
        levels.append(min(max_capacity, max(levels[-1] + 1, math.ceil(levels[-1] * ratio))))
    return tuple(levels)


def sizing_steps(messages_per_task: int, max_capacity: int) -> tuple[ScaleOutStep, ...]:
    """The scale-out steps, in absolute backlog, that size the service to the backlog.

    Step ``i`` covers backlogs ``(L[i-1] * m, L[i] * m]`` and adds ``L[i]`` tasks (``m`` is
    ``messages_per_task``); the first starts at one message, the last is unbounded.
    """
    levels = capacity_levels(max_capacity)
    steps = []
    previous = 0
    for index, level in enumerate(levels):
        last = index == len(levels) - 1
        steps.append(
            ScaleOutStep(
                lower=previous * messages_per_task + SCALE_OUT_THRESHOLD,
                upper=None if last else level * messages_per_task + SCALE_OUT_THRESHOLD,
                change=level,
            )
        )
        previous = level
    return tuple(steps)
