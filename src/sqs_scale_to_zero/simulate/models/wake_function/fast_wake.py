"""The wake function's fast wake: it raises the service's desired count from 0 itself.

Modelled as the template declares it (:class:`~sqs_scale_to_zero.simulate.template.specs.WakeSpec`):
the function's environment names the service (and the idle alarm), its role's policies say
which calls succeed. At each run, with the visible count it has just read, the function does
what ``sqs_scale_to_zero.wake_function_handler`` does:

1. Read the service's desired count (``ecs:DescribeServices``) and, when it names an alarm,
   the alarm's state and whether its actions are enabled (``cloudwatch:DescribeAlarms``).
   Either read denied: no wake, and no desired count published.
2. A message visible and desired 0: if the alarm is in ALARM with its actions enabled, disable
   them (``cloudwatch:DisableAlarmActions``); then set desired to the backlog's level
   (:func:`wake_level`, ``ecs:UpdateService``).
   A denied call ends the attempt where it fails, as the handler's single ``try`` does: a
   denied disable means no wake (the scale-out alarm wakes the slow way); a denied update after
   a disable leaves the actions disabled. A function that names no alarm wakes unguarded.
   After a wake, a function that names its service's Auto Scaling group (GPU instances) and
   may read and raise it asks for the instances the woken tasks need (:attr:`WakeOutcome.
   instances`); the instance model raises the group to that, within its ``MaxSize``, never
   lower (:meth:`~sqs_scale_to_zero.simulate.models.instances.fleet.InstanceFleet.raise_to`).
3. Otherwise, when the alarm's actions are disabled and it is not in ALARM, enable them again
   (``cloudwatch:EnableAlarmActions``); denied, they stay disabled.

The published desired count is the one after the wake. The race this exposes: the idle alarm
judges minutes whose datapoints are published late, so it can still be in ALARM after the
wake, and an alarm in ALARM re-invokes its ``ExactCapacity 0`` action every minute ("for Auto
Scaling actions, the alarm continues to invoke the action once per minute that the alarm
remains in the new state", CloudWatch User Guide, "Alarm actions"), stopping the task just
launched unless its actions are disabled.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions
The calls take no virtual time (they take about a second in Lambda).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqs_scale_to_zero.simulate.models.alarm_evaluation import ALARM, AlarmRuntime
from sqs_scale_to_zero.simulate.models.wake_function.runs import PollerRuntime
from sqs_scale_to_zero.simulate.template.specs import WakeSpec


@dataclass(frozen=True)
class WakeOutcome:
    """What one run of the function did.

    Attributes:
        desired: The desired count it publishes (after any wake), or ``None`` (read denied).
        woke: Whether it raised the desired count from 0.
        instances: The instances it asks the Auto Scaling group for after a wake, or ``None``.
    """

    desired: int | None
    woke: bool
    instances: int | None = None


@dataclass
class FastWakeRuntime:
    """A function's fast wake in one simulation.

    Attributes:
        spec: What the template lets it do.
        alarm: The runtime of the alarm it names, if that alarm is simulated (it acts on the
            service's scaling policies); a named alarm that is not is never in ALARM.
    """

    spec: WakeSpec
    alarm: AlarmRuntime | None

    def run(self, visible: int, desired: int) -> WakeOutcome:
        """One run: ``visible`` messages just read, the service's ``desired`` count now."""
        spec, alarm = self.spec, self.alarm
        if not spec.describe_service:
            return WakeOutcome(None, False)
        if spec.alarm_logical_id is not None and not spec.describe_alarm:
            return WakeOutcome(None, False)
        in_alarm = alarm is not None and alarm.state == ALARM
        if visible >= 1 and desired == 0:
            if alarm is not None and in_alarm and alarm.actions_enabled:
                if not spec.disable_alarm_actions:
                    return WakeOutcome(desired, False)
                alarm.actions_enabled = False
            if not spec.update_service:
                return WakeOutcome(desired, False)
            level = wake_level(spec, visible)
            group = spec.instances
            return WakeOutcome(level, True, group.instances(level) if group else None)
        disabled = alarm is not None and not alarm.actions_enabled
        if alarm is not None and disabled and not in_alarm and spec.enable_alarm_actions:
            alarm.actions_enabled = True
        return WakeOutcome(desired, False)


def wake_level(spec: WakeSpec, visible: int) -> int:
    """The desired count a wake sets with ``visible`` messages waiting, as the handler does.

    One task per ``messages_per_task`` visible messages, at most ``max_capacity``; 1 where
    either is unknown.
    """
    if spec.messages_per_task is None or spec.max_capacity is None:
        return 1
    return min(spec.max_capacity, -(-visible // spec.messages_per_task))


def wake_runtimes(
    pollers: Sequence[PollerRuntime], alarms: Sequence[AlarmRuntime], service_logical_id: str
) -> dict[str, FastWakeRuntime]:
    """The fast wakes of the functions that may wake this service, by schedule rule ID.

    Each is bound to the live idle alarm its function names (``None`` when it names none).
    """
    by_id = {alarm.spec.logical_id: alarm for alarm in alarms}
    wakes: dict[str, FastWakeRuntime] = {}
    for poller in pollers:
        wake = poller.spec.wake
        if wake is not None and wake.service_logical_id == service_logical_id:
            alarm = by_id.get(wake.alarm_logical_id or "")
            wakes[poller.spec.rule_logical_id] = FastWakeRuntime(wake, alarm)
    return wakes
