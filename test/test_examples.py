"""Every example app synthesizes offline, passes cdk-nag's AwsSolutions pack with no
unacknowledged finding, passes CDK's own template validation, and has no cfn-lint error.

All examples are synthesized once, in one app, for the whole module.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks

from sqs_scale_to_zero.scaffold import template_files
from test.cdk_cli import cdk_synth, install_cdk_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/cdk.json"))
"""The CDK apps, each with its container image in its own ``worker/`` folder."""

CFN_LINT_WARNINGS_EXPLAINED = {
    # aws-cdk-lib's lambda.Function adds a DependsOn on the role it is given, beside the GetAtt
    # of the role's ARN; redundant and harmless, and not ours to remove.
    ("W3005", "BacklogSignalRole"): "lambda.Function's own DependsOn on its role",
}
"""(cfn-lint warning rule, resource name part) -> why that warning is acceptable."""


def explained(match: Any) -> bool:
    return any(
        match.rule.id == rule and part in str(match) for rule, part in CFN_LINT_WARNINGS_EXPLAINED
    )


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class SynthesizedExample:
    stack_name: str
    template: dict[str, Any]
    template_path: Path
    region: str | None
    """The stack's region when the example pins one (its instance types exist only in some)."""


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthesizedExample]:
    """Synthesize every example into one app with the AwsSolutions pack; raises on a finding."""
    outdir = tmp_path_factory.mktemp("examples")
    app = cdk.App(outdir=str(outdir))
    stacks = {}
    for name in EXAMPLE_NAMES:
        build: Callable[[cdk.App], cdk.Stack] = load_example(name).build
        stacks[name] = build(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    # Also no warning from CDK's own template validation (e.g. malformed subnet IDs).
    report = outdir / "validation-report.json"
    if report.exists():
        assert json.loads(report.read_text())["pluginReports"] == [], report.read_text()
    return {
        name: SynthesizedExample(
            stack_name=stack.stack_name,
            template=assembly.get_stack_by_name(stack.stack_name).template,
            template_path=outdir / stack.template_file,
            region=None if cdk.Token.is_unresolved(stack.region) else stack.region,
        )
        for name, stack in stacks.items()
    }


def test_the_eight_scenarios_exist() -> None:
    assert EXAMPLE_NAMES == [
        "basic",
        "beanstalk_worker",
        "cost_optimised",
        "from_copilot",
        "gpu_worker",
        "http_worker",
        "low_latency",
        "seed_parity",
    ]
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == EXAMPLE_NAMES


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_starts_with_a_docstring_saying_what_and_how(name: str) -> None:
    doc = load_example(name).__doc__ or ""
    assert "What it shows" in doc and "Synthesize" in doc and "sqs-scale-to-zero synth" in doc


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_passes_cdk_nag_and_cfn_lint(
    name: str, examples: dict[str, SynthesizedExample]
) -> None:
    from cfnlint.api import (  # type: ignore[import-untyped]
        REGIONS as ALL_REGIONS,
    )
    from cfnlint.api import (
        ManualArgs,
        lint,
    )

    example = examples[name]
    assert example.template["Resources"]
    regions = [example.region] if example.region else ALL_REGIONS
    matches = lint(
        example.template_path.read_text(),
        config=ManualArgs(include_checks=["I"], include_experimental=True, regions=regions),
    )
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)
    unexplained = [str(m) for m in matches if m.rule.id.startswith("W") and not explained(m)]
    assert not unexplained, "\n".join(unexplained)


