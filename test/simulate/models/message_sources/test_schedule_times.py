"""When a schedule runs: cron in its time zone, rate, at, within the minute it is due."""

from __future__ import annotations

import itertools
import random

import pytest

from sqs_scale_to_zero.simulate import SimulationInputError
from sqs_scale_to_zero.simulate.models.message_sources.schedule_times import run_times


def test_each_schedule_sends_at_its_documented_times() -> None:
    rng = random.Random(0)
    (nightly,) = run_times("cron(0 2 * * ? *)", "Europe/Paris", 86400, rng, "t")
    assert 3600 <= nightly < 3660  # within the minute it is due
    hourly = run_times("rate(1 hour)", "UTC", 4 * 3600, rng, "t")
    assert len(hourly) == 4
    assert [b - a for a, b in itertools.pairwise(hourly)] == pytest.approx([3600] * 3)
    weekdays = run_times("cron(30 8 ? * MON-FRI *)", "UTC", 7 * 86400, rng, "t")
    assert len(weekdays) == 5
    assert run_times("at(2027-01-04T00:10:00)", "UTC", 3600, rng, "t")[0] // 60 == 10


def test_a_cron_field_the_model_does_not_read_is_refused() -> None:
    with pytest.raises(SimulationInputError, match="not modelled"):
        run_times("cron(0 2 L * ? *)", "UTC", 86400, random.Random(0), "t")
