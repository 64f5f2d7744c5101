"""CloudFormation intrinsic functions resolved to strings in which references stay recognisable.

``Ref`` becomes ``{ref:Logical}`` and ``Fn::GetAtt`` ``{att:Logical.Attr}``; parameters resolve
to their defaults, ``AWS::Partition`` and ``AWS::Region`` to ``aws`` and ``us-east-1``; other
functions the simulator does not need become ``{fn:Name}``. That is enough to link alarm ->
scaling policy -> scalable target -> service -> task definition -> queue in any stack.

CloudFormation intrinsic functions:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import json
import re
from typing import Any

_REF_RE = re.compile(r"\{ref:([A-Za-z0-9]+)\}")
_ATT_RE = re.compile(r"\{att:([A-Za-z0-9]+)\.([A-Za-z0-9.]+)\}")


class IntrinsicResolver:
    """Resolves intrinsic functions to strings that keep references recognisable."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, Any] = template.get("Resources") or {}
        self.parameters: dict[str, Any] = template.get("Parameters") or {}

    def resolve(self, value: Any) -> Any:
        """Resolve ``value`` recursively; dicts without intrinsics stay dicts."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
                return f"{{att:{parts[0]}.{self.resolve(parts[1])}}}"
            if key == "Fn::Join":
                sep, items = arg
                return str(sep).join(str(self.resolve(i)) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                return self.resolve(arg[1])
            if key.startswith("Fn::"):
                return f"{{fn:{key}}}"
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> Any:
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return default if default is not None else f"{{param:{name}}}"
        if name.startswith("AWS::"):
            return {"AWS::Partition": "aws", "AWS::Region": "us-east-1"}.get(name, f"{{{name}}}")
        return f"{{ref:{name}}}"

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical, attr = name.split(".", 1)
                return f"{{att:{logical}.{attr}}}"
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", repl, str(text))


def referenced_ids(text: Any) -> list[str]:
    """Logical IDs referenced (by Ref or GetAtt) anywhere in a resolved value."""
    s = json.dumps(text) if not isinstance(text, str) else text
    return [m.group(1) for m in _REF_RE.finditer(s)] + [m.group(1) for m in _ATT_RE.finditer(s)]
