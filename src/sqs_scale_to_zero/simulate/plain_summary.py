"""A service's scaling in plain words: the first paragraph of the ``synth`` summary.

Every value is read from the template or measured by running the simulator on it, never
assumed: how long a message to the idle service waits (isolated messages, pooled over seeds),
how long the service takes to go back to its minimum after one, the most tasks and how the
scale-out step policy sizes them, the price of a task, and what protects a busy task. The
technical detail (logical IDs, metric math, step levels) is :mod:`.describe`.

The summary is a list of :class:`Section` s, so that other parts add theirs (an idle bill, a
delivery mode) as one more section.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.cost import FargatePricing
from sqs_scale_to_zero.simulate.report import percentile
from sqs_scale_to_zero.simulate.run import run_simulation
from sqs_scale_to_zero.simulate.template.specs import (
    AlarmSpec,
    ServiceModel,
    StepAdjustmentSpec,
    StepPolicySpec,
)
from sqs_scale_to_zero.simulate.workload.items import WorkItem
from sqs_scale_to_zero.worker import contract

PROBE_SEEDS = range(4)
"""Seeds of the runs that measure a wake; their waits are pooled."""
PROBE_MESSAGES = 6
"""Isolated messages per run, each sent to a service that has gone back to its minimum."""
PROBE_SPACING_SECONDS = 7200.0
"""Seconds between two isolated messages, at least: longer than the construct's idle scale-in
(a template whose idle alarm looks back longer gets twice its look-back and an hour)."""
PROBE_WORK_SECONDS = 1.0
"""Each isolated message's work."""
WIDTH = 96
"""Characters per line of the paragraph."""


@dataclass(frozen=True)
class Section:
    """One statement of the plain summary.

    Attributes:
        heading: What it is about, one word (``wakes``, ``sleeps``, ``scales``, ``costs`` ...).
        text: The statement, a clause without a final full stop.
    """

    heading: str
    text: str


@dataclass(frozen=True)
class Wakes:
    """What the isolated messages of :func:`measure_wakes` saw, in seconds.

    Attributes:
        waits: Each processed message's wait, pooled over :data:`PROBE_SEEDS`.
        back_to_minimum: Per processed message, from its finish to the end of the first
            minute with no more than the minimum of tasks running.
    """

    waits: tuple[float, ...]
    back_to_minimum: tuple[float, ...]


def measure_wakes(model: ServiceModel) -> Wakes:
    """Run isolated messages against ``model`` (see the module's constants)."""
    look_back = max(
        (a.evaluation_periods * a.period for a, _ in _policies(model, "scale-in")), default=0
    )
    spacing = max(PROBE_SPACING_SECONDS, 2.0 * look_back + 3600.0)
    items = [WorkItem(spacing * (i + 0.5), PROBE_WORK_SECONDS, 50.0) for i in range(PROBE_MESSAGES)]
    floor = model.min_capacity or 0
    waits: list[float] = []
    back: list[float] = []
    for seed in PROBE_SEEDS:
        result = run_simulation(model, items, seed=seed, timeline=True)
        assert result.timeline is not None
        rows = result.timeline.rows
        for message in result.timeline.messages:
            if message.wait is None or message.finished is None:
                continue
            waits.append(message.wait)
            done = message.finished
            rest = next((r.end for r in rows if r.end >= done and r.tasks_running <= floor), None)
            if rest is not None:
                back.append(rest - done)
    return Wakes(tuple(waits), tuple(back))


def _tasks(count: int | None) -> str:
    return f"{count} task" + ("" if count == 1 else "s")


def _minutes(seconds: float) -> str:
    minutes = seconds / 60.0
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


def direction(policy: StepPolicySpec) -> str:
    """``scale-in`` or ``scale-out``: whether a step policy's steps remove or add tasks."""
    adj = [s.adjustment for s in policy.steps]
    if policy.adjustment_type == "ExactCapacity":
        return "scale-in" if max(adj, default=0) == 0 else "scale-out"
    return "scale-in" if all(a <= 0 for a in adj) else "scale-out"


def _policies(model: ServiceModel, way: str) -> list[tuple[AlarmSpec, StepPolicySpec]]:
    return [
        (alarm, model.step_policies[pid])
        for alarm in model.alarms
        for pid in alarm.alarm_actions
        if direction(model.step_policies[pid]) == way
    ]


def _judged_on(alarm: AlarmSpec, model: ServiceModel) -> str:
    """What an alarm reads, in words: the queue's messages, the tasks' CPU."""
    metrics = [q.metric for q in alarm.queries if q.metric is not None]
    words = []
    if any(m.subject in (model.queue.logical_id,) for m in metrics):
        words.append("the queue's messages")
    if any(m.metric_name == "CPUUtilization" for m in metrics):
        words.append("the tasks' CPU")
    return " and ".join(words)


def messages_per_task(alarm: AlarmSpec, step: StepAdjustmentSpec) -> float | None:
    """The messages per added task of a scale-out step, or ``None`` for an unbounded one.

    A step that adds ``L`` tasks for a whole-number alarm value below its upper bound ``U``
    sizes the service at one task per ``(U - 1) / L`` messages.
    """
    if step.upper is None or step.adjustment <= 0:
        return None
    return (alarm.threshold + step.upper - 1) / step.adjustment


