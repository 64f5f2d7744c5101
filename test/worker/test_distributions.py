"""Both distributions, built as wheels and installed with pip into fresh venvs.

What this proves: a container can install ``sqs-scale-to-zero-worker`` alone and run the
worker with no aws-cdk-lib, constructs, jsii or Node anywhere in the venv, while
``pip install sqs-scale-to-zero`` in a CDK app brings aws-cdk-lib and the worker at the same
version, each file owned by exactly one distribution. Dependencies (boto3, aws-cdk-lib) come
from the package index as usual; pip's cache keeps that quick.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test.conftest import BuiltDistribution

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging

PROBE = """
import importlib.metadata as md, importlib.util, json, subprocess, sys
import sqs_scale_to_zero.worker
from sqs_scale_to_zero.worker import Message, Worker
heavy = {name: importlib.util.find_spec(name) is not None for name in ("aws_cdk", "constructs", "jsii")}
owners = {}
for dist in ("sqs-scale-to-zero", "sqs-scale-to-zero-worker"):
    try:
        owners[dist] = sorted(str(f) for f in md.files(dist) if str(f).startswith("sqs_scale_to_zero/"))
    except md.PackageNotFoundError:
        owners[dist] = None
cli = subprocess.run([sys.executable, "-m", "sqs_scale_to_zero.worker", "--help"], capture_output=True)
print(json.dumps({"heavy": heavy, "owners": owners, "cli": cli.returncode,
                  "versions": {d.metadata["Name"]: d.version for d in md.distributions()}}))
"""


@pytest.fixture(scope="module")
def wheels(built_distributions: dict[str, BuiltDistribution]) -> dict[str, Path]:
    return {
        "worker": built_distributions["sqs-scale-to-zero-worker"].wheel,
        "main": built_distributions["sqs-scale-to-zero"].wheel,
    }


def _fresh_venv_with(tmp_path: Path, *requirements: str) -> dict[str, object]:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "-q",
            *requirements,
        ],
        check=True,
        capture_output=True,
    )
    probe = subprocess.run([python, "-c", PROBE], check=True, capture_output=True, text=True)
    return json.loads(probe.stdout)  # type: ignore[no-any-return]


def test_worker_distribution_alone_installs_without_cdk_jsii_or_node(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    result = _fresh_venv_with(tmp_path, str(wheels["worker"]))

    assert result["heavy"] == {"aws_cdk": False, "constructs": False, "jsii": False}
    assert result["cli"] == 0
    versions = result["versions"]
    assert isinstance(versions, dict)
    assert "boto3" in versions and "aws-cdk-lib" not in versions and "jsii" not in versions
    owners = result["owners"]
    assert isinstance(owners, dict)
    assert owners["sqs-scale-to-zero"] is None
    assert "sqs_scale_to_zero/worker/__main__.py" in owners["sqs-scale-to-zero-worker"]
    assert "sqs_scale_to_zero/__init__.py" not in owners["sqs-scale-to-zero-worker"]


def test_main_distribution_brings_aws_cdk_lib_and_the_worker_at_the_same_version(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    result = _fresh_venv_with(
        tmp_path, str(wheels["main"]), "--find-links", str(wheels["worker"].parent)
    )

    assert result["heavy"]["aws_cdk"] and result["heavy"]["jsii"]  # type: ignore[index]
    versions = result["versions"]
    assert isinstance(versions, dict)
    assert versions["sqs-scale-to-zero"] == versions["sqs-scale-to-zero-worker"]
    owners = result["owners"]
    assert isinstance(owners, dict)
    main_files, worker_files = (
        owners["sqs-scale-to-zero"],
        owners["sqs-scale-to-zero-worker"],
    )
    assert "sqs_scale_to_zero/__init__.py" in main_files
    assert not set(main_files) & set(worker_files), "a file owned by both distributions"
    assert all(not f.startswith("sqs_scale_to_zero/worker/") for f in main_files)
