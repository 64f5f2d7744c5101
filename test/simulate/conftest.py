"""Templates for the simulator tests, each synthesized or written once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.policies import reference_template


@pytest.fixture(scope="session")
def anchor_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three anchor stacks, synthesized once into a temporary cloud assembly."""
    import aws_cdk as cdk

    from benchmarks import anchors

    out = tmp_path_factory.mktemp("anchors")
    app = cdk.App(outdir=str(out))
    anchors.add_qpfs_defaults(app)
    anchors.add_seed_blog(app)
    anchors.add_always_on(app)
    app.synth()
    return {
        name: out / f"{name}.template.json"
        for name in ("QpfsDefaults", "SeedBlog", "AlwaysOn")
    }


def write_template(directory: Path, name: str, template: dict[str, Any]) -> Path:
    """Write ``template`` as ``<name>.template.json`` and return its path."""
    path = directory / f"{name}.template.json"
    path.write_text(json.dumps(template))
    return path


@pytest.fixture(scope="session")
def ours_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The construct's scaling design (wake alarm, metric-math idle alarm, task protection)."""
    return write_template(tmp_path_factory.mktemp("ours"), "Ours", reference_template())


@pytest.fixture(scope="session")
def ours_unprotected_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same design without task protection and without the CPU term."""
    return write_template(
        tmp_path_factory.mktemp("ours-unprotected"),
        "OursUnprotected",
        reference_template(cpu_term=False, protection=False),
    )
