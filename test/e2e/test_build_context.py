"""The worker image's build context, as CDK stages it for ``cdk deploy``: the basic example's
own ``worker/`` folder and nothing from outside it.

No engine needed: this reads the basic example's staged asset.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import ROOT, BasicExample


def test_the_staged_context_is_the_examples_worker_folder_and_nothing_else(
    basic_example: BasicExample,
) -> None:
    folder = ROOT / "examples" / "basic" / "worker"

    def files(root: Path) -> list[str]:
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )

    assert basic_example.dockerfile == "Dockerfile"
    assert files(basic_example.asset_dir) == files(folder)
    assert {"Dockerfile", "app.py", "wheels/.gitkeep"} <= set(files(folder))
