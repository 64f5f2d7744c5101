"""The instance model's timings and prices, each with its source, pessimistic where AWS is silent.

* Instance launch to a registered ECS container instance: EC2 documents no launch time; users
  report GPU nodes taking 2-3 minutes from request to a running pod (kedacore/keda#7327), and
  the GPU AMI loads the NVIDIA driver at boot. Triangular 90/150/300 s.
* A stopped warm-pool instance starting and registering: the EC2 Auto Scaling user guide says
  warm pools cut the latency of a launch but gives no number; a start skips the first-boot work.
  Triangular 40/70/150 s.
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html
* Image pull on an instance that has not pulled the image: GPU images are several GB (CUDA and
  framework layers); ECR documents no pull throughput. Triangular 60/120/300 s.
* Container start once the image is on the instance: triangular 5/10/30 s.
* Billing: EC2 bills Linux on-demand instances per second with a 60-second minimum from the
  launch (running) to the termination; a stopped instance bills only its EBS volumes.
  https://aws.amazon.com/ec2/pricing/on-demand/
* EBS gp3: $0.08 per GB-month in US East (N. Virginia). https://aws.amazon.com/ebs/pricing/
* Spot: market priced; GPU instances commonly trade 60-70 % below on-demand. Factor 0.4.
  https://aws.amazon.com/ec2/spot/pricing/
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqs_scale_to_zero.simulate.models.tasks import StartLatency

HOURS_PER_MONTH = 730.0
"""AWS's billing month, in hours."""

MINIMUM_BILLED_SECONDS = 60.0
"""EC2's one-minute minimum per running period of a Linux instance."""


@dataclass(frozen=True)
class InstanceAssumptions:
    """Timings and prices of the EC2 instance model.

    Attributes:
        launch: Seconds from launch to a registered container instance. Default: 90/150/300.
        warm_start: Seconds for a stopped warm-pool instance to start and register.
            Default: 40/70/150.
        image_pull: Seconds to pull the task's image onto an instance. Default: 60/120/300.
        container_start: Seconds to start the container once its image is on the instance.
            Default: 5/10/30.
        ebs_gb_month: USD per GB-month of the root volume. Default: 0.08 (gp3).
        spot_factor: Multiplier on the on-demand price for Spot instances. Default: 0.4.
    """

    launch: StartLatency = field(default_factory=lambda: StartLatency(90.0, 150.0, 300.0))
    warm_start: StartLatency = field(default_factory=lambda: StartLatency(40.0, 70.0, 150.0))
    image_pull: StartLatency = field(default_factory=lambda: StartLatency(60.0, 120.0, 300.0))
    container_start: StartLatency = field(default_factory=lambda: StartLatency(5.0, 10.0, 30.0))
    ebs_gb_month: float = 0.08
    spot_factor: float = 0.4

    def volume_hourly(self, volume_gib: int) -> float:
        """USD per hour for a root volume of ``volume_gib``."""
        return volume_gib * self.ebs_gb_month / HOURS_PER_MONTH
