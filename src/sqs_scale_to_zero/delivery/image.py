"""The runtime's default image: a CDK asset built from the installed worker package.

The build context is the installed ``sqs_scale_to_zero`` folder filtered down to ``worker/`` and
the Dockerfile's own folder, so the image carries exactly the worker the construct was installed
with: from a clone before any release as from a release. ``cdk synth`` only stages these files;
``cdk deploy`` builds the image (with Docker) and pushes it to the bootstrap repository.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from aws_cdk import IgnoreMode
from aws_cdk import aws_ecs as ecs
from aws_cdk.aws_ecr_assets import Platform

import sqs_scale_to_zero.worker
from sqs_scale_to_zero.architecture import architecture_name
from sqs_scale_to_zero.errors import ScaleToZeroValidationError

WORKER_DISTRIBUTION = "sqs-scale-to-zero-worker"
"""The distribution that ships ``sqs_scale_to_zero.worker``; its requirements go into the image."""

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The installed ``sqs_scale_to_zero`` folder: the runtime image's build context."""

DOCKERFILE = "delivery/runtime_image/Dockerfile"
"""The runtime image's Dockerfile, relative to :data:`PACKAGE_DIR`."""

BUILD_CONTEXT = ("*", "!worker/", "!delivery/runtime_image/", "**/__pycache__", "**/*.pyc")
"""``.dockerignore`` patterns: the build context (and the asset's hash) is exactly the worker
package and the Dockerfile's folder."""


def default_runtime_image(cpu_architecture: ecs.CpuArchitecture) -> ecs.ContainerImage:
    """The runtime's image, built as a CDK asset from the installed worker package.

    It is built for the task's ``cpu_architecture``, whatever the machine running ``cdk deploy``.

    Raises:
        ScaleToZeroValidationError: The worker package is not installed beside the construct
            (e.g. one of the two is an editable install elsewhere), so no build context holds
            both; the fix is ``runtime_image``.
    """
    worker_dir = Path(sqs_scale_to_zero.worker.__file__).resolve().parent
    if worker_dir.parent != PACKAGE_DIR:
        raise ScaleToZeroValidationError(
            "http_delivery.runtime_image",
            f"the worker package ({worker_dir}) is not installed beside the construct "
            f"({PACKAGE_DIR}), so its image can't be built from them: install both the same "
            "way, or pass runtime_image=ecs.ContainerImage.from_registry(...)",
        )
    requirements = importlib.metadata.requires(WORKER_DISTRIBUTION) or []
    return ecs.ContainerImage.from_asset(
        str(PACKAGE_DIR),
        file=DOCKERFILE,
        exclude=list(BUILD_CONTEXT),
        ignore_mode=IgnoreMode.DOCKER,
        platform=(
            Platform.LINUX_ARM64
            if architecture_name(cpu_architecture) == "ARM64"
            else Platform.LINUX_AMD64
        ),
        build_args={"WORKER_REQUIREMENTS": " ".join("".join(r.split()) for r in requirements)},
    )
