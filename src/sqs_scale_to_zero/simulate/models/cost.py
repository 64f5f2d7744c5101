"""Fargate cost from task CPU and memory.

Fargate bills the vCPU and memory a task reserves, per second with a one-minute minimum, from
the start of the image pull until the task stops. Defaults are the published on-demand Linux
prices for US East (N. Virginia): $0.04048 per vCPU-hour and $0.004445 per GB-hour on x86,
$0.03238 and $0.00356 on ARM64 (Graviton). Fargate Spot is priced by the market at up to 70 %
below on-demand; the default Spot factor is 0.3. https://aws.amazon.com/fargate/pricing/
Change them with :class:`FargatePricing` for another region or date.
"""

from __future__ import annotations

from dataclasses import dataclass

MINIMUM_BILLED_SECONDS = 60.0
"""Fargate's one-minute minimum charge per task."""


@dataclass(frozen=True)
class FargatePricing:
    """Fargate prices in USD.

    Attributes:
        vcpu_hour: x86 price per vCPU-hour. Default: 0.04048.
        gb_hour: x86 price per GB-hour. Default: 0.004445.
        arm_vcpu_hour: ARM64 price per vCPU-hour. Default: 0.03238.
        arm_gb_hour: ARM64 price per GB-hour. Default: 0.00356.
        spot_factor: Multiplier for Fargate Spot. Default: 0.3.
    """

    vcpu_hour: float = 0.04048
    gb_hour: float = 0.004445
    arm_vcpu_hour: float = 0.03238
    arm_gb_hour: float = 0.00356
    spot_factor: float = 0.3

    def hourly(
        self,
        cpu_units: int,
        memory_mib: int,
        *,
        arm64: bool = False,
        spot: bool = False,
    ) -> float:
        """USD per hour for one task.

        Args:
            cpu_units: Task CPU units (1024 per vCPU).
            memory_mib: Task memory in MiB.
            arm64: Graviton pricing. Default: False.
            spot: Fargate Spot. Default: False.
        """
        vcpu, gb = (
            self.arm_vcpu_hour if arm64 else self.vcpu_hour,
            self.arm_gb_hour if arm64 else self.gb_hour,
        )
        price = cpu_units / 1024 * vcpu + memory_mib / 1024 * gb
        return price * (self.spot_factor if spot else 1.0)

    def task_cost(
        self,
        seconds: float,
        cpu_units: int,
        memory_mib: int,
        *,
        arm64: bool = False,
        spot: bool = False,
    ) -> float:
        """USD for one task that ran ``seconds`` (at least one minute is billed)."""
        billed = max(seconds, MINIMUM_BILLED_SECONDS)
        return billed / 3600.0 * self.hourly(cpu_units, memory_mib, arm64=arm64, spot=spot)
