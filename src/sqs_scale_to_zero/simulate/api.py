"""The Python API behind ``sqs-scale-to-zero simulate``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqs_scale_to_zero.simulate.config import SimulationConfig
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.run import run_simulation
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.workload.items import WorkItem
from sqs_scale_to_zero.simulate.workload.shapes import from_spec


def simulate(
    template_paths: Sequence[str | Path],
    workload: Sequence[WorkItem] | str | Path,
    *,
    seed: int = 0,
    horizon: float | None = None,
    service: str | None = None,
    config: SimulationConfig | None = None,
    deploy_at: Sequence[float] = (),
) -> list[Result]:
    """Replay ``workload`` against each template's ECS service, in virtual time.

    Args:
        template_paths: Template JSON files (e.g. from ``cdk.out``).
        workload: Messages, a JSON Lines file, or a generator spec such as ``burst:count=50``.
        seed: RNG seed; the same seed gives the same results. Default: 0.
        horizon: Seconds to simulate. Default: last message + longest job + 1 h.
        service: Logical ID of the ECS service where a template has several. Default: the only one.
        config: Model knobs (start latency, delays, prices). Default: :class:`SimulationConfig`.
        deploy_at: Seconds at which a new task definition is deployed; each result reports
            its deployments in :attr:`Result.deployments`. Default: none.

    Returns:
        One :class:`Result` per template, in order.

    Raises:
        SimulationInputError: An unreadable template or workload, or a template without a
            usable ECS service.
        SimulationArgumentError: A horizon that is not a positive number, or a deployment
            time that is not a number of seconds from 0 to before the horizon.
    """
    items = from_spec(str(workload)) if isinstance(workload, str | Path) else list(workload)
    models = [load_service(p, service) for p in template_paths]
    return [
        run_simulation(m, items, seed=seed, horizon=horizon, config=config, deploy_at=deploy_at)
        for m in models
    ]
