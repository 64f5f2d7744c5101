"""The construct works on the oldest aws-cdk-lib that ``pyproject.toml`` admits.

A fresh venv gets this checkout (worker and construct, with the test extra) and then exactly the
floor version of aws-cdk-lib; the construct's template tests, validation tests and example
compliance tests run there in a child pytest. Marked ``oldest_cdk``: about 1.5 minutes with a
warm package cache.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONSTRUCT_TESTS = [
    "test/test_validation.py",
    "test/test_validation_types.py",
    "test/test_queue.py",
    "test/test_compute.py",
    "test/test_scaling.py",
    "test/test_scaling_idle.py",
    "test/test_monitoring.py",
    "test/test_wake_function.py",
    "test/test_capacity.py",
    "test/test_capacity_validation.py",
    "test/test_examples.py",
]


@pytest.mark.parametrize("path", CONSTRUCT_TESTS)
def test_every_listed_construct_test_exists(path: str) -> None:
    # A renamed test file must not turn the slow floor run below into "no tests ran".
    assert (ROOT / path).is_file()


def floor_version() -> str:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (spec,) = [d for d in dependencies if d.startswith("aws-cdk-lib")]
    match = re.search(r">=\s*([0-9.]+)", spec)
    assert match, f"aws-cdk-lib has no lower bound: {spec}"
    return match.group(1)


@pytest.mark.oldest_cdk
def test_construct_tests_pass_on_the_oldest_supported_aws_cdk_lib(tmp_path: Path) -> None:
    version = floor_version()
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )

    installed = run("-m", "pip", "install", "-q", "-e", "./worker", "-e", ".[test]")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    pinned = run("-m", "pip", "install", "-q", "--no-deps", f"aws-cdk-lib=={version}")
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    probe = run("-c", "import importlib.metadata as m; print(m.version('aws-cdk-lib'))")
    assert probe.stdout.strip() == version
    tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider", *CONSTRUCT_TESTS)
    assert tests.returncode == 0, f"on aws-cdk-lib {version}:\n{tests.stdout[-4000:]}"
    assert re.search(r"\d+ passed", tests.stdout)


def test_floor_is_below_the_installed_version() -> None:
    from importlib.metadata import version

    floor = tuple(int(p) for p in floor_version().split("."))
    installed = tuple(int(p) for p in version("aws-cdk-lib").split(".")[:3])
    assert floor <= installed
