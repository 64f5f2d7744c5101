"""Fixtures of the end-to-end test: a private dockerd, the local base image, and the worker image
built exactly as ``cdk deploy`` would build the basic example's image asset (its ``worker/``
folder), with this clone's worker wheel in ``wheels/``.

When the engine cannot start here (no ``dockerd``/``debootstrap``, not root, no overlay
support), the tests are skipped with the reason; with ``CI=true`` they fail instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import aws_cdk as cdk
import pytest

from .base_image import base_rootfs_tar, cache_key
from .engine import DockerEngine, EngineUnavailable

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "e2e"
WORKER_TAG = "sqs-scale-to-zero-e2e/worker:latest"


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where the engine must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the container engine must run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerEngine]:
    try:
        docker = DockerEngine(tmp_path_factory.mktemp("dockerd") / "data")
    except EngineUnavailable as exc:
        unavailable(str(exc))
    try:
        yield docker
    finally:
        docker.stop()


@dataclass(frozen=True)
class Image:
    tag: str
    size_bytes: int


def image_size(engine: DockerEngine, tag: str) -> int:
    return int(engine.run("image", "inspect", "--format", "{{.Size}}", tag).stdout)


@pytest.fixture(scope="package")
def base_image(engine: DockerEngine) -> Image:
    started = time.monotonic()
    tar = base_rootfs_tar(CACHE_DIR)
    tag = f"sqs-scale-to-zero-e2e/base:{cache_key()}"
    engine.run("import", str(tar), tag)
    print(f"\nbase image {tag}: ready in {time.monotonic() - started:.1f} s")
    return Image(tag, image_size(engine, tag))


@dataclass(frozen=True)
class BasicExample:
    """The basic example's synthesized image asset and its worker container's environment."""

    asset_dir: Path
    dockerfile: str
    build_args: dict[str, str]
    environment: dict[str, Any]
    """Name -> value in the task definition: a string, or a CloudFormation reference."""


@pytest.fixture(scope="package")
def basic_example(tmp_path_factory: pytest.TempPathFactory) -> BasicExample:
    spec = importlib.util.spec_from_file_location(
        "example_basic_e2e", ROOT / "examples" / "basic" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outdir = tmp_path_factory.mktemp("basic-cdk.out")
    app = cdk.App(outdir=str(outdir))
    stack = module.build(app)
    assembly = app.synth()
    manifest = json.loads((outdir / f"{stack.artifact_id}.assets.json").read_text())
    ((_, image),) = manifest["dockerImages"].items()
    template = assembly.get_stack_by_name(stack.stack_name).template
    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    (container,) = task["Properties"]["ContainerDefinitions"]
    return BasicExample(
        asset_dir=outdir / image["source"]["directory"],
        dockerfile=image["source"].get("dockerFile", "Dockerfile"),
        build_args=dict(image["source"].get("dockerBuildArgs", {})),
        environment={e["Name"]: e["Value"] for e in container.get("Environment", [])},
    )


def with_worker_wheel(asset_dir: Path, context: Path) -> Path:
    """A copy of a staged worker folder at ``context``, with this clone's worker wheel in
    ``wheels/`` (as the folder's README says to do until the first release)."""
    shutil.copytree(asset_dir, context)
    wheel_dir = ["--wheel-dir", str(context / "wheels")]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *wheel_dir, str(ROOT / "worker")],
        check=True,
        capture_output=True,
    )
    return context


@pytest.fixture(scope="package")
def worker_image(
    engine: DockerEngine,
    base_image: Image,
    basic_example: BasicExample,
    tmp_path_factory: pytest.TempPathFactory,
) -> Image:
    """``docker build`` of the staged asset, as cdk-assets runs it, on the local base image."""
    started = time.monotonic()
    context = with_worker_wheel(basic_example.asset_dir, tmp_path_factory.mktemp("ctx") / "worker")
    build_args = {**basic_example.build_args, "BASE_IMAGE": base_image.tag}
    engine.run(
        "build",
        "--tag",
        WORKER_TAG,
        "--file",
        str(context / basic_example.dockerfile),
        *[f"--build-arg={name}={value}" for name, value in build_args.items()],
        "--network",
        "host",
        str(context),
        timeout=900,
    )
    print(f"\nworker image built in {time.monotonic() - started:.1f} s")
    return Image(WORKER_TAG, image_size(engine, WORKER_TAG))


from test.worker.deploys import aws_clients, deploy  # noqa: E402, F401  (the deploy drain's stack)
