"""The construct exposes each part it builds: one attribute per field of ``ServiceParts``."""

from __future__ import annotations

import dataclasses

import pytest

from sqs_scale_to_zero import ScaleToZeroQueueService
from sqs_scale_to_zero.service_parts import ServiceParts
from test.conftest import Synthesized


def test_every_declared_attribute_is_a_part_and_every_part_an_attribute() -> None:
    declared = set(ScaleToZeroQueueService.__annotations__)  # its own, not Construct's
    assert {field.name for field in dataclasses.fields(ServiceParts)} == declared


def test_the_construct_sets_each_attribute_to_the_part_built(
    default_service: Synthesized,
) -> None:
    construct = default_service.construct
    for field in dataclasses.fields(ServiceParts):
        assert field.name in vars(construct), field.name
    assert construct.queue.node.scope is construct
    assert construct.wake_function is not None  # the default Wake.FAST's function
    assert construct.gradual_scale_in_alarm is None  # gradual_scale_in defaults to off


def test_the_older_name_of_the_wake_function_warns_and_returns_it(
    default_service: Synthesized,
) -> None:
    construct = default_service.construct
    with pytest.warns(DeprecationWarning, match="use wake_function"):
        assert construct.backlog_signal_function is construct.wake_function
