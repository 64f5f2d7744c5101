"""CloudWatch alarm evaluation: period, statistic, M out of N, TreatMissingData, metric math.

Semantics (Amazon CloudWatch User Guide):

* Evaluation: every minute the alarm looks at its last ``EvaluationPeriods`` (N) datapoints;
  it goes to ALARM when at least ``DatapointsToAlarm`` (M) of them breach.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html
* Missing data: ``notBreaching`` counts missing datapoints as good, ``breaching`` as bad,
  ``ignore`` keeps the current state when everything is missing, ``missing`` (the default)
  goes to INSUFFICIENT_DATA when every datapoint of the range is missing; otherwise only the
  present datapoints are evaluated.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
* The windows are sliding and end at the newest minute whose datapoint has been published (the
  publishing delay of the slowest namespace the alarm reads). For an alarm that mixes
  namespaces with different delays this is optimistic: CloudWatch can only see what each
  namespace has published, so the newest minute may have the fast metrics and not the slow
  ones (metric math then counts the missing ones as 0, see :mod:`.metric_math`).
* Not modelled: CloudWatch retrieves an *evaluation range* longer than N and, when enough
  datapoints exist, evaluates the N most recent existing ones, skipping missing ones (same
  page, "How alarm state is evaluated when data is missing"); here the last N periods are
  evaluated with ``TreatMissingData`` applied to the missing ones.
* ``DisableAlarmActions`` / ``EnableAlarmActions``: an alarm whose actions are disabled keeps
  evaluating and changing state but invokes no action (:attr:`AlarmRuntime.actions_enabled`).
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DisableAlarmActions.html
* Application Auto Scaling keeps invoking a step scaling policy every minute while its alarm
  stays in ALARM; the simulator therefore returns the alarm's actions on every evaluation in
  ALARM, and OK actions on the transition to OK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.metric_math import (
    Expression,
    Series,
    compile_expression,
)
from sqs_scale_to_zero.simulate.models.metrics import MetricStore, aggregate, read_metric_stat
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template, number
from sqs_scale_to_zero.simulate.template.specs import AlarmSpec, MetricQuery

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one alarm evaluation.

    Attributes:
        state: ``OK``, ``ALARM`` or ``INSUFFICIENT_DATA``.
        changed: Whether the state changed at this evaluation.
        datapoints: The N datapoints, oldest first (``None`` = missing).
    """

    state: str
    changed: bool
    datapoints: list[float | None]

    def aggregated(self, how: str, threshold: float) -> float:
        """The metric value handed to a step policy, aggregated as ``MetricAggregationType``.

        With no present datapoint (an alarm driven by missing data treated as breaching) the
        threshold itself is used, i.e. a difference of 0 from the threshold.
        """
        present = [v for v in self.datapoints if v is not None]
        return aggregate(present, how) if present else threshold


