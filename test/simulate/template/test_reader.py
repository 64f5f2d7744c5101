"""Reading templates: links from alarms to policies, target, service, task definition, queue."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.template.reader import TemplateReader, load_service
from sqs_scale_to_zero.worker import contract
from test.simulate.reference_template import reference_template
from test.simulate.templates import write_template


def test_qpfs_defaults(anchor_templates: dict[str, Path]) -> None:
    m = load_service(anchor_templates["QpfsDefaults"])
    assert (m.min_capacity, m.max_capacity, m.desired_count) == (0, 4, 1)
    assert (m.task.cpu_units, m.task.memory_mib, m.task.task_protection) == (
        256,
        512,
        False,
    )
    assert m.queue.max_receive_count == 3 and m.dlq is not None and m.queue.visibility_timeout == 30
    assert sorted(a.threshold for a in m.alarms) == [0.0, 100.0]
    assert all(
        a.period == 300
        and a.queries[0].metric
        and a.queries[0].metric.subject == m.queue.logical_id
        for a in m.alarms
    )
    assert [t.target_value for t in m.target_tracking] == [50.0]


def test_seed_blog(anchor_templates: dict[str, Path]) -> None:
    m = load_service(anchor_templates["SeedBlog"])
    assert (m.min_capacity, m.max_capacity) == (0, 1)
    assert (m.task.cpu_units, m.task.memory_mib) == (4096, 8192)
    assert m.queue.name == "sample-queue.fifo" and m.queue.visibility_timeout == 43200
    cpu = next(a for a in m.alarms if a.comparison == "LessThanOrEqualToThreshold")
    assert cpu.threshold == 0.01 and cpu.period == 180 and cpu.queries[0].metric is not None
    assert cpu.queries[0].metric.subject == m.logical_id
    zero = m.step_policies[cpu.alarm_actions[0]]
    assert (
        zero.adjustment_type == "ExactCapacity"
        and zero.steps[0].upper == 0
        and zero.steps[0].adjustment == 0
    )


def test_always_on_has_no_scalable_target_and_finds_its_only_queue(
    anchor_templates: dict[str, Path],
) -> None:
    m = load_service(anchor_templates["AlwaysOn"])
    assert m.min_capacity is None and m.desired_count == 1 and m.alarms == ()
    assert m.queue.logical_id.startswith("Queue")


def test_construct_design(ours_template: Path) -> None:
    """The synthesized construct reads as designed: protection, heartbeat, N-of-N idle alarm."""
    m = load_service(ours_template)
    assert (
        m.task.task_protection
        and not m.task.arm64
        and m.task.shutdown_grace == 110
        and m.task.extends_visibility
    )
    # No DesiredCount: CloudFormation creates the service with one task.
    assert (
        m.desired_count == 1
        and (m.min_capacity, m.max_capacity) == (0, 4)
        and m.queue.visibility_timeout == 300
        and m.queue.max_receive_count == 3
    )
    exact = [
        a
        for a in m.alarms
        if any(m.step_policies[p].adjustment_type == "ExactCapacity" for p in a.alarm_actions)
    ]
    # the idle alarm, and by default the alarm on tasks doing no work (which sets min_capacity)
    (not_working,) = [a for a in exact if contract.NOT_WORKING_ALARM_ID in a.logical_id]
    (idle,) = [a for a in exact if a is not not_working]
    assert (
        idle.evaluation_periods,
        idle.datapoints_to_alarm,
        idle.treat_missing_data,
    ) == (5, 5, "notBreaching")
    metrics = {q.id: q.metric for q in idle.queries if q.metric}
    queue, service = m.queue.logical_id, m.logical_id
    assert {k: (v.subject, v.stat) for k, v in metrics.items()} == {
        "visible": (queue, "Maximum"),
        "in_flight": (queue, "Maximum"),
        "sent": (queue, "Sum"),
        "received": (queue, "Sum"),
        "deleted": (queue, "Sum"),
        "cpu": (service, "Average"),
    }


def test_intrinsics_join_sub_select(tmp_path: Path) -> None:
    t: dict[str, Any] = copy.deepcopy(reference_template())
    props = t["Resources"]["Target"]["Properties"]
    props["ResourceId"] = {"Fn::Sub": "service/${Cluster}/${Service.Name}"}
    env = t["Resources"]["TaskDef"]["Properties"]["ContainerDefinitions"][0]["Environment"]
    env[0]["Value"] = {"Fn::Select": [0, [{"Ref": "Queue"}, "x"]]}
    m = load_service(write_template(tmp_path, "T", t))
    assert m.min_capacity == 0 and len(m.alarms) == 2 and m.queue.logical_id == "Queue"


def test_alarms_without_scaling_actions_are_ignored(tmp_path: Path) -> None:
    t = copy.deepcopy(reference_template())
    t["Resources"]["DlqAlarm"] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "MetricName": "X",
            "Namespace": "AWS/SQS",
            "Threshold": 1,
            "EvaluationPeriods": 1,
            "Period": 60,
        },
    }
    assert len(load_service(write_template(tmp_path, "T", t)).alarms) == 2


def test_no_service_is_a_clear_error(tmp_path: Path) -> None:
    path = write_template(tmp_path, "Empty", {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    with pytest.raises(SimulationInputError, match=r"Empty.template.json: no AWS::ECS::Service"):
        load_service(path)


def test_several_services_need_a_choice(tmp_path: Path) -> None:
    t = copy.deepcopy(reference_template())
    t["Resources"]["Service2"] = copy.deepcopy(t["Resources"]["Service"])
    path = write_template(tmp_path, "Two", t)
    with pytest.raises(SimulationInputError, match=r"2 ECS services .* choose one with --service"):
        load_service(path)
    assert load_service(path, "Service2").logical_id == "Service2"
    with pytest.raises(SimulationInputError, match="no ECS service 'Nope'"):
        load_service(path, "Nope")


def test_unreadable_template_files(tmp_path: Path) -> None:
    with pytest.raises(SimulationInputError, match="template file not found"):
        load_service(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(SimulationInputError, match="not valid JSON"):
        load_service(bad)
    with pytest.raises(SimulationInputError, match="not a CloudFormation template"):
        TemplateReader(json.loads("[]"), "x")


def test_ambiguous_queue_is_a_clear_error(tmp_path: Path) -> None:
    t = copy.deepcopy(reference_template())
    t["Resources"]["Other"] = {"Type": "AWS::SQS::Queue"}
    t["Resources"]["TaskDef"]["Properties"]["ContainerDefinitions"][0]["Environment"] = []
    for name in ("WakeAlarm", "IdleAlarm", "WakePolicy", "IdlePolicy"):
        del t["Resources"][name]
    with pytest.raises(SimulationInputError, match="cannot tell which SQS queue"):
        load_service(write_template(tmp_path, "T", t))
