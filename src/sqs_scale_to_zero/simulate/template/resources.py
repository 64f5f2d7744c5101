"""A CloudFormation template's resources, resolved, as every part of the template reader sees them.

:class:`~sqs_scale_to_zero.simulate.template.reader.TemplateReader` builds the service model on
it; the readers of the models' own parts (:mod:`..models.wake_function.reader`,
:mod:`..models.deploy_drain.reader`) take it as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Self

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError, SimulationInputError
from sqs_scale_to_zero.simulate.template.intrinsics import IntrinsicResolver


class Template:
    """One template's resources, their intrinsic functions resolved.

    Args:
        template: The parsed template.
        name: A name for messages and reports (usually the file path).

    Raises:
        SimulationInputError: If the template has no ``Resources``.
    """

    def __init__(self, template: dict[str, Any], name: str) -> None:
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            raise SimulationInputError(f"{name}: not a CloudFormation template (no Resources)")
        self.name = name
        self._resolver = IntrinsicResolver(template)
        self.resources: dict[str, dict[str, Any]] = {
            k: {
                "Type": v.get("Type", ""),
                "Properties": self._resolver.resolve(v.get("Properties") or {}),
            }
            for k, v in template["Resources"].items()
        }

    @classmethod
    def from_path(cls, path: str | Path) -> Self:
        """Load a template JSON file.

        Raises:
            SimulationInputError: If the file is missing, unreadable or not JSON.
            SimulationArgumentError: If ``path`` is a directory.
        """
        p = Path(path)
        if p.is_dir():
            raise SimulationArgumentError(f"{p}: a directory, not a template file")
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise SimulationInputError(f"{p}: template file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SimulationInputError(f"{p}: cannot read the template ({exc})") from None
        except json.JSONDecodeError as exc:
            raise SimulationInputError(
                f"{p}: not valid JSON ({exc.msg}, line {exc.lineno})"
            ) from None
        return cls(data, str(p))

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        """Properties of every resource of ``cfn_type``, by logical ID."""
        return {k: v["Properties"] for k, v in self.resources.items() if v["Type"] == cfn_type}

    def service_ids(self) -> list[str]:
        """Logical IDs of the template's ECS services."""
        return list(self.of_type("AWS::ECS::Service"))


def number(value: Any, default: float) -> float:
    """``value`` as a float, or ``default`` when it is absent or not a number."""
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
