"""What a stack's alarms and functions are, in plain words, for the idle bill and the timeline.

"alarm: idle scale-in", "scheduled wake function (1 invocation a minute)": the logical IDs stay
in the technical detail (``synth --details``, the timeline's CSV columns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqs_scale_to_zero.worker import contract

ALARM_NAMES = (
    (contract.NOT_WORKING_ALARM_ID, "tasks on an empty queue or taking no message"),
    (contract.NOT_RECEIVING_ALARM_ID, "tasks taking no message"),
    (contract.EMPTY_QUEUE_ALARM_ID, "tasks on an empty queue"),
    (contract.GRADUAL_SCALE_IN_ALARM_ID, "gradual scale-in"),
    (contract.SCALE_IN_ALARM_ID, "idle scale-in"),
    (contract.SCALE_OUT_ALARM_ID, "wake and scale-out"),
    (contract.DEAD_LETTER_QUEUE_ALARM_ID, "dead-letter queue not empty"),
    (contract.OLDEST_MESSAGE_AGE_ALARM_ID, "oldest message too old"),
    (contract.BACKLOG_SIGNAL_ALARM_ID, "backlog signal failing"),
)
"""The construct's alarms in plain words, by the construct id their logical IDs start with
after the construct's own; the longer id first where one contains another."""


def construct_alarm_name(lid: str) -> str | None:
    """One of the construct's alarms in plain words, by its logical ID; ``None`` for others."""
    for construct_id, name in ALARM_NAMES:
        if construct_id in lid:
            return name
    return None


def alarm_name(lid: str, alarm: Mapping[str, Any], stats: Sequence[Mapping[str, Any]]) -> str:
    """An alarm in plain words: the construct's by its id, any other by what it reads."""
    known = construct_alarm_name(lid)
    if known is not None:
        return known
    names = sorted(
        {str(s.get("MetricName") or (s.get("Metric") or {}).get("MetricName")) for s in stats}
    )
    if isinstance(alarm.get("Metrics"), list):
        return f"metric math on {', '.join(names)}"
    return f"on {', '.join(names)}"


def function_role(variables: Mapping[str, Any], per_minute: float) -> str:
    """A scheduled function in plain words: what it is and how often it runs."""
    if variables.get(contract.SIGNAL_PUBLISHES) == contract.SIGNAL_PUBLISHES_DESIRED:
        role = "scheduled wake function"
    elif contract.SIGNAL_METRIC_NAMESPACE in variables:
        role = "backlog signal function"
    else:
        role = "scheduled function"
    if per_minute >= 1:
        often = f"{per_minute:g} invocation{'' if per_minute == 1 else 's'} a minute"
    else:
        often = f"1 invocation every {1 / per_minute:g} minutes"
    return f"{role} ({often})"
