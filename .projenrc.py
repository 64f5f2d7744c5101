"""projen owns the generated project files: edit this file, then run `python .projenrc.py`.

Generated files (pyproject.toml, .gitignore, .projen/*, .github/workflows/*) are read-only
on disk and must not be edited by hand; `test/test_project_files.py` fails when they drift.
"""

import os

# Synthesis must not run `uv sync` afterwards: contributors use plain pip and venv (see README).
os.environ.setdefault("PROJEN_DISABLE_POST", "true")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from projen import License, TomlFile  # noqa: E402
from projen.github import (  # noqa: E402
    ActionRefs,
    DownloadArtifactWith,
    GitHubOptions,
    UploadArtifactWith,
    WorkflowSteps,
)
from projen.github.workflows import (  # noqa: E402
    Job,
    JobPermission,
    JobPermissions,
    JobStep,
    PullRequestOptions,
    PushOptions,
)
from projen.python import (  # noqa: E402
    BuildSystem,
    PyprojectTomlProject,
    PythonProject,
    UvOptions,
)
from projen.python.uv_config import PythonDownloads, UvConfiguration  # noqa: E402

VERSION = "0.1.0"  # the only place the version is written; a release is a `v{VERSION}` tag
REPOSITORY = "https://github.com/sqs-scale-to-zero/sqs-scale-to-zero"
# The floor is tested: test/test_oldest_aws_cdk_lib.py runs the construct tests on it. (2.268
# rejects the finding-level acknowledgement IDs the construct uses for cdk-nag.)
AWS_CDK_LIB = "aws-cdk-lib>=2.269.0,<3"
CONSTRUCTS = "constructs>=10.0.0,<11"
PYYAML = "PyYAML>=6.0,<7"
"""Reads Copilot manifests and Beanstalk cron.yaml files (``from-copilot``, ``schedules``)."""
BOTO3 = "boto3>=1.34"  # the worker runtime's only dependency
WORKER_DIST = "sqs-scale-to-zero-worker"  # built from worker/, ships sqs_scale_to_zero/worker

KEYWORDS = [
    "aws",
    "aws-cdk",
    "cdk",
    "construct",
    "sqs",
    "ecs",
    "fargate",
    "autoscaling",
    "scale-to-zero",
    "queue-worker",
]

CLASSIFIERS = [
    "Development Status :: 3 - Alpha",
    "Framework :: AWS CDK",
    "Framework :: AWS CDK :: 2",
    "Intended Audience :: Developers",
    "Intended Audience :: System Administrators",
    "Operating System :: OS Independent",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
    "Topic :: Software Development :: Libraries",
    "Topic :: System :: Distributed Computing",
    "Typing :: Typed",
]

URLS = {
    "Homepage": REPOSITORY,
    "Repository": REPOSITORY,
    "Documentation": f"{REPOSITORY}/blob/main/API.md",
    "Issues": f"{REPOSITORY}/issues",
    "Changelog": f"{REPOSITORY}/blob/main/CHANGELOG.md",
}

PLOT = "matplotlib>=3.8"  # `simulate --timeline day.png`: the picture (the `plot` extra)
MOTO_SERVER = "moto[server]>=5.0"  # the tests' AWS, and `sqs-scale-to-zero local`'s SQS

TEST_REQUIREMENTS = [
    "pytest>=8",
    "pytest-xdist>=3.5",
    "hypothesis>=6.100",
    MOTO_SERVER,
    BOTO3,
    "cdk-nag>=3.0,<4",
    "cfn-lint>=1.0",
    "mypy>=1.10",
    "ruff>=0.5",
    "griffe2md>=1.0",
    "build>=1.2",
    "twine>=5.1",
    f"projen=={'0.104.17'}",
    PLOT,
]

