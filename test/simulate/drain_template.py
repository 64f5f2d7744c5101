"""Template edits for the deployment tests: give the worker the drain, or take it away."""

from __future__ import annotations

import copy
from typing import Any

from sqs_scale_to_zero.worker import contract

DRAIN_ENV = (contract.DEPLOY_STACK, contract.DEPLOY_SERVICE_RESOURCE, contract.DEPLOY_CHECK_SECONDS)


def service_id(template: dict[str, Any]) -> str:
    """The logical ID of the template's only ECS service."""
    (sid,) = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::ECS::Service"]
    return str(sid)


def _container(template: dict[str, Any]) -> dict[str, Any]:
    (task,) = [v for v in template["Resources"].values() if v["Type"] == "AWS::ECS::TaskDefinition"]
    container: dict[str, Any] = task["Properties"]["ContainerDefinitions"][0]
    return container


def _task_role(template: dict[str, Any]) -> str:
    (task,) = [v for v in template["Resources"].values() if v["Type"] == "AWS::ECS::TaskDefinition"]
    role: str = task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    return role


def with_drain(
    template: dict[str, Any],
    *,
    check_seconds: str = "30",
    service: str | None = None,
    stack_grant: Any = None,
) -> dict[str, Any]:
    """``template`` with what the worker needs to drain, as the construct declares it.

    Args:
        template: A template with one ECS service whose worker lacks the drain.
        check_seconds: ``DEPLOY_CHECK_SECONDS``.
        service: The logical ID ``DEPLOY_SERVICE_RESOURCE`` names. Default: the service's.
        stack_grant: The resource of ``cloudformation:DescribeStackResource``. Default: the
            stack (``{"Ref": "AWS::StackId"}``).
    """
    out = copy.deepcopy(template)
    sid = service_id(out)
    env = [e for e in _container(out).get("Environment", []) if e["Name"] not in DRAIN_ENV]
    env += [
        {"Name": contract.DEPLOY_STACK, "Value": {"Ref": "AWS::StackId"}},
        {"Name": contract.DEPLOY_SERVICE_RESOURCE, "Value": service or sid},
        {"Name": contract.DEPLOY_CHECK_SECONDS, "Value": check_seconds},
    ]
    _container(out)["Environment"] = env
    out["Resources"]["TestDrainPolicy"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "drain",
            "Roles": [{"Ref": _task_role(out)}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "ecs:DescribeServices", "Resource": {"Ref": sid}},
                    {
                        "Effect": "Allow",
                        "Action": "cloudformation:DescribeStackResource",
                        "Resource": stack_grant or {"Ref": "AWS::StackId"},
                    },
                ],
            },
        },
    }
    return out


def without_drain(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with the worker's drain environment removed (its checks cannot run)."""
    out = copy.deepcopy(template)
    container = _container(out)
    container["Environment"] = [
        e for e in container.get("Environment", []) if e["Name"] not in DRAIN_ENV
    ]
    return out
