"""The synthesized scale-in alarm, evaluated with the simulator's CloudWatch alarm model.

Each case feeds the alarm's metrics one window of datapoints (oldest first, ``None`` = no
datapoint) and checks the state the alarm reaches: ALARM sets the service to 0 tasks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate.models.alarm_evaluation import ALARM, OK, AlarmRuntime
from sqs_scale_to_zero.simulate.models.metrics import MetricStore
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.template.specs import AlarmSpec, MetricStat
from test.conftest import Synthesized

IDLE = 5  # minutes: the default idle_timeout


class GivenDatapoints(MetricStore):
    """A metric store that answers every query with the datapoints a case gives."""

    def __init__(self, datapoints: dict[str, list[float | None]]) -> None:
        super().__init__()
        self.datapoints = datapoints

    def track(self, metric: MetricStat) -> None:
        pass

    def query(
        self, metric: MetricStat, periods: int, now: float, delay: float | None = None
    ) -> list[float | None]:
        series = self.datapoints.get(metric.metric_name, [None] * periods)
        assert len(series) == periods
        return list(series)


@pytest.fixture(scope="module")
def scale_in_alarm(
    default_service: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> AlarmSpec:
    path = Path(tmp_path_factory.mktemp("scale-in")) / "template.json"
    path.write_text(json.dumps(default_service.template.to_json()))
    model = load_service(path)
    alarm_id = default_service.logical_id(default_service.construct.scale_in_alarm)
    (spec,) = [alarm for alarm in model.alarms if alarm.logical_id == alarm_id]
    return spec


NAMES = {
    "visible": "ApproximateNumberOfMessagesVisible",
    "in_flight": "ApproximateNumberOfMessagesNotVisible",
    "sent": "NumberOfMessagesSent",
    "received": "NumberOfMessagesReceived",
    "deleted": "NumberOfMessagesDeleted",
    "cpu": "CPUUtilization",
}
QUIET: list[float | None] = [0.0] * IDLE
"""An active queue's activity sums in a minute where nothing happened."""


def given(**datapoints: list[float | None]) -> GivenDatapoints:
    """The window's datapoints by input; activity sums not named are zero (an active queue)."""
    series: dict[str, list[float | None]] = {
        "sent": list(QUIET),
        "received": list(QUIET),
        "deleted": list(QUIET),
        **datapoints,
    }
    return GivenDatapoints({NAMES[key]: list(values) for key, values in series.items()})


def state(spec: AlarmSpec, **datapoints: list[float | None]) -> str:
    return AlarmRuntime(spec, given(**datapoints)).evaluate(now=3600.0).state


def test_empty_and_idle_scales_in(scale_in_alarm: AlarmSpec) -> None:
    assert (
        state(scale_in_alarm, visible=[0] * IDLE, in_flight=[0] * IDLE, cpu=[0.3] * IDLE) == ALARM
    )


def test_one_message_in_flight_at_zero_cpu_does_not(scale_in_alarm: AlarmSpec) -> None:
    assert state(scale_in_alarm, visible=[0] * IDLE, in_flight=[1] * IDLE, cpu=[0.0] * IDLE) == OK


def test_visible_messages_do_not(scale_in_alarm: AlarmSpec) -> None:
    assert state(scale_in_alarm, visible=[3] * IDLE, in_flight=[0] * IDLE, cpu=[None] * IDLE) == OK


def test_busy_cpu_does_not(scale_in_alarm: AlarmSpec) -> None:
    assert state(scale_in_alarm, visible=[0] * IDLE, in_flight=[0] * IDLE, cpu=[60.0] * IDLE) == OK


def test_no_data_at_all_is_not_idle(scale_in_alarm: AlarmSpec) -> None:
    """After six idle hours SQS publishes nothing (no task polls the queue, so the service is
    at zero already), and a new stack has no data yet: neither may scale anything in."""
    nothing: list[float | None] = [None] * IDLE
    assert (
        state(
            scale_in_alarm,
            visible=nothing,
            in_flight=nothing,
            sent=nothing,
            received=nothing,
            deleted=nothing,
            cpu=nothing,
        )
        == OK
    )


@pytest.mark.parametrize("activity", ["sent", "received", "deleted"])
def test_a_short_message_that_no_gauge_saw_keeps_the_minute_busy(
    scale_in_alarm: AlarmSpec, activity: str
) -> None:
    """A 2 s message sent, received and deleted between two counts leaves the gauges at zero."""
    assert (
        state(
            scale_in_alarm,
            visible=[0] * IDLE,
            in_flight=[0] * IDLE,
            cpu=[0.5] * IDLE,
            **{activity: list[float | None]([0.0, 0.0, 1.0, 0.0, 0.0])},
        )
        == OK
    )


def test_a_late_activity_point_never_reads_as_idle(scale_in_alarm: AlarmSpec) -> None:
    """The newest minute's sums have not arrived yet: that minute is a hole, not idle."""
    late: list[float | None] = [0, 0, 0, 0, None]
    evaluation = AlarmRuntime(
        scale_in_alarm,
        given(visible=[0] * IDLE, in_flight=[0] * IDLE, sent=late, received=late, deleted=late),
    ).evaluate(now=3600.0)
    assert evaluation.datapoints[-1] is None
    assert evaluation.datapoints[:-1] == [1.0] * (IDLE - 1)


def test_missing_cpu_while_no_task_runs_scales_in(scale_in_alarm: AlarmSpec) -> None:
    assert (
        state(scale_in_alarm, visible=[0] * IDLE, in_flight=[0] * IDLE, cpu=[None] * IDLE) == ALARM
    )


def test_one_busy_minute_in_the_window_returns_the_alarm_to_ok(scale_in_alarm: AlarmSpec) -> None:
    """Hazard (a): the newest minute shows a message, so a woken service is not set back to 0."""
    spec = scale_in_alarm
    store = given(visible=[0] * IDLE, in_flight=[0] * IDLE, cpu=[None] * IDLE)
    alarm = AlarmRuntime(spec, store)
    assert alarm.evaluate(now=3600.0).state == ALARM
    store.datapoints["ApproximateNumberOfMessagesVisible"] = [0, 0, 0, 0, 1]
    assert alarm.evaluate(now=3660.0).state == OK


def test_a_single_idle_minute_after_work_does_not_scale_in(scale_in_alarm: AlarmSpec) -> None:
    assert (
        state(
            scale_in_alarm,
            visible=[0, 0, 0, 0, 0],
            in_flight=[1, 1, 1, 1, 0],
            cpu=[40.0, 35.0, 20.0, 10.0, 0.5],
        )
        == OK
    )


def test_a_minute_with_sums_but_no_gauge_is_busy(scale_in_alarm: AlarmSpec) -> None:
    """With the backlog signal, no gauge means the function failed: never an idle minute."""
    nothing: list[float | None] = [None] * IDLE
    evaluation = AlarmRuntime(
        scale_in_alarm, given(visible=nothing, in_flight=nothing, cpu=nothing)
    ).evaluate(now=3600.0)
    assert evaluation.datapoints == [0.0] * IDLE
    assert evaluation.state == OK
