"""The worker image's build context, as CDK stages it for ``cdk deploy``: the repository root
filtered by its ``.dockerignore`` down to the worker's sources and the image's own directory.

No engine needed: this reads the basic example's staged asset.
"""

from __future__ import annotations

from .conftest import BasicExample


def test_the_staged_context_holds_the_worker_sources_and_nothing_else(
    basic_example: BasicExample,
) -> None:
    files = sorted(
        str(p.relative_to(basic_example.asset_dir))
        for p in basic_example.asset_dir.rglob("*")
        if p.is_file()
    )

    assert basic_example.dockerfile == "examples/worker_image/Dockerfile"
    assert {"worker/pyproject.toml", "worker/hatch_build.py", "worker/README.md"} <= set(files)
    assert "src/sqs_scale_to_zero/worker/contract.py" in files
    assert {"examples/worker_image/app.py", "examples/worker_image/Dockerfile"} <= set(files)
    outside = [
        f
        for f in files
        if f != ".dockerignore"
        and not f.startswith(("worker/", "src/sqs_scale_to_zero/worker/", "examples/worker_image/"))
    ]
    assert outside == []
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert sum((basic_example.asset_dir / f).stat().st_size for f in files) < 256 * 1024