class AlarmRuntime:
    """A live alarm.

    Args:
        spec: The alarm from the template.
        store: Where its metrics' datapoints are.

    Raises:
        SimulationInputError: An unsupported comparison or metric math.
    """

    def __init__(self, spec: AlarmSpec, store: MetricStore) -> None:
        if spec.comparison not in COMPARISONS:
            raise SimulationInputError(
                f"alarm {spec.logical_id}: comparison {spec.comparison} is not supported by the simulator"
            )
        self.spec = spec
        self.store = store
        self.state = INSUFFICIENT_DATA
        self.actions_enabled = True
        """False after ``DisableAlarmActions``: the alarm evaluates, its actions are not invoked."""
        self._compare = COMPARISONS[spec.comparison]
        ids = {q.id for q in spec.queries}
        self._expressions: dict[str, Expression] = {
            q.id: compile_expression(q.expression, ids - {q.id})
            for q in spec.queries
            if q.expression
        }
        for q in spec.queries:
            if q.metric is not None:
                store.track(q.metric)
        namespaces = {q.metric.namespace for q in spec.queries if q.metric is not None}
        self._delay = max((store.delay(ns) for ns in namespaces), default=0.0)
        self._result_id = next(q.id for q in spec.queries if q.return_data)

    def datapoints(self, now: float) -> list[float | None]:
        """The alarm's N datapoints visible at ``now``, oldest first."""
        n = self.spec.evaluation_periods
        if not self._expressions:
            metric = self.spec.queries[0].metric
            assert metric is not None
            return self.store.query(metric, n, now, self._delay)
        env: dict[str, Series] = {}
        for q in self.spec.queries:
            if q.metric is not None:
                env[q.id] = self.store.query(q.metric, n, now, self._delay)
        pending = [q.id for q in self.spec.queries if q.expression]
        while pending:
            progressed = False
            for qid in list(pending):
                expr = self._expressions[qid]
                if expr.references <= env.keys():
                    env[qid] = expr.evaluate(env, n)
                    pending.remove(qid)
                    progressed = True
            if not progressed:
                raise SimulationInputError(f"alarm {self.spec.logical_id}: circular metric math")
        return env[self._result_id]

    def evaluate(self, now: float) -> Evaluation:
        """Evaluate at ``now`` and update the state."""
        spec = self.spec
        dps = self.datapoints(now)
        present = [v for v in dps if v is not None]
        missing = len(dps) - len(present)
        new = self.state
        if not present:
            new = {
                "breaching": ALARM,
                "notBreaching": OK,
                "ignore": self.state,
            }.get(spec.treat_missing_data, INSUFFICIENT_DATA)
        else:
            breaching = sum(1 for v in present if self._compare(v, spec.threshold))
            if spec.treat_missing_data == "breaching":
                breaching += missing
            new = ALARM if breaching >= min(spec.datapoints_to_alarm, len(dps)) else OK
        changed = new != self.state
        self.state = new
        return Evaluation(new, changed, dps)


# --- what the template says ------------------------------------------------------------------


def read_alarm(
    template: Template, aid: str, props: dict[str, Any], policies: set[str]
) -> AlarmSpec | None:
    """An alarm whose actions invoke one of ``policies`` (None when none of them)."""
    actions = tuple(i for i in referenced_ids(props.get("AlarmActions") or []) if i in policies)
    ok_actions = tuple(i for i in referenced_ids(props.get("OKActions") or []) if i in policies)
    if not actions and not ok_actions:
        return None
    queries: list[MetricQuery] = []
    period = int(number(props.get("Period"), 60))
    if props.get("Metrics"):
        for q in props["Metrics"]:
            ms = q.get("MetricStat")
            stat = None
            if ms:
                stat = read_metric_stat(
                    template,
                    ms.get("Metric") or {},
                    str(ms.get("Stat", "Average")),
                    int(number(ms.get("Period"), 60)),
                )
                period = stat.period
            queries.append(
                MetricQuery(
                    id=str(q.get("Id")),
                    metric=stat,
                    expression=q.get("Expression"),
                    return_data=bool(q.get("ReturnData", True)),
                )
            )
        if not any(q.return_data for q in queries):
            queries[-1] = MetricQuery(
                queries[-1].id, queries[-1].metric, queries[-1].expression, True
            )
    else:
        stat_name = str(props.get("Statistic") or props.get("ExtendedStatistic") or "Average")
        queries.append(
            MetricQuery("m", read_metric_stat(template, props, stat_name, period), None, True)
        )
    n = int(number(props.get("EvaluationPeriods"), 1))
    return AlarmSpec(
        logical_id=aid,
        queries=tuple(queries),
        period=period,
        evaluation_periods=n,
        datapoints_to_alarm=int(number(props.get("DatapointsToAlarm"), n)),
        threshold=number(props.get("Threshold"), 0.0),
        comparison=str(props.get("ComparisonOperator", "GreaterThanOrEqualToThreshold")),
        treat_missing_data=str(props.get("TreatMissingData", "missing")),
        alarm_actions=actions,
        ok_actions=ok_actions,
    )
