"""What a template declares about scaling the service: its scalable target and its policies.

Read from ``AWS::ApplicationAutoScaling::ScalableTarget`` (dimension
``ecs:service:DesiredCount``) and ``AWS::ApplicationAutoScaling::ScalingPolicy``, with Application
Auto Scaling's defaults where a policy sets none (a cooldown of
:data:`~sqs_scale_to_zero.simulate.template.specs.DEFAULT_ECS_COOLDOWN`).
"""

from __future__ import annotations

from typing import Any

from sqs_scale_to_zero.simulate.models.metrics import read_metric_stat
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template, number
from sqs_scale_to_zero.simulate.template.specs import (
    DEFAULT_ECS_COOLDOWN,
    StepAdjustmentSpec,
    StepPolicySpec,
    TargetTrackingSpec,
)


def read_scalable_target(
    template: Template, service_id: str
) -> tuple[str | None, dict[str, Any] | None]:
    """The service's ``ecs:service:DesiredCount`` scalable target: its logical ID and properties."""
    for tid, tprops in template.of_type("AWS::ApplicationAutoScaling::ScalableTarget").items():
        if tprops.get("ScalableDimension") != "ecs:service:DesiredCount":
            continue
        if service_id in referenced_ids(tprops.get("ResourceId")):
            return tid, tprops
    return None, None


def policy_targets(props: dict[str, Any], target_id: str, target: dict[str, Any] | None) -> bool:
    """Whether the scaling policy ``props`` scales the target ``target_id``."""
    if target_id in referenced_ids(props.get("ScalingTargetId")):
        return True
    return target is not None and props.get("ResourceId") == target.get("ResourceId")


def read_step_policy(pid: str, props: dict[str, Any]) -> StepPolicySpec:
    """A step scaling policy, with Application Auto Scaling's defaults where it sets none."""
    cfg = props.get("StepScalingPolicyConfiguration") or {}
    steps = tuple(
        StepAdjustmentSpec(
            lower=None
            if s.get("MetricIntervalLowerBound") is None
            else float(s["MetricIntervalLowerBound"]),
            upper=None
            if s.get("MetricIntervalUpperBound") is None
            else float(s["MetricIntervalUpperBound"]),
            adjustment=int(s.get("ScalingAdjustment", 0)),
        )
        for s in cfg.get("StepAdjustments") or []
    )
    mam = cfg.get("MinAdjustmentMagnitude")
    return StepPolicySpec(
        logical_id=pid,
        adjustment_type=str(cfg.get("AdjustmentType", "ChangeInCapacity")),
        steps=steps,
        metric_aggregation=str(cfg.get("MetricAggregationType", "Average")),
        cooldown=number(cfg.get("Cooldown"), DEFAULT_ECS_COOLDOWN),
        min_adjustment_magnitude=int(mam) if mam is not None else None,
    )


def read_target_tracking(template: Template, pid: str, props: dict[str, Any]) -> TargetTrackingSpec:
    """A target-tracking policy, with Application Auto Scaling's defaults where it sets none."""
    cfg = props.get("TargetTrackingScalingPolicyConfiguration") or {}
    predefined = (cfg.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    metric = None
    custom = cfg.get("CustomizedMetricSpecification")
    if custom and custom.get("MetricName"):
        metric = read_metric_stat(template, custom, str(custom.get("Statistic", "Average")), 60)
    return TargetTrackingSpec(
        logical_id=pid,
        target_value=number(cfg.get("TargetValue"), 50.0),
        metric=metric,
        predefined_type=str(predefined) if predefined else None,
        scale_out_cooldown=number(cfg.get("ScaleOutCooldown"), DEFAULT_ECS_COOLDOWN),
        scale_in_cooldown=number(cfg.get("ScaleInCooldown"), DEFAULT_ECS_COOLDOWN),
        disable_scale_in=bool(cfg.get("DisableScaleIn", False)),
    )
