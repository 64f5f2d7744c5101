"""``sqs-scale-to-zero from-copilot MANIFEST --app APP --env ENV -o DIR``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqs_scale_to_zero.copilot.app_source import app_py, cdk_json
from sqs_scale_to_zero.copilot.manifest import read_manifest
from sqs_scale_to_zero.copilot.plan import ManifestError, WorkerPlan

_COPILOT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,254}$")
_WRITTEN = ("app.py", "cdk.json")


def from_copilot(manifest: str, *, app: str, env: str, out_dir: str) -> WorkerPlan:
    """Convert ``manifest`` and write ``app.py`` and ``cdk.json`` into ``out_dir``.

    Nothing is written unless the whole manifest converts.

    Raises:
        ManifestError: A bad argument, an unknown field, another service type or a bad
            value; the message is one line naming it and the fix.
    """
    for flag, value in (("--app", app), ("--env", env)):
        if not _COPILOT_NAME.match(value):
            raise ManifestError(
                f"{flag}: {value!r} is not a Copilot name (lowercase letters, digits and '-', "
                "starting with a letter)"
            )
    path = Path(manifest)
    if not path.is_file():
        raise ManifestError(f"MANIFEST: {manifest} is not a file")
    plan = read_manifest(path.read_text(), app=app, env=env)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ManifestError(f"-o: {out_dir} is not a directory")
    for name in _WRITTEN:
        if (out / name).exists():
            raise ManifestError(f"-o: {out / name} exists: choose a new directory")
    workspace = _workspace(path.resolve())
    source = app_py(
        plan,
        manifest=manifest,
        workspace=os.path.relpath(workspace, out.resolve()),
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "app.py").write_text(source)
    (out / "cdk.json").write_text(cdk_json())
    return plan


def _workspace(manifest: Path) -> Path:
    """The Copilot workspace: the folder holding ``copilot/SERVICE/manifest.yml``."""
    if manifest.parent.parent.name == "copilot":
        return manifest.parent.parent.parent
    return manifest.parent
