"""The Python API behind ``sqs-scale-to-zero simulate``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqs_scale_to_zero.simulate.config import SimulationConfig
from sqs_scale_to_zero.simulate.report import Result, column_name
from sqs_scale_to_zero.simulate.run import run_simulation
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.timeline.files import timeline_paths, wants_picture, write_files
from sqs_scale_to_zero.simulate.timeline.picture import pyplot
from sqs_scale_to_zero.simulate.workload.items import WorkItem
from sqs_scale_to_zero.simulate.workload.shapes import from_spec


def check_timeline_path(path: str | Path) -> None:
    """Check that a timeline can be written at ``path``, before anything is run or synthesized.

    Raises:
        SimulationArgumentError: A suffix other than ``.csv``, ``.png`` or ``.svg``, or a
            picture asked for without matplotlib installed.
    """
    if wants_picture(path):
        pyplot()


def simulate(
    template_paths: Sequence[str | Path],
    workload: Sequence[WorkItem] | str | Path,
    *,
    seed: int = 0,
    horizon: float | None = None,
    service: str | None = None,
    config: SimulationConfig | None = None,
    deploy_at: Sequence[float] = (),
    timeline: str | Path | None = None,
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
        timeline: Write each run minute by minute: ``STEM.csv`` (the minutes),
            ``STEM.messages.csv`` (every message's wait) and, for a path ending in ``.png`` or
            ``.svg``, a picture (needs the ``plot`` extra); with several templates each file
            name gets the template's name after ``STEM`` (and its place in the list, ``-N``, if
            it is given twice). Each result also holds it in
            :attr:`Result.timeline`. Default: None (nothing recorded).

    Returns:
        One :class:`Result` per template, in order.

    Raises:
        SimulationInputError: An unreadable template or workload, or a template without a
            usable ECS service.
        SimulationArgumentError: A horizon that is not a positive number, or a deployment
            time that is not a number of seconds from 0 to before the horizon, or a
            timeline path that does not end in ``.csv``, ``.png`` or ``.svg``, or asks for a
            picture without matplotlib installed.
    """
    if timeline is not None:
        check_timeline_path(timeline)  # fail before running when it cannot be written
    items = from_spec(str(workload)) if isinstance(workload, str | Path) else list(workload)
    models = [load_service(p, service) for p in template_paths]
    results = [
        run_simulation(
            m,
            items,
            seed=seed,
            horizon=horizon,
            config=config,
            deploy_at=deploy_at,
            timeline=timeline is not None,
        )
        for m in models
    ]
    if timeline is not None:
        names = [column_name(r.template) for r in results]
        for i, (r, name) in enumerate(zip(results, names, strict=True)):
            assert r.timeline is not None
            # a template given twice gets its place in the list too
            unique = name if names.count(name) == 1 else f"{name}-{i + 1}"
            paths = timeline_paths(timeline, unique if len(results) > 1 else None)
            write_files(r.timeline, paths, f"{name}: {r.service}")
    return results
