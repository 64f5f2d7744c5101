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
import boto3  # type: ignore[import-untyped]
import pytest

from test.worker.conftest import EcsAgent

from .base_image import base_rootfs_tar, cache_key
from .engine import DockerEngine, EngineUnavailable

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "e2e"
WORKER_TAG = "sqs-scale-to-zero-e2e/worker:latest"
REGION = "us-east-1"


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


@dataclass(frozen=True)
class ImageAsset:
    """A synthesized image asset as cdk-assets builds it."""

    directory: Path
    dockerfile: str
    build_args: dict[str, str]


@dataclass(frozen=True)
class SynthesizedExample:
    """An example app's image assets (by the name of their container) and task containers."""

    assets: dict[str, ImageAsset]
    containers: dict[str, dict[str, Any]]
    """Container name -> its definition in the template."""

    def environment(self, container: str) -> dict[str, Any]:
        """Name -> value: a string, or a CloudFormation reference."""
        return {e["Name"]: e["Value"] for e in self.containers[container].get("Environment", [])}


def synthesize_example(name: str, outdir: Path) -> SynthesizedExample:
    """Synthesize ``examples/<name>/app.py`` into ``outdir``, as ``cdk synth`` would."""
    spec = importlib.util.spec_from_file_location(
        f"example_{name}_e2e", ROOT / "examples" / name / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = cdk.App(outdir=str(outdir))
    stack = module.build(app)
    assembly = app.synth()
    manifest = json.loads((outdir / f"{stack.artifact_id}.assets.json").read_text())
    assets = {
        # displayName: <construct>/TaskDefinition/<container>/AssetImage
        image["displayName"].split("/")[-2]: ImageAsset(
            directory=outdir / image["source"]["directory"],
            dockerfile=image["source"].get("dockerFile", "Dockerfile"),
            build_args=dict(image["source"].get("dockerBuildArgs", {})),
        )
        for image in manifest["dockerImages"].values()
    }
    template = assembly.get_stack_by_name(stack.stack_name).template
    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    containers = {c["Name"]: c for c in task["Properties"]["ContainerDefinitions"]}
    return SynthesizedExample(assets=assets, containers=containers)


def probe_python_image(engine: DockerEngine, tag: str) -> dict[str, Any]:
    """The user a Python image runs as, the CDK modules it lacks, and whether it has the worker."""
    probe = (
        "import importlib.util as u, json, os; print(json.dumps({'uid': os.getuid(), "
        "'absent': [m for m in ('aws_cdk', 'constructs', 'jsii') if u.find_spec(m) is None], "
        "'worker': u.find_spec('sqs_scale_to_zero.worker') is not None}))"
    )
    out = engine.run(
        "run", "--rm", "--network", "none", "--entrypoint", "python", tag, "-c", probe
    ).stdout
    return dict(json.loads(out))


@pytest.fixture(scope="package")
def basic_example(tmp_path_factory: pytest.TempPathFactory) -> BasicExample:
    example = synthesize_example("basic", tmp_path_factory.mktemp("basic-cdk.out"))
    ((_, asset),) = example.assets.items()
    (container,) = example.containers
    return BasicExample(
        asset_dir=asset.directory,
        dockerfile=asset.dockerfile,
        build_args=asset.build_args,
        environment=example.environment(container),
    )


def build_image(engine: DockerEngine, tag: str, asset: ImageAsset, base: Image) -> Image:
    """``docker build`` of a staged asset, as cdk-assets runs it, on a local base image."""
    build_args = {**asset.build_args, "BASE_IMAGE": base.tag}
    engine.run(
        "build",
        "--tag",
        tag,
        "--file",
        str(asset.directory / asset.dockerfile),
        *[f"--build-arg={name}={value}" for name, value in build_args.items()],
        "--network",
        "host",
        str(asset.directory),
        timeout=900,
    )
    return Image(tag, image_size(engine, tag))


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
    """The basic example's worker image, built from its staged asset with this clone's wheel."""
    started = time.monotonic()
    context = with_worker_wheel(basic_example.asset_dir, tmp_path_factory.mktemp("ctx") / "worker")
    asset = ImageAsset(context, basic_example.dockerfile, basic_example.build_args)
    image = build_image(engine, WORKER_TAG, asset, base_image)
    print(f"\nworker image built in {time.monotonic() - started:.1f} s")
    return image


@pytest.fixture(scope="module")
def sqs(moto_endpoint: str) -> Any:
    """A client of moto's SQS server, as the containers reach it."""
    return boto3.client(
        "sqs",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def agent() -> Iterator[EcsAgent]:
    """The stand-in for the ECS agent's task-protection (and task metadata) endpoints."""
    stand_in = EcsAgent()
    yield stand_in
    stand_in.close()


from test.worker.deploys import aws_clients, deploy  # noqa: E402, F401  (the deploy drain's stack)
