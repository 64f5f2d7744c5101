"""Hatchling build hook of the ``sqs-scale-to-zero-worker`` distribution.

The worker's sources live once, in ``../src/sqs_scale_to_zero/worker`` (the main
distribution's tree, so an editable checkout imports one copy). This hook copies them into
the sdist (as ``src/sqs_scale_to_zero/worker``) and the wheel (as
``sqs_scale_to_zero/worker``), reading them from the repository or, when building a wheel
from that sdist, from the sdist itself. The sdist also carries the repository's LICENSE and CHANGELOG.md.
Editable installs use ``dev-mode-dirs`` instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = Path("src/sqs_scale_to_zero/worker")
SHARED_FILES = ("LICENSE", "CHANGELOG.md")
"""Repository files the sdist carries too (the wheel built from it then finds the LICENSE)."""


class WorkerSourcesHook(BuildHookInterface):  # type: ignore[type-arg]
    """Force-include the worker package's files, and nothing else of ``sqs_scale_to_zero``."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        for source in (root / PACKAGE, root.parent / PACKAGE):
            if source.is_dir():
                break
        else:
            raise FileNotFoundError(f"worker sources not found at {root / PACKAGE} or ../{PACKAGE}")
        if self.target_name == "sdist":
            for name in SHARED_FILES:
                shared = source.parents[2] / name
                if shared.is_file() and not (root / name).is_file():
                    build_data["force_include"][str(shared)] = name
        target = PACKAGE if self.target_name == "sdist" else PACKAGE.relative_to("src")
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                build_data["force_include"][str(path)] = str(target / path.relative_to(source))
