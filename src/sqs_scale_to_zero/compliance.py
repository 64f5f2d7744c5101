"""Documented cdk-nag trade-offs, acknowledged on the narrowest construct that has them.

The construct fixes by default what a policy pack such as cdk-nag's AwsSolutions can ask for
(encrypted, TLS-only queues with a DLQ, Container Insights, VPC flow logs, log retention). What
remains is inherent to the design and is acknowledged here, each with its reason, through CDK's
own ``Validations`` API, so that a user's cdk-nag run shows only findings about their own code.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding ``rule`` on ``construct`` and its children."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def wildcard_resource_finding(scope: IConstruct, resource: str) -> str:
    """The cdk-nag ``AwsSolutions-IAM5`` finding id for a wildcard IAM resource.

    cdk-nag names each wildcard finding after the resource flattened to a string (its
    ``flattenCfnReference``): ``Ref`` becomes ``<Id>``, ``Fn::GetAtt`` ``<Id.Attr>``,
    ``Fn::Join`` is joined.
    """
    return f"AwsSolutions-IAM5[Resource::{_flatten(Stack.of(scope).resolve(resource))}]"


def _flatten(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(_flatten(item) for item in items)
    if "Fn::Sub" in node:
        return _flatten(node["Fn::Sub"])
    if "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{_flatten(resource)}.{_flatten(attribute)}>"
    if "Fn::ImportValue" in node:
        return _flatten(node["Fn::ImportValue"])
    if "Ref" in node:
        return f"<{_flatten(node['Ref'])}>"
    raise ValueError(f"cannot flatten CloudFormation value {node!r}")
