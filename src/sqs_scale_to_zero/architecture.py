"""The CPU architecture's name, which ``ecs.CpuArchitecture`` does not expose.

The compute part needs it (Fargate Spot runs x86 only), and so does the delivery part (the
runtime's image is built for the task's architecture).
"""

from __future__ import annotations

from typing import cast

from aws_cdk import App, Stack
from aws_cdk import aws_ecs as ecs


def architecture_name(architecture: ecs.CpuArchitecture) -> str:
    """The CloudFormation name of ``architecture``, which the class does not expose.

    It is rendered in a throwaway app, so nothing is added to the user's construct tree.
    """
    probe = Stack(App(), "ArchitectureProbe")
    task = ecs.FargateTaskDefinition(
        probe,
        "Task",
        runtime_platform=ecs.RuntimePlatform(
            cpu_architecture=architecture,
            operating_system_family=ecs.OperatingSystemFamily.LINUX,
        ),
    )
    rendered = probe.resolve(cast(ecs.CfnTaskDefinition, task.node.default_child).runtime_platform)
    return str(rendered["cpuArchitecture"])
