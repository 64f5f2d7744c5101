"""A short human summary of a service's scaling behaviour, read from its template."""

from __future__ import annotations

import math
import re
import textwrap

from sqs_scale_to_zero.simulate.models.cost import FargatePricing
from sqs_scale_to_zero.simulate.models.delivery import runs_runtime
from sqs_scale_to_zero.simulate.models.instances.spec import InstanceCapacitySpec
from sqs_scale_to_zero.simulate.plain_summary import (
    WIDTH,
    Wakes,
    direction,
    messages_per_task,
    paragraph,
    sections,
)
from sqs_scale_to_zero.simulate.template.specs import (
    AlarmSpec,
    DeploymentSpec,
    MetricStat,
    ServiceModel,
    StepPolicySpec,
)
from sqs_scale_to_zero.worker import contract

_OPS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _num(x: float) -> str:
    return f"{x:g}"


def _metric(m: MetricStat, model: ServiceModel) -> str:
    if m.subject == model.queue.logical_id:
        about = "the queue"
    elif model.dlq is not None and m.subject == model.dlq.logical_id:
        about = "the DLQ"
    elif m.subject == model.logical_id:
        about = "the service"
    else:
        about = (
            m.subject or ", ".join(f"{k}={v}" for k, v in m.dimensions.items()) or "no dimensions"
        )
    return f"{m.stat} of {m.namespace} {m.metric_name} ({about}) per {m.period} s"


def _condition(alarm: AlarmSpec, model: ServiceModel) -> str:
    op = _OPS.get(alarm.comparison, alarm.comparison)
    result = next(q for q in alarm.queries if q.return_data)
    if result.metric is not None:
        subject = _metric(result.metric, model)
    else:
        subject = re.sub(r"\s+", " ", result.expression or "")
    when = f"{subject} {op} {_num(alarm.threshold)}"
    periods = (
        f"{alarm.datapoints_to_alarm} of {alarm.evaluation_periods} period(s) of {alarm.period} s"
    )
    text = f"when {when} for {periods}; missing data: {alarm.treat_missing_data}"
    others = [q for q in alarm.queries if q.metric is not None and q is not result]
    if others:
        text += "; where " + "; ".join(
            f"{q.id} = {_metric(q.metric, model)}" for q in others if q.metric
        )
    return text


def _bound(threshold: float, b: float | None, inf: str) -> str:
    return inf if b is None else _num(threshold + b)


def _change(policy: StepPolicySpec, adjustment: int) -> str:
    if policy.adjustment_type == "ExactCapacity":
        return f"set to {adjustment}"
    if policy.adjustment_type == "PercentChangeInCapacity":
        return f"{adjustment:+d} %"
    return f"{adjustment:+d}"


def _steps(policy: StepPolicySpec, alarm: AlarmSpec) -> str:
    """The step levels; consecutive ones that add a task per the same messages as one range."""
    greater = alarm.comparison.startswith("Greater")
    steps = sorted(policy.steps, key=lambda s: -math.inf if s.lower is None else s.lower)
    sizing = greater and policy.adjustment_type == "ChangeInCapacity"
    parts: list[str] = []
    i = 0
    while i < len(steps):
        per_task = messages_per_task(alarm, steps[i]) if sizing else None
        j = i
        while (
            per_task is not None
            and j + 1 < len(steps)
            and messages_per_task(alarm, steps[j + 1]) == per_task
        ):
            j += 1
        first, last = steps[i], steps[j]
        lo = _bound(alarm.threshold, first.lower, "-inf")
        hi = _bound(alarm.threshold, last.upper, "inf")
        span = f"[{lo}, {hi})" if greater else f"({lo}, {hi}]"
        change = _change(policy, first.adjustment)
        if j > i and per_task is not None:
            change += (
                f" to {_change(policy, last.adjustment)}, a task per {_num(per_task)} "
                f"({j - i + 1} levels)"
            )
        parts.append(f"{span} -> {change}")
        i = j + 1
    return f"{', '.join(parts)} ({policy.adjustment_type}, cooldown {_num(policy.cooldown)} s)"


