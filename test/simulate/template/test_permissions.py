"""The IAM reader: Allow and Deny statements, wildcards, resources by reference."""

from __future__ import annotations

from typing import Any

from sqs_scale_to_zero.simulate.template.permissions import role_permissions


def _resources(*statements: dict[str, Any], inline: bool = False) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    role: dict[str, Any] = {"Type": "AWS::IAM::Role", "Properties": {}}
    out: dict[str, Any] = {"Role": role}
    if inline:
        role["Properties"]["Policies"] = [{"PolicyName": "p", "PolicyDocument": document}]
    else:
        out["Policy"] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyDocument": document, "Roles": ["{ref:Role}"]},
        }
    return out


def test_an_allow_on_the_referenced_resource_grants_only_that_action_there() -> None:
    perms = role_permissions(
        "Role",
        _resources({"Effect": "Allow", "Action": "ecs:UpdateService", "Resource": "{ref:Svc}"}),
    )
    assert perms.allows("ecs:UpdateService", "Svc")
    assert not perms.allows("ecs:UpdateService", "OtherSvc")
    assert not perms.allows("ecs:DescribeServices", "Svc")


def test_wildcards_in_actions_and_a_star_resource_grant_everything_they_match() -> None:
    perms = role_permissions(
        "Role", _resources({"Effect": "Allow", "Action": ["ECS:*"], "Resource": "*"}, inline=True)
    )
    assert perms.allows("ecs:UpdateService", "Svc")
    assert not perms.allows("cloudwatch:DisableAlarmActions", "Alarm")


def test_an_explicit_deny_overrides_an_allow() -> None:
    perms = role_permissions(
        "Role",
        _resources(
            {"Effect": "Allow", "Action": "cloudwatch:*AlarmActions", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "cloudwatch:DisableAlarmActions",
                "Resource": "{att:Alarm.Arn}",
            },
        ),
    )
    assert perms.allows("cloudwatch:EnableAlarmActions", "Alarm")
    assert not perms.allows("cloudwatch:DisableAlarmActions", "Alarm")


def test_a_policy_of_another_role_grants_nothing() -> None:
    resources = _resources({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert not role_permissions("OtherRole", resources).allows("ecs:UpdateService", "Svc")
