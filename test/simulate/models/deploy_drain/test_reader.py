"""What the template reader takes from a template about deployments and the worker's drain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.simulate import load_service
from sqs_scale_to_zero.simulate.describe import describe
from sqs_scale_to_zero.simulate.template.specs import DeploymentSpec
from sqs_scale_to_zero.worker import contract
from test.simulate.drain_template import with_drain, without_drain
from test.simulate.templates import write_template


def _load(template: dict[str, Any], tmp_path: Path, name: str = "T") -> DeploymentSpec:
    return load_service(write_template(tmp_path, name, template)).deployment


def _ours(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads(path.read_text())
    return template


def test_qpfs_and_the_seed_blog_declare_50_200_and_no_circuit_breaker(
    anchor_templates: dict[str, Path],
) -> None:
    for name in ("QpfsDefaults", "SeedBlog"):
        assert load_service(anchor_templates[name]).deployment == DeploymentSpec(
            min_healthy_percent=50, max_percent=200
        )


def test_our_service_declares_100_200_a_circuit_breaker_with_rollback_and_the_drain(
    ours_template: Path,
) -> None:
    spec = load_service(ours_template).deployment
    assert (spec.min_healthy_percent, spec.max_percent) == (100, 200)
    assert spec.circuit_breaker and spec.rollback
    assert spec.drain_check_seconds is not None
    assert spec.drain_check_seconds >= contract.DEPLOY_CHECK_MIN_SECONDS


def test_a_service_without_deployment_configuration_gets_ecs_s_defaults(
    reference_template_path: Path,
) -> None:
    assert load_service(reference_template_path).deployment == DeploymentSpec()


def test_the_check_interval_is_read_from_the_environment_and_never_below_the_minimum(
    ours_template: Path, tmp_path: Path
) -> None:
    base = without_drain(_ours(ours_template))
    slow = _load(with_drain(base, check_seconds="120"), tmp_path, "Slow")
    fast = _load(with_drain(base, check_seconds="1"), tmp_path, "Fast")
    assert slow.drain_check_seconds == 120.0
    assert fast.drain_check_seconds == float(contract.DEPLOY_CHECK_MIN_SECONDS)


def test_no_drain_without_the_environment(ours_template: Path, tmp_path: Path) -> None:
    assert _load(without_drain(_ours(ours_template)), tmp_path).drain_check_seconds is None


def test_no_drain_when_the_environment_names_another_service(
    ours_template: Path, tmp_path: Path
) -> None:
    template = with_drain(without_drain(_ours(ours_template)), service="SomeOtherService")
    assert _load(template, tmp_path).drain_check_seconds is None


@pytest.mark.parametrize("action", ["ecs:DescribeServices", "cloudformation:DescribeStackResource"])
def test_no_drain_without_either_grant(ours_template: Path, tmp_path: Path, action: str) -> None:
    template = with_drain(without_drain(_ours(ours_template)))
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if action not in json.dumps(s["Action"])
            ]
    assert _load(template, tmp_path).drain_check_seconds is None


def test_no_drain_when_the_stack_grant_names_another_stack(
    ours_template: Path, tmp_path: Path
) -> None:
    other = "arn:aws:cloudformation:us-east-1:123456789012:stack/Other/1"
    template = with_drain(without_drain(_ours(ours_template)), stack_grant=other)
    for resource in template["Resources"].values():  # the construct's own grant, if any
        if resource["Type"] == "AWS::IAM::Policy" and resource is not template["Resources"].get(
            "TestDrainPolicy"
        ):
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s
                for s in document["Statement"]
                if "cloudformation:DescribeStackResource" not in json.dumps(s["Action"])
            ]
    assert _load(template, tmp_path).drain_check_seconds is None


def test_a_wildcard_stack_grant_is_enough(ours_template: Path, tmp_path: Path) -> None:
    template = with_drain(without_drain(_ours(ours_template)), stack_grant="*")
    assert _load(template, tmp_path).drain_check_seconds is not None


def test_describe_says_how_a_deploy_replaces_the_tasks(
    ours_template: Path, ours_no_drain_template: Path
) -> None:
    (ours,) = [line for line in describe(load_service(ours_template)) if "deploys:" in line]
    assert ours == (
        "  deploys: 100-200 % of the desired count running, circuit breaker with rollback; "
        "outdated tasks stop taking messages and drain (checked every 5 s)"
    )
    (other,) = [
        line for line in describe(load_service(ours_no_drain_template)) if "deploys:" in line
    ]
    assert other.endswith("; outdated tasks are stopped by the deployment (SIGTERM)")