def summary(
    model: ServiceModel,
    *,
    details: bool = False,
    pricing: FargatePricing | None = None,
    width: int = WIDTH - 2,
    wakes: Wakes | None = None,
) -> list[str]:
    """The ``synth`` summary of ``model``: a plain paragraph, then (``details``) :func:`describe`.

    Args:
        model: The service.
        details: Add the technical detail: logical IDs, alarms, metric math, step levels.
            Default: False.
        pricing: Prices. Default: us-east-1 on-demand.
        width: Characters per line at most. Default: ``WIDTH - 2`` (``synth`` indents each
            line by two).
        wakes: What isolated messages saw. Default: simulated (:func:`.measure_wakes`).
    """
    lines = [f"service {model.logical_id}"]
    lines += ["  " + line for line in paragraph(sections(model, pricing, wakes), width - 2)]
    if details:
        lines.append("  details:")
        for line in describe(model, pricing):
            indent = " " * (len(line) - len(line.lstrip()) + 4)
            lines += textwrap.wrap(
                line, width, initial_indent="    ", subsequent_indent=indent + "    "
            )
    return lines


def _instances(spec: InstanceCapacitySpec) -> str:
    """The EC2 capacity under the tasks, in one phrase."""
    return (
        f"on {spec.instance_type} instances{' (Spot)' if spec.spot else ''}, "
        f"{spec.tasks_per_instance} task(s) each, {spec.min_instances}-{spec.max_instances} "
        f"instances, ${spec.hourly_usd:.3f}/hour each on demand"
        + (f", warm pool of {spec.warm_pool_size}" if spec.warm_pool_size else "")
        + ("" if spec.termination_protection else ", NO managed termination protection")
    )


def describe(model: ServiceModel, pricing: FargatePricing | None = None) -> list[str]:
    """Lines describing ``model``'s scaling behaviour.

    Args:
        model: The service.
        pricing: Prices for the $/hour estimate. Default: us-east-1 on-demand.
    """
    pricing = pricing or FargatePricing()
    task = model.task
    hourly = pricing.hourly(task.cpu_units, task.memory_mib, arm64=task.arm64, spot=model.spot)
    lines = [
        f"service {model.logical_id} on queue {model.queue.name}"
        + (
            f" (DLQ after {model.queue.max_receive_count} receives)"
            if model.queue.max_receive_count
            else ""
        ),
        (
            f"  task: {task.cpu_units / 1024:g} vCPU, {task.memory_mib / 1024:g} GB"
            f"{', ARM64' if task.arm64 else ''}{', Spot' if model.spot else ''}"
            + (
                f": about ${hourly:.4f}/hour per task"
                if model.instances is None
                else f"; {_instances(model.instances)}"
            )
        ),
    ]
    if model.min_capacity is None:
        lines.append(f"  capacity: fixed at {model.desired_count} task(s), no scalable target")
        return lines
    lines.append(f"  capacity: min {model.min_capacity}, max {model.max_capacity}")
    for alarm in model.alarms:
        for pid in alarm.alarm_actions:
            policy = model.step_policies[pid]
            label = "wake / scale-out" if direction(policy) == "scale-out" else "scale-in"
            lines.append(f"  {label}: {_condition(alarm, model)}")
            lines.append(f"    steps: {_steps(policy, alarm)}")
    if not model.alarms:
        lines.append("  no alarm drives a step scaling policy")
    cpu = [
        t for t in model.target_tracking if t.predefined_type == "ECSServiceAverageCPUUtilization"
    ]
    if cpu:
        for t in cpu:
            lines.append(
                f"  CPU target tracking: {_num(t.target_value)} %"
                + (" (scale-in disabled)" if t.disable_scale_in else " (can also scale in)")
            )
    else:
        lines.append("  no CPU target-tracking policy")
    lines.append(
        "  task scale-in protection: "
        + (
            "on while a message is processed"
            if task.task_protection
            else "off (a busy task can be stopped)"
        )
    )
    lines.extend(_delivery(model))
    lines.append(_deploys(model.deployment))
    if model.min_capacity == 0 and not any(
        direction(model.step_policies[p]) == "scale-out"
        for a in model.alarms
        for p in a.alarm_actions
    ):
        lines.append("  warning: min capacity 0 and no scale-out alarm: the service never wakes")
    for poller in model.pollers:
        publishes = ""
        if poller.namespace and poller.publishes_backlog:
            publishes = f"; publishes its counts to {poller.namespace}"
        elif poller.namespace:
            publishes = f"; publishes the desired count to {poller.namespace} while tasks run"
        lines.append(
            f"  queue read every {_num(poller.period)} s by {poller.function_logical_id} "
            f"(keeps it active{publishes})"
        )
        wake = poller.wake
        if wake is not None:
            if not (wake.describe_service and wake.update_service):
                how = "may not read and update the service: no fast wake"
            elif wake.alarm_logical_id is None:
                how = "wakes the service from zero itself, naming no idle alarm to hold off"
            elif not (wake.describe_alarm and wake.disable_alarm_actions):
                how = f"may not hold off {wake.alarm_logical_id}'s actions: no wake while it alarms"
            else:
                how = (
                    f"wakes the service from zero itself, holding off "
                    f"{wake.alarm_logical_id}'s actions until it leaves ALARM"
                )
            if wake.messages_per_task is not None and wake.max_capacity is not None:
                how += (
                    f" (to 1 task per {wake.messages_per_task} visible messages, "
                    f"at most {wake.max_capacity})"
                )
            lines.append(f"  {poller.function_logical_id} {how}")
    if math.isfinite(model.queue.visibility_timeout):
        lines.append(f"  queue visibility timeout: {_num(model.queue.visibility_timeout)} s")
    lines.extend(_sources(model))
    return lines


