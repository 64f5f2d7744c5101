"""Application Auto Scaling for an ECS service: scalable target, step scaling, target tracking.

Semantics (Application Auto Scaling API Reference and User Guide):

* Step adjustments are chosen by the difference between the aggregated metric and the alarm
  threshold. Above the threshold the lower bound is inclusive and the upper exclusive; below it
  the lower bound is exclusive and the upper inclusive. A metric exactly at the threshold
  breaches in the alarm's direction: for a ``GreaterThan...`` alarm it takes the step whose
  lower bound is 0, for a ``LessThan...`` alarm the step whose upper bound is 0 (the API
  reference's two examples with threshold 50).
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepAdjustment.html
* ``ChangeInCapacity`` adds, ``ExactCapacity`` sets, ``PercentChangeInCapacity`` scales by a
  percentage (rounded away from zero to at least 1, then ``MinAdjustmentMagnitude``); the result
  is clamped to min/max capacity.
* Cooldown: during a scale-out cooldown the capacity added by the initiating scale-out counts as
  part of the next one (only a larger step adds more); a scale-in is blocked during its
  cooldown, and a scale-out cancels scale-in cooldowns. Default 300 s for ECS.
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html
* Target tracking: Application Auto Scaling manages two alarms on the metric, a high one
  (3 of 3 one-minute datapoints above target) and a low one (15 of 15 below 90 % of target),
  and sets capacity to ``ceil(current * metric / target)``; it never scales on insufficient
  data, so it cannot wake a service from zero tasks (no CPU datapoints then).
  https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
* Policies invoked at the same time: "Application Auto Scaling gives precedence to the policy
  that provides the largest capacity for both scale out and scale in" (PutScalingPolicy), so
  each policy *proposes* a capacity and only the largest proposal is committed.
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqs_scale_to_zero.simulate.models.alarm_evaluation import ALARM, OK, AlarmRuntime
from sqs_scale_to_zero.simulate.models.metrics import MetricStore
from sqs_scale_to_zero.simulate.template.specs import (
    MetricStat,
    ServiceModel,
    StepPolicySpec,
    TargetTrackingSpec,
)

TT_HIGH_DATAPOINTS = 3
TT_LOW_DATAPOINTS = 15
TT_LOW_FACTOR = 0.9


@dataclass
class ScalableTarget:
    """The service's desired count and its bounds.

    Attributes:
        min_capacity: Minimum capacity.
        max_capacity: Maximum capacity.
        desired: Current desired count.
        last_scale_out: Time of the last scale-out by any policy (cancels scale-in cooldowns).
        activities: Number of scaling activities that changed the desired count.
        changes: ``(time, desired count)`` after each of those activities, in order: what
            ``DescribeScalingActivities`` would list. A desired count set directly
            (``ecs:UpdateService``, as the fast wake does) is not a scaling activity and is
            not listed. Default: empty.
    """

    min_capacity: int
    max_capacity: int
    desired: int
    last_scale_out: float = -math.inf
    activities: int = 0
    changes: list[tuple[float, int]] = field(default_factory=list)

    def clamp(self, value: int) -> int:
        """Clamp to ``[min_capacity, max_capacity]``."""
        return max(self.min_capacity, min(self.max_capacity, value))

    def set_desired(self, value: int, now: float) -> bool:
        """Set the desired count (clamped); returns whether it changed."""
        value = self.clamp(value)
        if value == self.desired:
            return False
        if value > self.desired:
            self.last_scale_out = now
        self.desired = value
        self.activities += 1
        self.changes.append((now, value))
        return True


def choose_step(
    policy: StepPolicySpec, value: float, threshold: float, *, breach_above: bool = True
) -> int | None:
    """The scaling adjustment of the step that ``value`` falls in, or ``None``.

    Args:
        policy: The step policy.
        value: The aggregated metric value.
        threshold: The alarm threshold.
        breach_above: The alarm breaches above its threshold (``GreaterThan...``). Default: True.
    """
    diff = value - threshold
    above = value > threshold or (value == threshold and breach_above)
    for step in policy.steps:
        lo = -math.inf if step.lower is None else step.lower
        hi = math.inf if step.upper is None else step.upper
        if above and lo <= diff < hi:
            return step.adjustment
        if not above and lo < diff <= hi:
            return step.adjustment
    return None


def _percent_change(current: int, percent: int, minimum: int | None) -> int:
    raw = current * percent / 100.0
    if 0 < raw < 1:
        change = 1
    elif -1 < raw < 0:
        change = -1
    else:
        change = math.floor(raw) if raw > 0 else math.ceil(raw)
    if minimum is not None and abs(change) < minimum:
        change = minimum if change >= 0 else -minimum
    return current + change


@dataclass
class StepPolicyRuntime:
    """A step scaling policy with its cooldown state.

    Attributes:
        spec: The policy.
        out_until: End of the current scale-out cooldown.
        out_base: Capacity before the scale-out that started it.
        in_at: Time of the last scale-in by this policy.
    """

    spec: StepPolicySpec
    out_until: float = -math.inf
    out_base: int = 0
    in_at: float = -math.inf

    def propose(
        self,
        target: ScalableTarget,
        value: float,
        threshold: float,
        now: float,
        *,
        breach_above: bool = True,
    ) -> int | None:
        """The capacity this policy would set for a breach ``value``, or ``None`` (no change).

        Cooldowns are respected; nothing is changed until :meth:`commit`.
        """
        adj = choose_step(self.spec, value, threshold, breach_above=breach_above)
        if adj is None:
            return None
        current = target.desired
        base = self.out_base if now < self.out_until else current
        kind = self.spec.adjustment_type
        if kind == "ExactCapacity":
            proposed = adj
        elif kind == "PercentChangeInCapacity":
            proposed = _percent_change(base, adj, self.spec.min_adjustment_magnitude)
        else:
            proposed = base + adj
        proposed = target.clamp(proposed)
        if adj > 0 and kind != "ExactCapacity" and proposed < current:
            # A scale-out step never removes tasks: during the cooldown "the scaling policy
            # won't increase the desired capacity again unless either a larger scale out is
            # triggered or the cooldown period ends" (Application Auto Scaling API reference,
            # StepScalingPolicyConfiguration, Cooldown); a smaller one changes nothing.
            return None
        if (
            proposed < current
            and self.in_at + self.spec.cooldown > now
            and target.last_scale_out < self.in_at
        ):
            return None
        return proposed if proposed != current else None

    def commit(self, target: ScalableTarget, proposed: int, now: float) -> bool:
        """Set ``proposed`` (from :meth:`propose`) and start the cooldown."""
        current = target.desired
        if proposed > current and now >= self.out_until:
            self.out_base = current
            self.out_until = now + self.spec.cooldown
        elif proposed < current:
            self.in_at = now
        return target.set_desired(proposed, now)

    def invoke(
        self,
        target: ScalableTarget,
        value: float,
        threshold: float,
        now: float,
        *,
        breach_above: bool = True,
    ) -> bool:
        """Propose and commit; returns whether capacity changed."""
        proposed = self.propose(target, value, threshold, now, breach_above=breach_above)
        return proposed is not None and self.commit(target, proposed, now)


@dataclass
class TargetTrackingRuntime:
    """A target-tracking policy with its two managed alarms.

    Attributes:
        spec: The policy.
        metric: The tracked metric (service average CPU for ``ECSServiceAverageCPUUtilization``).
        out_at: Time of its last scale-out.
        in_at: Time of its last scale-in.
        out_capacity: Capacity set by its last scale-out (counted during the cooldown).
    """

    spec: TargetTrackingSpec
    metric: MetricStat
    out_at: float = -math.inf
    in_at: float = -math.inf
    out_capacity: int = 0

    def propose(self, target: ScalableTarget, store: MetricStore, now: float) -> int | None:
        """The capacity the managed alarms ask for now, or ``None`` (no change)."""
        goal = self.spec.target_value
        if goal <= 0:
            return None
        high = store.query(self.metric, TT_HIGH_DATAPOINTS, now)
        current = target.desired
        if all(v is not None and v > goal for v in high):
            value = sum(v for v in high if v is not None) / len(high)
            proposed = target.clamp(math.ceil(current * value / goal))
            if proposed <= current:
                return None
            if now < self.out_at + self.spec.scale_out_cooldown and proposed <= self.out_capacity:
                return None
            return proposed
        if self.spec.disable_scale_in:
            return None
        low = store.query(self.metric, TT_LOW_DATAPOINTS, now)
        if all(v is not None and v < goal * TT_LOW_FACTOR for v in low):
            if (
                now < self.in_at + self.spec.scale_in_cooldown
                and target.last_scale_out < self.in_at
            ):
                return None
            proposed = target.clamp(math.ceil(current * (low[-1] or 0.0) / goal))
            return proposed if proposed < current else None
        return None

    def commit(self, target: ScalableTarget, proposed: int, now: float) -> bool:
        """Set ``proposed`` (from :meth:`propose`) and start the matching cooldown."""
        if proposed > target.desired:
            self.out_at = now
            self.out_capacity = proposed
        else:
            self.in_at = now
        return target.set_desired(proposed, now)

    def invoke(self, target: ScalableTarget, store: MetricStore, now: float) -> bool:
        """Propose and commit; returns whether capacity changed."""
        proposed = self.propose(target, store, now)
        return proposed is not None and self.commit(target, proposed, now)


def apply_scaling(
    target: ScalableTarget,
    alarms: Sequence[AlarmRuntime],
    policies: Mapping[str, StepPolicyRuntime],
    tracking: Sequence[TargetTrackingRuntime],
    store: MetricStore,
    now: float,
) -> None:
    """One minute of Application Auto Scaling: the largest proposed capacity wins.

    The alarms are evaluated in template order; each invoked step policy and each
    target-tracking policy proposes a capacity, and the largest is committed.
    An alarm in ALARM invokes its alarm actions at every evaluation; an alarm that has just
    returned to OK invokes its OK actions once; an alarm whose actions are disabled invokes none.
    """
    proposals: list[tuple[int, StepPolicyRuntime | TargetTrackingRuntime]] = []
    for alarm in alarms:
        ev = alarm.evaluate(now)
        if not alarm.actions_enabled:
            continue
        if ev.state == ALARM:
            actions = alarm.spec.alarm_actions
        elif ev.state == OK and ev.changed:
            actions = alarm.spec.ok_actions
        else:
            continue
        above = alarm.spec.comparison.startswith("Greater")
        for pid in actions:
            policy = policies[pid]
            value = ev.aggregated(policy.spec.metric_aggregation, alarm.spec.threshold)
            proposed = policy.propose(target, value, alarm.spec.threshold, now, breach_above=above)
            if proposed is not None:
                proposals.append((proposed, policy))
    for tt in tracking:
        proposed = tt.propose(target, store, now)
        if proposed is not None:
            proposals.append((proposed, tt))
    if proposals:
        # the largest capacity wins, for scale-out and scale-in alike (PutScalingPolicy)
        capacity, winner = max(proposals, key=lambda p: p[0])
        winner.commit(target, capacity, now)


def tracked_metric(spec: TargetTrackingSpec, service_logical_id: str) -> MetricStat | None:
    """The metric a target-tracking policy tracks, or ``None`` when it is not modelled.

    A customized metric is used as declared; the predefined ECS CPU metric is the service's
    average CPU. Memory and ALB request metrics are not modelled: such a policy never acts.
    """
    if spec.metric is not None:
        return spec.metric
    if spec.predefined_type == "ECSServiceAverageCPUUtilization":
        return MetricStat("AWS/ECS", "CPUUtilization", {}, service_logical_id, "Average", 60)
    return None


def tracking_runtimes(model: ServiceModel, store: MetricStore) -> list[TargetTrackingRuntime]:
    """The service's modelled target-tracking policies, their metrics tracked in ``store``."""
    runtimes = [
        TargetTrackingRuntime(t, m)
        for t in model.target_tracking
        if (m := tracked_metric(t, model.logical_id)) is not None
    ]
    for runtime in runtimes:
        store.track(runtime.metric)
    return runtimes


def scalable_target(model: ServiceModel) -> ScalableTarget | None:
    """The service's scalable target at the start of a run, or ``None`` when it has none."""
    if model.min_capacity is None or model.max_capacity is None:
        return None
    target = ScalableTarget(model.min_capacity, model.max_capacity, model.desired_count)
    target.desired = target.clamp(model.desired_count)
    return target
