"""Templates for the tests that simulate, each synthesized or written once per session.

A pytest plugin (the repository's ``conftest.py`` loads it): the simulator's own tests, the
benchmarks' tests and the construct's behaviour tests in ``test/`` all use these fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from test.conftest import Synthesized
from test.simulate.drain_template import without_drain
from test.simulate.reference_template import reference_template


@pytest.fixture(scope="session")
def anchor_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The anchor stacks, synthesized once into one temporary cloud assembly, with
    ``ScaleToZeroUnprotected``: the construct without task protection or the idle alarm's CPU
    term, and ``ScaleToZeroOnAlarm``: no wake function (``wake=Wake.ON_ALARM``), Container
    Insights on. The construct's default and backlog-signal configurations come from the session
    fixtures of ``test/conftest.py``, which other tests synthesize anyway.
    """
    import aws_cdk as cdk

    from benchmarks import anchors
    from sqs_scale_to_zero import Wake

    out = tmp_path_factory.mktemp("anchors")
    app = cdk.App(outdir=str(out))
    anchors.add_qpfs_defaults(app)
    anchors.add_seed_blog(app)
    anchors.add_always_on(app)
    anchors.add_scale_to_zero(
        app,
        "ScaleToZeroUnprotected",
        task_protection=False,
        idle_cpu_threshold_percent=None,
        monitoring=False,
    )
    anchors.add_scale_to_zero(
        app, "ScaleToZeroOnAlarm", wake=Wake.ON_ALARM, container_insights=True
    )
    app.synth()
    return {
        name: out / f"{name}.template.json"
        for name in (
            "QpfsDefaults",
            "SeedBlog",
            "AlwaysOn",
            "ScaleToZeroUnprotected",
            "ScaleToZeroOnAlarm",
        )
    }


@pytest.fixture(scope="session")
def ours_on_alarm_template(anchor_templates: dict[str, Path]) -> Path:
    """The construct with ``wake=Wake.ON_ALARM`` (no function) and Container Insights on."""
    return anchor_templates["ScaleToZeroOnAlarm"]


def write_template(directory: Path, name: str, template: Mapping[str, Any]) -> Path:
    """Write ``template`` as ``<name>.template.json`` and return its path."""
    path = directory / f"{name}.template.json"
    path.write_text(json.dumps(template))
    return path


@pytest.fixture(scope="session")
def ours_template(default_service: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ScaleToZeroQueueService`` as synthesized, with the basic example's defaults."""
    return write_template(
        tmp_path_factory.mktemp("ours"), "ScaleToZero", default_service.template.to_json()
    )


@pytest.fixture(scope="session")
def ours_unprotected_template(anchor_templates: dict[str, Path]) -> Path:
    """The construct without task protection and without the CPU term."""
    return anchor_templates["ScaleToZeroUnprotected"]


@pytest.fixture(scope="session")
def ours_signal_template(
    backlog_signal_service: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The construct with the fresh backlog signal (``backlog_signal=True``)."""
    return write_template(
        tmp_path_factory.mktemp("ours-signal"),
        "ScaleToZeroSignal",
        backlog_signal_service.template.to_json(),
    )


@pytest.fixture(scope="session")
def reference_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-written template, for tests of the template reader."""
    return write_template(tmp_path_factory.mktemp("reference"), "Reference", reference_template())


@pytest.fixture(scope="session")
def ours_no_drain_template(ours_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our construct's template without the drain environment: a worker that cannot drain."""
    return write_template(
        tmp_path_factory.mktemp("ours-no-drain"),
        "ScaleToZeroNoDrain",
        without_drain(json.loads(ours_template.read_text())),
    )
