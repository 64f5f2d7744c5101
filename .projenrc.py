"""projen owns the generated project files: edit this file, then run `python .projenrc.py`.

Generated files (pyproject.toml, .gitignore, .projen/*, .github/workflows/*) are read-only
on disk and must not be edited by hand; `test/test_project_files.py` fails when they drift.
"""

import os

# Synthesis must not run `uv sync` afterwards: contributors use plain pip and venv (see README).
os.environ.setdefault("PROJEN_DISABLE_POST", "true")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from projen import License, TomlFile  # noqa: E402
from projen.python import (  # noqa: E402
    BuildSystem,
    PyprojectTomlProject,
    PythonProject,
    UvOptions,
)
from projen.python.uv_config import PythonDownloads, UvConfiguration  # noqa: E402

VERSION = "0.1.0"
AWS_CDK_LIB = "aws-cdk-lib>=2.275.0,<3"  # floor = the oldest aws-cdk-lib the test suite runs against
CONSTRUCTS = "constructs>=10.0.0,<11"
BOTO3 = "boto3>=1.34"  # the worker runtime's only dependency
WORKER_DIST = "sqs-scale-to-zero-worker"  # built from worker/, ships sqs_scale_to_zero/worker

TEST_REQUIREMENTS = [
    "pytest>=8",
    "pytest-xdist>=3.5",
    "moto[server]>=5.0",
    "boto3>=1.34",
    "cdk-nag>=3.0,<4",
    "cfn-lint>=1.0",
    "mypy>=1.10",
    "ruff>=0.5",
    "griffe2md>=1.0",
    "build>=1.2",
    "twine>=5.1",
    f"projen=={'0.104.17'}",
]

project = PythonProject(
    name="sqs-scale-to-zero",
    module_name="sqs_scale_to_zero",
    version=VERSION,
    description=(
        "AWS CDK construct for SQS queue workers on ECS Fargate that scale to zero when idle, "
        "wake on one message, and are never killed mid-message."
    ),
    author_name="sqs-scale-to-zero developers",
    author_email="maintainers@sqs-scale-to-zero.dev",
    license="Apache-2.0",
    uv=True,
    pip=False,
    venv=False,
    setuptools=False,
    sample=False,
    pytest=False,
    github=True,
    deps=[],
    uv_options=UvOptions(
        build_system=BuildSystem(requires=["hatchling>=1.25"], build_backend="hatchling.build"),
        project=PyprojectTomlProject(
            name="sqs-scale-to-zero",
            requires_python=">=3.11",
            # The construct library depends on the worker distribution at the same version and
            # does not ship `sqs_scale_to_zero/worker` itself (see the wheel exclude below).
            dependencies=[AWS_CDK_LIB, CONSTRUCTS, f"{WORKER_DIST}=={VERSION}"],
            optional_dependencies={"test": TEST_REQUIREMENTS},
            scripts={"sqs-scale-to-zero": "sqs_scale_to_zero.cli:main"},
        ),
        uv=UvConfiguration(python_downloads=PythonDownloads.NEVER),
    ),
)

License(project, spdx="Apache-2.0")

project.gitignore.exclude(
    ".venv/",
    "uv.lock",
    "package-lock.json",
    "poetry.lock",
    "cdk.out/",
    "*.egg-info/",
    ".mypy_cache/",
    ".ruff_cache/",
)

pyproject = project.try_find_object_file("pyproject.toml")
assert pyproject is not None
pyproject.add_override(
    "tool.pytest.ini_options",
    {
        "testpaths": ["test"],
        "addopts": "-ra --strict-markers",
        "filterwarnings": ["ignore::DeprecationWarning:jsii.*"],
    },
)

# The main wheel leaves the worker package to the worker distribution, so that the two
# wheels never own the same file.
pyproject.add_override(
    "tool.hatch.build.targets.wheel",
    {"packages": ["src/sqs_scale_to_zero"], "exclude": ["src/sqs_scale_to_zero/worker"]},
)

# The second distribution: only the worker runtime, boto3 only (no aws-cdk-lib, jsii, Node).
# Its sources stay in src/sqs_scale_to_zero/worker; worker/hatch_build.py copies them into the
# sdist and wheel, and an editable install points at ../src like the main one does.
TomlFile(
    project,
    "worker/pyproject.toml",
    obj={
        "project": {
            "name": WORKER_DIST,
            "version": VERSION,
            "description": (
                "Worker runtime of sqs-scale-to-zero: runs inside the container and hands each "
                "SQS message to your code (boto3 only, no CDK)."
            ),
            "readme": "README.md",
            "requires-python": ">=3.11",
            "license": "Apache-2.0",
            "authors": [
                {"name": "sqs-scale-to-zero developers", "email": "maintainers@sqs-scale-to-zero.dev"}
            ],
            "dependencies": [BOTO3],
        },
        "build-system": {"requires": ["hatchling>=1.25"], "build-backend": "hatchling.build"},
        "tool": {
            "hatch": {
                "build": {
                    "targets": {
                        "wheel": {
                            "bypass-selection": True,
                            "dev-mode-dirs": ["../src"],
                            "hooks": {"custom": {}},
                        },
                        "sdist": {
                            "include": ["pyproject.toml", "README.md", "hatch_build.py"],
                            "hooks": {"custom": {}},
                        },
                    }
                }
            }
        },
    },
)

project.synth()