def _sources(model: ServiceModel) -> list[str]:
    """A line per schedule and per topic subscription that sends to the queue."""
    lines = [
        f"  periodic task {p.name}: {p.expression} ({p.time_zone}), one message a run"
        for p in model.sources.periodic
    ]
    for subscription in model.sources.subscriptions:
        topic = subscription.topic.removeprefix("{ref:").removesuffix("}")
        scope = "" if subscription.filter_policy_scope == "MessageAttributes" else " body"
        policy = (
            f", filtered on{scope} {', '.join(subscription.filter_policy)}"
            if (subscription.filter_policy)
            else ""
        )
        lines.append(f"  subscribed to topic {topic}{policy}")
    return lines


_MODE_DETAIL = {
    contract.DELIVERY_PYTHON_RUNTIME: "the image runs sqs_scale_to_zero.worker with a Python handler",
    contract.DELIVERY_HTTP: "the runtime, in its own container, POSTs each message to {url}",
    contract.DELIVERY_OWN_CONSUMER: "the image consumes the queue itself, without the runtime",
}


def _delivery(model: ServiceModel) -> list[str]:
    """How messages reach the code, and which of the runtime's guarantees hold."""
    task = model.task
    mode = task.delivery
    detail = _MODE_DETAIL[mode].format(url=task.environment.get(contract.DELIVER_TO, ""))
    runtime = runs_runtime(mode)
    visibility = model.queue.visibility_timeout
    lapse = f"the {_num(visibility)} s" if math.isfinite(visibility) else "the"
    checks = (
        (runtime and task.task_protection, "task scale-in protection while it works"),
        (
            runtime,
            f"heartbeat (a job longer than {lapse} visibility timeout is not received again)",
        ),
        (model.deployment.drain_check_seconds is not None, "deploy drain"),
        (
            runtime and task.shutdown_grace is not None,
            f"graceful stop (finish or release within {_num(task.shutdown_grace or 0)} s of "
            "SIGTERM)",
        ),
    )
    held = [what for ok, what in checks if ok]
    missing = [what.split(" (")[0] for ok, what in checks if not ok]
    lines = [f"  delivery: {mode} ({detail})"]
    if held:
        lines.append(f"    guarantees: {', '.join(held)}")
    if missing:
        lines.append(
            f"    not provided: {', '.join(missing)}; a busy task can be stopped (SIGTERM, "
            f"SIGKILL after {_num(task.stop_timeout)} s), and a job longer than {lapse} "
            "visibility timeout is visible again and may be processed twice"
            if mode == contract.DELIVERY_OWN_CONSUMER
            else f"    not provided: {', '.join(missing)}"
        )
    if mode == contract.DELIVERY_OWN_CONSUMER:
        lines.append(
            "    to get them back: http_delivery=HttpDelivery(...), or hold task protection "
            "through the ECS agent, extend visibility while working (ChangeMessageVisibility) "
            "and release on SIGTERM (README: Workers in any language)"
        )
    return lines


def _deploys(spec: DeploymentSpec) -> str:
    """One line on how a deploy replaces the tasks."""
    breaker = (
        "circuit breaker with rollback"
        if spec.circuit_breaker and spec.rollback
        else "circuit breaker without rollback"
        if spec.circuit_breaker
        else "no circuit breaker"
    )
    drain = (
        f"outdated tasks stop taking messages and drain (checked every "
        f"{_num(spec.drain_check_seconds)} s)"
        if spec.drain_check_seconds is not None
        else "outdated tasks are stopped by the deployment (SIGTERM)"
    )
    return (
        f"  deploys: {spec.min_healthy_percent}-{spec.max_percent} % of the desired count "
        f"running, {breaker}; {drain}"
    )