def test_seed_parity_synthesizes_without_credentials_from_shipped_lookups(
    examples: dict[str, SynthesizedExample],
) -> None:
    template = examples["seed_parity"].template
    (service,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Service"]
    subnets = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    context = json.loads((EXAMPLES / "seed_parity" / "cdk.context.json").read_text())
    (vpc,) = context.values()
    private = next(g for g in vpc["subnetGroups"] if g["type"] == "Private")
    assert subnets == [s["subnetId"] for s in private["subnets"]]


def test_seed_parity_has_the_blogs_shape_in_one_stack(
    examples: dict[str, SynthesizedExample],
) -> None:
    resources = examples["seed_parity"].template["Resources"].values()
    queue = next(
        r["Properties"]
        for r in resources
        if r["Type"] == "AWS::SQS::Queue"
        and r["Properties"].get("QueueName") == "sample-queue.fifo"
    )
    assert queue["FifoQueue"] and queue["ContentBasedDeduplication"]
    assert (queue["VisibilityTimeout"], queue["MessageRetentionPeriod"]) == (43200, 345600)
    assert queue["ReceiveMessageWaitTimeSeconds"] == 20
    assert queue["KmsMasterKeyId"].endswith(":key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")
    task = next(r["Properties"] for r in resources if r["Type"] == "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == ("4096", "8192")
    assert task["ContainerDefinitions"][0]["Secrets"][0]["Name"] == "DATABASE_NAME"
    target = next(
        r["Properties"]
        for r in resources
        if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
    )
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 1)
    statements = [
        s
        for r in resources
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert sum(1 for s in statements if s["Action"] == "kms:Decrypt") >= 2  # queue CMK + the blog's


@pytest.fixture(scope="module")
def copied_examples(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, dict[str, dict[str, Any]]]]:
    """Each example copied alone into a temporary folder and synthesized there by ``cdk synth``."""
    cdk = install_cdk_cli(tmp_path_factory)
    copies = {}
    for name in EXAMPLE_NAMES:
        copy = tmp_path_factory.mktemp("copied") / name
        shutil.copytree(EXAMPLES / name, copy, ignore=shutil.ignore_patterns("cdk.out"))
        copies[name] = (copy, cdk_synth(cdk, copy))
    return copies


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_synthesizes_with_the_cdk_cli_where_it_is_copied(
    name: str, copied_examples: dict[str, tuple[Path, dict[str, dict[str, Any]]]]
) -> None:
    copy, templates = copied_examples[name]
    ((stack_name, template),) = templates.items()
    types = {r["Type"] for r in template["Resources"].values()}
    assert "AWS::ECS::Service" in types

    # the image is built from the example's own folder (worker/, or app/ over HTTP), as copied
    assets = json.loads((copy / "cdk.out" / f"{stack_name}.assets.json").read_text())
    staged = [
        files(copy / "cdk.out" / image["source"]["directory"])
        for image in assets["dockerImages"].values()
        if image["source"].get("dockerFile", "Dockerfile") == "Dockerfile"
    ]
    image_folder = copy / ("app" if (copy / "app").is_dir() else "worker")
    assert files(image_folder) in staged


@pytest.mark.parametrize("name", [n for n in EXAMPLE_NAMES if (EXAMPLES / n / "worker").is_dir()])
def test_example_worker_folder_is_the_one_new_writes(name: str) -> None:
    expected = {
        path: text for path, text in template_files("python").items() if path.parts[0] == "worker"
    }
    folder = EXAMPLES / name / "worker"
    actual = {
        p.relative_to(EXAMPLES / name): p.read_text()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert actual == expected


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_app_names_no_path_outside_its_folder(name: str) -> None:
    source = (EXAMPLES / name / "app.py").read_text()
    assert not re.search(r"parents\[|\.parent\.parent|\.\./", source)


def files(folder: Path) -> list[str]:
    """The files below ``folder``, relative to it, sorted."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def test_http_worker_posts_to_the_port_its_app_listens_on(
    examples: dict[str, SynthesizedExample],
) -> None:
    resources = examples["http_worker"].template["Resources"].values()
    task = next(r["Properties"] for r in resources if r["Type"] == "AWS::ECS::TaskDefinition")
    containers = {c["Name"]: c for c in task["ContainerDefinitions"]}
    app = {e["Name"]: e["Value"] for e in containers["Worker"]["Environment"]}
    runtime = {e["Name"]: e["Value"] for e in containers["Runtime"]["Environment"]}
    assert app == {"PORT": "8080"}
    assert runtime["SCALE_TO_ZERO_DELIVER_TO"] == f"http://127.0.0.1:{app['PORT']}/work"
    assert runtime["SCALE_TO_ZERO_DELIVER_HEALTH_PATH"] == "/health"
    assert runtime["SCALE_TO_ZERO_CONCURRENCY"] == "4"
    server = (EXAMPLES / "http_worker" / "app" / "server.js").read_text()
    assert 'const WORK_PATH = "/work";' in server
    assert 'const HEALTH_PATH = "/health";' in server


def test_http_worker_is_self_contained() -> None:
    """Nothing in the example reaches outside its folder."""
    folder = EXAMPLES / "http_worker"
    for path in folder.rglob("*"):
        if path.is_file() and "cdk.out" not in path.parts:
            assert "parents[" not in path.read_text() and "../" not in path.read_text(), path