def _sizing(alarm: AlarmSpec, policy: StepPolicySpec) -> str:
    """How a scale-out policy sizes the service, in words."""
    if policy.adjustment_type != "ChangeInCapacity" or len(policy.steps) < 2:
        return ""
    adjustments = [s.adjustment for s in policy.steps]
    ratios = [messages_per_task(alarm, s) for s in policy.steps]
    finite = {r for r in ratios if r is not None}
    if len(finite) == 1 and sum(r is not None for r in ratios) >= 2:
        (k,) = finite
        return f"one per {k:g} waiting messages"
    return f"adding {min(adjustments)} to {max(adjustments)} at a time as messages wait"


def sections(
    model: ServiceModel, pricing: FargatePricing | None = None, wakes: Wakes | None = None
) -> list[Section]:
    """The plain summary of ``model``, statement by statement.

    Args:
        model: The service.
        pricing: Prices for a task's hourly cost. Default: us-east-1 on-demand.
        wakes: What isolated messages saw. Default: measured by :func:`measure_wakes`.
    """
    pricing = pricing or FargatePricing()
    out: list[Section] = []
    floor = model.min_capacity
    task = model.task
    measured = Wakes((), ())
    if floor is None:
        out.append(Section("scales", f"fixed at {_tasks(model.desired_count)}; no scaling"))
    else:
        if floor > 0:
            out.append(
                Section("wakes", f"keeps {_tasks(floor)} running, so a message starts at once")
            )
        else:
            try:
                measured = wakes or measure_wakes(model)
            except SimulationInputError:
                measured = Wakes((), ())
            if measured.waits:
                out.append(
                    Section(
                        "wakes",
                        f"a message to the idle service starts after about "
                        f"{_minutes(percentile(measured.waits, 50))} "
                        f"(at most {_minutes(max(measured.waits))} in "
                        f"{len(measured.waits)} simulated wakes)",
                    )
                )
            else:
                out.append(Section("wakes", "never: nothing wakes the idle service"))
        for alarm, _ in _policies(model, "scale-in")[:1]:
            idle = alarm.datapoints_to_alarm * alarm.period / 60.0
            judged = _judged_on(alarm, model)
            after = ""
            if floor == 0 and measured.back_to_minimum:
                after = f"about {_minutes(percentile(measured.back_to_minimum, 50))} after its "
                after += "last message "
            out.append(
                Section(
                    "sleeps",
                    f"back to {_tasks(floor)} {after}({idle:g} idle minutes"
                    + (f", judged on {judged})" if judged else ")"),
                )
            )
        growth = [g for g in (_sizing(a, p) for a, p in _policies(model, "scale-out")) if g]
        cpu = [t for t in model.target_tracking if t.predefined_type]
        scales = f"up to {_tasks(model.max_capacity)}"
        if growth:
            scales += ", " + growth[0]
        if cpu:
            scales += f", more while CPU is above {cpu[0].target_value:g} %"
        out.append(Section("scales", scales))
    out.append(Section("costs", _price(model, pricing)))
    out.append(
        Section(
            "protects",
            "scale-in never stops a task working on a message"
            if task.task_protection
            else "scale-in can stop a task working on a message",
        )
    )
    if model.deployment.drain_check_seconds is not None:
        out.append(Section("deploys", "a deploy lets running messages finish"))
    for alarm in model.alarms:
        if any(lid in alarm.logical_id for lid in contract.SCALES_IN_WHILE_MESSAGES_WAIT):
            minutes = alarm.datapoints_to_alarm * alarm.period / 60.0
            out.append(
                Section(
                    "watches",
                    "tasks that take no message while messages wait raise an alarm and are set "
                    f"to {_tasks(floor or 0)} after {minutes:g} such minutes",
                )
            )
            break
    if model.queue.max_receive_count:
        out.append(
            Section(
                "fails",
                f"a message received {model.queue.max_receive_count} times goes to the DLQ",
            )
        )
    return out


def _price(model: ServiceModel, pricing: FargatePricing) -> str:
    """What a running task costs: its Fargate price, or the GPU instances it runs on."""
    task = model.task
    instances = model.instances
    if instances is not None:
        kept = instances.min_instances
        return (
            f"${instances.hourly_usd:.3f} an hour per running {instances.instance_type} instance "
            f"(on demand{', Spot is less' if instances.spot else ''}), "
            f"{_tasks(instances.tasks_per_instance)} each"
            + (f", {kept} kept running" if kept else ", none while idle")
            + (
                f", {instances.warm_pool_size} stopped in a warm pool"
                if instances.warm_pool_size
                else ""
            )
        )
    hourly = pricing.hourly(task.cpu_units, task.memory_mib, arm64=task.arm64, spot=model.spot)
    return (
        f"${hourly:.4f} an hour per running task ({task.cpu_units / 1024:g} vCPU, "
        f"{task.memory_mib / 1024:g} GB{', ARM64' if task.arm64 else ''}"
        f"{', Spot' if model.spot else ''})"
    )


def paragraph(statements: Sequence[Section], width: int = WIDTH) -> list[str]:
    """The statements as one paragraph, wrapped to ``width`` characters."""
    text = "; ".join(s.text for s in statements)
    return textwrap.wrap(text[:1].upper() + text[1:] + ".", width) if text else []