# The peers `benchmarks/worker_throughput.py` races the worker against, and its RSS probe.
BENCHMARK_REQUIREMENTS = ["sqs-workers>=0.7", "aws-sqs-consumer>=0.0.15", "psutil>=5.9"]

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
    # The semantic-PR-title lint adds nothing here: versions are set by hand (VERSION below) and
    # released from tags, not derived from conventional commit titles.
    github_options=GitHubOptions(pull_request_lint=False),
    deps=[],
    uv_options=UvOptions(
        build_system=BuildSystem(requires=["hatchling>=1.25"], build_backend="hatchling.build"),
        project=PyprojectTomlProject(
            name="sqs-scale-to-zero",
            requires_python=">=3.11",
            # The construct library depends on the worker distribution at the same version and
            # does not ship `sqs_scale_to_zero/worker` itself (see the wheel exclude below).
            dependencies=[AWS_CDK_LIB, CONSTRUCTS, PYYAML, f"{WORKER_DIST}=={VERSION}"],
            optional_dependencies={
                "test": TEST_REQUIREMENTS,
                "benchmark": BENCHMARK_REQUIREMENTS,
                "plot": [PLOT],
                "local": [MOTO_SERVER],
            },
            scripts={"sqs-scale-to-zero": "sqs_scale_to_zero.cli:main"},
            readme="README.md",
            keywords=KEYWORDS,
            # No `License ::` classifier: `license` above is a PEP 639 SPDX expression, which
            # supersedes those classifiers, and PyPI rejects uploads that carry both.
            classifiers=CLASSIFIERS,
            urls=URLS,
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
        "markers": [
            "packaging: builds the sdist and wheel and runs twine check (5-20 s); "
            "deselect with -m 'not packaging'",
            "oldest_cdk: installs the oldest supported aws-cdk-lib in a fresh venv and runs the "
            "construct's tests there (about 1.5 minutes with pip's cache warm); "
            "deselect with -m 'not oldest_cdk'",
            "container: builds examples/basic/worker with a private dockerd on a debootstrapped "
            "base image and runs it against moto (about 1.5 minutes from nothing, under a "
            "minute with the base cached); deselect with -m 'not container'",
        ],
    },
)

pyproject.add_override(
    "tool.ruff",
    {
        "line-length": 100,
        "target-version": "py311",
        # `benchmarks` and `examples` sit at the repository root; both are first-party for isort.
        "src": ["src", "."],
    },
)
pyproject.add_override(
    "tool.ruff.lint",
    {
        "select": [
            "E",  # pycodestyle errors
            "W",  # pycodestyle warnings
            "F",  # pyflakes
            "I",  # isort
            "B",  # flake8-bugbear
            "UP",  # pyupgrade (target py311)
            "SIM",  # flake8-simplify
            "RUF",  # ruff-specific
            "D",  # pydocstyle, Google convention (below)
        ],
        "ignore": [
            # House style (shared STYLE.md): keyword-only props are written `Optional[X] = None`,
            # as in aws-ddk and the CDK's own Python bindings; don't force `X | None`.
            "UP007",
            "UP045",
            # Google style documents a class's constructor arguments in the class docstring,
            # and dunder methods say nothing a reader needs.
            "D105",
            "D107",
        ],
        # Docstrings are linted where they become API.md; tests, benchmarks, examples and
        # scripts name what they do in their function names and module docstrings.
        "per-file-ignores": {
            "test/**": ["D"],
            "benchmarks/**": ["D"],
            "examples/**": ["D"],
            "scripts/**": ["D"],
            "conftest.py": ["D"],
            ".projenrc.py": ["D"],
            "worker/hatch_build.py": ["D"],
        },
    },
)
pyproject.add_override("tool.ruff.lint.pydocstyle", {"convention": "google"})
pyproject.add_override(
    "tool.ruff.lint.pycodestyle",
    {
        # Code is wrapped at 100 (line-length, used by isort and `ruff format`); E501 only fails
        # hand-wrapped strings, comments and docstrings that run well past it.
        "max-line-length": 110,
    },
)
pyproject.add_override(
    "tool.mypy",
    {
        "python_version": "3.11",
        "strict": True,
        "files": ["src", "test"],
        "mypy_path": "src",
        # No `ignore_missing_imports` anywhere: aws_cdk, constructs and jsii ship types, and src/
        # never imports moto. Untyped imports (boto3, botocore) are silenced at the import line
        # with `# type: ignore[import-untyped]`, so strict's warn_unused_ignores keeps them honest.
    },
)

# The wheel ships exactly the package directory, py.typed included, and leaves the worker
# package to the worker distribution, so that the two wheels never own the same file.
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
            "keywords": KEYWORDS,
            "classifiers": CLASSIFIERS,
            "urls": URLS,
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

