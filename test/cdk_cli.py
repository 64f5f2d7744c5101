"""The real ``cdk`` CLI, as a user runs it: from the PATH, or installed for this test session.

When no ``cdk`` is on the PATH, npm installs the CDK CLI (the ``aws-cdk`` package) into a
folder under the session's temporary directory, without a lock file; nothing is committed.
``synth`` runs ``cdk synth`` in an app folder with this test's Python first on the PATH (so
``cdk.json``'s ``python3 app.py`` finds ``sqs_scale_to_zero``), no credentials, no notices and
no telemetry, and returns the stack templates from the cloud assembly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CDK_TIMEOUT_SECONDS = 600


def install_cdk_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``cdk`` executable on the PATH, else one npm installs under the session's tmp."""
    found = shutil.which("cdk")
    if found:
        return Path(found)
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("neither the cdk CLI nor npm is installed")
    prefix = tmp_path_factory.mktemp("cdk-cli")
    options = ["--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(
        [npm, "install", "--prefix", str(prefix), *options, "aws-cdk"],
        check=True,
        capture_output=True,
        timeout=CDK_TIMEOUT_SECONDS,
    )
    return prefix / "node_modules" / ".bin" / "cdk"


def cdk_synth(cdk: Path, app_dir: Path) -> dict[str, dict[str, Any]]:
    """``cdk synth`` in ``app_dir``; stack name -> template, read from ``cdk.out``."""
    python_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([python_bin, os.environ["PATH"]]),
        "HOME": os.environ.get("HOME", str(app_dir)),  # jsii keeps its package cache there
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AWS_EC2_METADATA_DISABLED": "true",  # no credential look-up off this machine
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    result = subprocess.run(
        [str(cdk), "synth", "--no-notices", "--quiet"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=CDK_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = app_dir / "cdk.out"
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        name: json.loads((out / artifact["properties"]["templateFile"]).read_text())
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
