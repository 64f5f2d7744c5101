"""Timelines of one simulated run, read for idle detection (:mod:`benchmarks.idle_detection`).

A stack's idle timeout, the workload's real idle gaps, and when the service was set to 0 tasks
and when its last task stopped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from sqs_scale_to_zero.simulate import ServiceModel, WorkItem
from sqs_scale_to_zero.worker import contract


def idle_timeout_seconds(model: ServiceModel) -> float:
    """How long the stack waits before scaling in: the longest window (evaluation periods x
    period) of an alarm whose scaling policies only remove tasks."""
    windows = [
        float(alarm.evaluation_periods * alarm.period)
        for alarm in model.alarms
        if alarm.alarm_actions
        # fires while work waits too
        and not any(cid in alarm.logical_id for cid in contract.SCALES_IN_WHILE_MESSAGES_WAIT)
        and all(
            all(step.adjustment <= 0 for step in model.step_policies[pid].steps)
            for pid in alarm.alarm_actions
        )
    ]
    return max(windows, default=math.inf)


def gap_followers(items: Sequence[WorkItem], idle_timeout: float) -> list[int]:
    """Indexes (in send order) of the messages that follow a *real idle gap*: the silence before
    the first message, or from the end of one message's work to the next send, reaching
    ``idle_timeout``. Each such gap may cost one wake; the silence after the last message does
    not count here."""
    ordered = sorted(items, key=lambda w: w.at)
    out = [0] if ordered and ordered[0].at >= idle_timeout else []
    busy_until = -math.inf
    for i, (a, b) in enumerate(itertools.pairwise(ordered), start=1):
        busy_until = max(busy_until, a.at + a.work_seconds)
        if b.at - busy_until >= idle_timeout:
            out.append(i)
    return out


def first_zero(tasks: Sequence[tuple[float, float]], start: float, end: float) -> float | None:
    """The first moment in ``[start, end)`` with no task alive, or ``None``.

    Args:
        tasks: ``(launched_at, stopped_at)`` of every task.
        start: From when to look.
        end: Until when.
    """
    candidates = sorted({start, *(stop for _, stop in tasks if start <= stop < end)})
    for t in candidates:
        if not any(launched <= t < stopped for launched, stopped in tasks):
            return t
    return None


def first_set_to_zero(
    changes: Sequence[tuple[float, int]], launches: Sequence[float], start: float, end: float
) -> float | None:
    """The first moment in ``[start, end)`` at which a scaling activity has set the service's
    desired count to 0, or ``None``.

    Args:
        changes: ``(time, desired count)`` of every scaling activity, in order
            (:attr:`~sqs_scale_to_zero.simulate.models.scaling.policies.ScalableTarget.changes`).
        launches: Every task launch's time. A desired count raised from 0 without a scaling
            activity (the fast wake's ``UpdateService``) launches a task, so a launch ends the
            0 that an earlier activity set.
        start: From when to look.
        end: Until when.
    """
    before = [(t, count) for t, count in changes if t <= start]
    if before and before[-1][1] == 0 and not any(before[-1][0] < t <= start for t in launches):
        return start
    return next((t for t, count in changes if start < t < end and count == 0), None)