# --- GitHub workflows ---------------------------------------------------------------------------
# The suite is run exactly as the README's second command (and .ci/run) runs it.
README_TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e ./worker -e '.[test]' && .venv/bin/python -m pytest"
)
PYTHON_VERSION = "3.11"
NODE_VERSION = "20"
RUNS_ON = ["ubuntu-latest"]


def setup_steps() -> list[JobStep]:
    """Check out, then install the Python and Node.js the README asks for."""
    return [
        WorkflowSteps.checkout(),
        JobStep(
            name="Set up Python",
            uses=ActionRefs.ACTIONS_SETUP_PYTHON,
            with_={"python-version": PYTHON_VERSION},
        ),
        JobStep(
            name="Set up Node.js",
            uses=ActionRefs.ACTIONS_SETUP_NODE,
            with_={"node-version": NODE_VERSION},
        ),
    ]


def test_job() -> Job:
    return Job(
        name="Test",
        runs_on=RUNS_ON,
        permissions=JobPermissions(contents=JobPermission.READ),
        timeout_minutes=45,
        env={"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": NODE_VERSION},
        steps=[*setup_steps(), JobStep(name="Run the test suite", run=README_TEST_COMMAND)],
    )


assert project.github is not None
test_workflow = project.github.add_workflow("test")
test_workflow.on(pull_request=PullRequestOptions(), push=PushOptions(branches=["main"]))
test_workflow.add_jobs({"test": test_job()})

DIST = "dist"


def download_dist() -> JobStep:
    """Fetch the sdist and wheel the build job uploaded, into dist/."""
    return WorkflowSteps.download_artifact(with_=DownloadArtifactWith(name=DIST, path=f"{DIST}/"))


release = project.github.add_workflow("release")
release.on(push=PushOptions(tags=["v*"]))
release.add_jobs(
    {
        "test": test_job(),
        "build": Job(
            name="Build and check the distributions",
            needs=["test"],
            runs_on=RUNS_ON,
            permissions=JobPermissions(contents=JobPermission.READ),
            steps=[
                *setup_steps()[:2],
                JobStep(
                    name="Check the tag against VERSION and CHANGELOG.md",
                    run='python scripts/release_notes.py "$GITHUB_REF_NAME"',
                ),
                JobStep(
                    name="Install build and twine",
                    run="python -m pip install --upgrade build twine",
                ),
                JobStep(
                    name="Build both distributions (the worker first: the construct needs it)",
                    run=f"python -m build --outdir {DIST}/ worker && python -m build --outdir {DIST}/",
                ),
                JobStep(name="Check the distributions", run=f"twine check --strict {DIST}/*"),
                WorkflowSteps.upload_artifact(with_=UploadArtifactWith(name=DIST, path=f"{DIST}/")),
            ],
        ),
        "publish": Job(
            name="Publish to PyPI",
            needs=["build"],
            runs_on=RUNS_ON,
            # Trusted publishing: PyPI trusts this repository's `release` workflow in the `pypi`
            # environment, so no token is stored. The OIDC token is the job's only permission.
            environment="pypi",
            permissions=JobPermissions(id_token=JobPermission.WRITE),
            steps=[
                download_dist(),
                JobStep(
                    name="Publish to PyPI",
                    uses="pypa/gh-action-pypi-publish@release/v1",
                ),
            ],
        ),
        "github-release": Job(
            name="Create the GitHub release",
            needs=["publish"],
            runs_on=RUNS_ON,
            permissions=JobPermissions(contents=JobPermission.WRITE),
            steps=[
                WorkflowSteps.checkout(),
                download_dist(),
                JobStep(
                    name="Extract the release notes from CHANGELOG.md",
                    run='python3 scripts/release_notes.py "$GITHUB_REF_NAME" > release-notes.md',
                ),
                JobStep(
                    name="Create the release with the distributions attached",
                    env={"GH_TOKEN": "${{ github.token }}"},
                    run=(
                        'gh release create "$GITHUB_REF_NAME" --repo "$GITHUB_REPOSITORY" '
                        '--title "$GITHUB_REF_NAME" --notes-file release-notes.md '
                        f"--verify-tag {DIST}/*"
                    ),
                ),
            ],
        ),
    }
)

project.synth()
