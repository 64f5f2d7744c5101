"""GPU instance types the construct and the simulator know: GPUs, size, architecture and price.

A zero-import module: the construct checks ``gpu_count`` against it, and the simulator prices
the instances a template's capacity provider launches with it.

GPUs, vCPUs and memory: Amazon EC2 instance types, "Accelerated computing"
(https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html). Prices: on-demand Linux list
prices in US East (N. Virginia) (https://aws.amazon.com/ec2/pricing/on-demand/ and the G4dn, G5,
G6 and P3 product pages, https://aws.amazon.com/ec2/instance-types/g5/). Those pages are rendered
by script, so each price was checked instead against a copy of the AWS Price List API's
us-east-1 on-demand prices, generated on 2026-01-19: aws/karpenter-provider-aws,
``pkg/providers/pricing/zz_generated.pricing_aws.go`` (commit 031e72b6), which lists all twelve
exactly as below. Prices change: the simulator and the idle bill read them from this table
(there is no knob for them in ``SimulationConfig``), so update them here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GpuInstanceType:
    """One EC2 instance type with NVIDIA GPUs.

    Attributes:
        name: The EC2 name, e.g. ``g5.xlarge``.
        gpus: NVIDIA GPUs on the instance.
        vcpus: Its vCPUs.
        memory_gib: Its memory in GiB.
        architecture: ``X86_64`` or ``ARM64`` (CloudFormation's name).
        hourly_usd: On-demand Linux price per hour in US East (N. Virginia).
    """

    name: str
    gpus: int
    vcpus: int
    memory_gib: int
    architecture: str
    hourly_usd: float


GPU_INSTANCE_TYPES: dict[str, GpuInstanceType] = {
    t.name: t
    for t in (
        GpuInstanceType("g4dn.xlarge", 1, 4, 16, "X86_64", 0.526),
        GpuInstanceType("g4dn.2xlarge", 1, 8, 32, "X86_64", 0.752),
        GpuInstanceType("g4dn.12xlarge", 4, 48, 192, "X86_64", 3.912),
        GpuInstanceType("g5.xlarge", 1, 4, 16, "X86_64", 1.006),
        GpuInstanceType("g5.2xlarge", 1, 8, 32, "X86_64", 1.212),
        GpuInstanceType("g5.12xlarge", 4, 48, 192, "X86_64", 5.672),
        GpuInstanceType("g5.48xlarge", 8, 192, 768, "X86_64", 16.288),
        GpuInstanceType("g6.xlarge", 1, 4, 16, "X86_64", 0.8048),
        GpuInstanceType("g6.2xlarge", 1, 8, 32, "X86_64", 0.9776),
        GpuInstanceType("g6.12xlarge", 4, 48, 192, "X86_64", 4.6016),
        GpuInstanceType("p3.2xlarge", 1, 8, 61, "X86_64", 3.06),
        GpuInstanceType("p3.8xlarge", 4, 32, 244, "X86_64", 12.24),
    )
}
"""The GPU instance types ``Capacity.gpu_instances`` accepts, by EC2 name."""

ECS_RESERVED_MEMORY_MIB = 1024
"""Memory an instance keeps from tasks: the OS, the ECS agent and the NVIDIA runtime.

A container instance registers less memory than its type's nominal size (Amazon ECS developer
guide, "Reserving Amazon ECS Linux container instance memory"); the amount is not documented per
type, so a task must leave at least this much free (pessimistic)."""
