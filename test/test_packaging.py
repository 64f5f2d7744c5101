"""What the release workflow uploads: sdist and wheel build, pass `twine check --strict`, and carry
the metadata PyPI shows.

Marked ``packaging``: the build takes a few seconds locally and up to ~20 s with a cold cache
(``python -m build`` installs the build backend into an isolated environment). Skip it with
``-m "not packaging"``.

Both distributions are checked: the construct library and the worker runtime. The builds come
from the session fixture ``built_distributions``, shared with ``test/worker/test_distributions.py``.
"""

from __future__ import annotations

import email.message
import email.parser
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from test.conftest import BuiltDistribution

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.packaging


WHEEL_FILES = {
    "sqs-scale-to-zero": (
        "sqs_scale_to_zero/__init__.py",
        "sqs_scale_to_zero/py.typed",
        "sqs_scale_to_zero/service.py",
        "sqs_scale_to_zero/templates/python/app.py.tmpl",  # what `new` writes
        "sqs_scale_to_zero/templates/python/worker/Dockerfile.tmpl",
        # HttpDelivery's default runtime image is built from it where the package is installed.
        "sqs_scale_to_zero/delivery/runtime_image/Dockerfile",
    ),
    "sqs-scale-to-zero-worker": (
        "sqs_scale_to_zero/worker/__init__.py",
        "sqs_scale_to_zero/worker/py.typed",
        "sqs_scale_to_zero/worker/contract.py",
    ),
}
"""Paths that must be in each wheel; each sdist must have them under ``src/``."""

REQUIRED_CLASSIFIERS = {
    "Framework :: AWS CDK",
    "Framework :: AWS CDK :: 2",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
    "Typing :: Typed",
}
REQUIRED_URLS = {"Homepage", "Repository", "Issues", "Changelog"}


@dataclass(frozen=True)
class Built:
    name: str
    wheel_files: tuple[str, ...]
    project: dict[str, object]
    wheel: Path
    sdist: Path


@pytest.fixture(params=sorted(WHEEL_FILES))
def built(
    request: pytest.FixtureRequest, built_distributions: dict[str, BuiltDistribution]
) -> Built:
    distribution = built_distributions[request.param]
    pyproject = tomllib.loads((distribution.project_dir / "pyproject.toml").read_text())
    return Built(
        name=distribution.name,
        wheel_files=WHEEL_FILES[distribution.name],
        project=pyproject["project"],
        wheel=distribution.wheel,
        sdist=distribution.sdist,
    )


def _wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_twine_check_strict_passes(built: Built) -> None:
    result = subprocess.run(
        [str(BIN / "twine"), "check", "--strict", str(built.wheel), str(built.sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_wheel_ships_the_package_with_py_typed(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as archive:
        names = set(archive.namelist())
    missing = [path for path in built.wheel_files if path not in names]
    assert not missing, f"wheel lacks {missing}"
    stray = sorted(n for n in names if n.split("/")[0] in {"test", "tests", "benchmarks", "src"})
    assert not stray, f"wheel ships files outside the package: {stray}"


def test_sdist_ships_py_typed_and_the_changelog(built: Built) -> None:
    with tarfile.open(built.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {f"src/{path}" for path in built.wheel_files}
    missing = (expected | {"README.md", "LICENSE", "CHANGELOG.md"}) - names
    assert not missing, f"sdist lacks {sorted(missing)}"


def test_metadata_has_version_python_and_classifiers(built: Built) -> None:
    metadata = _wheel_metadata(built.wheel)
    assert metadata["Name"] == built.name
    assert metadata["Version"] == built.project["version"]
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert set(classifiers) >= REQUIRED_CLASSIFIERS
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert any(c.startswith("Topic :: ") for c in classifiers)


def test_metadata_has_license_readme_and_urls(built: Built) -> None:
    metadata = _wheel_metadata(built.wheel)
    # PEP 639: the license is an SPDX expression; `License ::` classifiers are deprecated and
    # PyPI rejects uploads that combine them with License-Expression.
    assert metadata["License-Expression"] == "Apache-2.0"
    assert not [c for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "# sqs-scale-to-zero" in metadata.get_payload()
    assert metadata["Keywords"]
    urls = {entry.split(",", 1)[0] for entry in metadata.get_all("Project-URL") or []}
    assert urls >= REQUIRED_URLS
