"""What an IAM role in the template may do: its policies' statements, read from the template.

IAM's evaluation logic, as far as the simulator needs it: a request is allowed when some
``Allow`` statement matches its action and resource and no ``Deny`` statement does ("an
explicit deny in any policy overrides any allows").
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
Actions match case-insensitively with ``*`` and ``?`` wildcards.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html

Read: the role's inline ``Policies`` and every ``AWS::IAM::Policy`` or
``AWS::IAM::ManagedPolicy`` of the template attached to it (``Roles``). A statement's resource
matches a resource of the template when it is ``*`` or references that resource's logical ID
(``Ref``, ``Fn::GetAtt``, ``Fn::Sub``). Not read, so treated as granting nothing: AWS managed
policies and other ARNs in ``ManagedPolicyArns``, literal ARN patterns other than ``*``,
``NotAction``/``NotResource``. A resource outside the template, such as the stack itself
(``{"Ref": "AWS::StackId"}``), matches a statement whose resource resolves to the same text
(:meth:`RolePermissions.allows_value`). ``Condition`` blocks are ignored (the calls the simulator checks
carry no condition keys the construct uses).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    """One policy statement: effect, action patterns and resources as resolved."""

    allow: bool
    actions: tuple[str, ...]
    resources: tuple[Any, ...]

    def covers_action(self, action: str) -> bool:
        """Whether one of the statement's action patterns matches ``action``."""
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions)

    def matches(self, action: str, logical_id: str) -> bool:
        """Whether the statement covers ``action`` on the resource ``logical_id``."""
        return self.covers_action(action) and any(
            r == "*" or logical_id in referenced_ids(r) for r in self.resources
        )

    def matches_value(self, action: str, value: str) -> bool:
        """Whether the statement covers ``action`` on a resource that resolves to ``value``."""
        return self.covers_action(action) and any(r in ("*", value) for r in self.resources)


@dataclass(frozen=True)
class RolePermissions:
    """The statements that apply to one role.

    Attributes:
        statements: Every statement of every policy attached to the role.
    """

    statements: tuple[Statement, ...]

    def allows(self, action: str, logical_id: str) -> bool:
        """Whether the role may call ``action`` (e.g. ``ecs:UpdateService``) on a resource."""
        hits = [s for s in self.statements if s.matches(action, logical_id)]
        return any(s.allow for s in hits) and not any(not s.allow for s in hits)

    def allows_value(self, action: str, value: str) -> bool:
        """Whether the role may call ``action`` on a resource given as resolved text.

        For resources that are not in the template, e.g. the stack: ``{AWS::StackId}``, as
        :class:`.intrinsics.IntrinsicResolver` resolves ``{"Ref": "AWS::StackId"}``.
        """
        hits = [s for s in self.statements if s.matches_value(action, value)]
        return any(s.allow for s in hits) and not any(not s.allow for s in hits)


def _statements(document: Any) -> Iterable[Statement]:
    if not isinstance(document, Mapping):
        return
    for raw in _as_list(document.get("Statement")):
        if not isinstance(raw, Mapping) or "Action" not in raw or "Resource" not in raw:
            continue
        yield Statement(
            allow=raw.get("Effect") == "Allow",
            actions=tuple(str(a) for a in _as_list(raw.get("Action"))),
            resources=tuple(_as_list(raw.get("Resource"))),
        )


def role_permissions(
    role_logical_id: str, resources: Mapping[str, Mapping[str, Any]]
) -> RolePermissions:
    """The permissions of ``role_logical_id`` from a template's resolved resources.

    Args:
        role_logical_id: The ``AWS::IAM::Role``.
        resources: Resources by logical ID, each ``{"Type": ..., "Properties": ...}`` with
            intrinsic functions resolved (:class:`.reader.TemplateReader`'s ``resources``).
    """
    found: list[Statement] = []
    role = resources.get(role_logical_id, {}).get("Properties") or {}
    for policy in _as_list(role.get("Policies")):
        if isinstance(policy, Mapping):
            found.extend(_statements(policy.get("PolicyDocument")))
    for resource in resources.values():
        if resource.get("Type") not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        props = resource.get("Properties") or {}
        if role_logical_id in referenced_ids(props.get("Roles") or []):
            found.extend(_statements(props.get("PolicyDocument")))
    for resource_id, resource in resources.items():  # managed policies named by the role
        if resource.get("Type") == "AWS::IAM::ManagedPolicy" and resource_id in referenced_ids(
            role.get("ManagedPolicyArns") or []
        ):
            found.extend(_statements((resource.get("Properties") or {}).get("PolicyDocument")))
    return RolePermissions(tuple(found))
