"""``sqs-scale-to-zero from-copilot``: Copilot's documented manifests and every field become apps
that synthesize offline; each refusal is one line, exit 2, and writes nothing.

The apps are written by the command line in-process, then all synthesized once in one CDK app.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from sqs_scale_to_zero.cli import main
from sqs_scale_to_zero.copilot.manifest import read_manifest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SETS = {
    # fixture: the environment it is converted for (each stack gets its own name)
    "doc_single_queue": "single",
    "doc_spot_autoscaling": "spot",
    "doc_separate_queues": "separate",
    "init_worker": "init",
    "every_field": "every",
    "registry_image": "registry",
}
DOCKERFILES = ("cost-analyzer/Dockerfile", "every/docker/Dockerfile.worker")


@dataclass(frozen=True)
class Converted:
    source: str
    template: dict[str, Any]

    def resources(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.template["Resources"].values() if r["Type"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        (resource,) = self.resources(kind)
        return dict(resource["Properties"])


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Converted]:
    workspace = tmp_path_factory.mktemp("workspace")
    for dockerfile in DOCKERFILES:
        (workspace / dockerfile).parent.mkdir(parents=True, exist_ok=True)
        (workspace / dockerfile).write_text("FROM scratch\n")
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stacks, outputs = {}, {}
    for fixture, env in SETS.items():
        service_dir = workspace / "copilot" / fixture
        service_dir.mkdir(parents=True)
        shutil.copy(FIXTURES / f"{fixture}.yml", service_dir / "manifest.yml")
        out = workspace / "infra" / fixture
        outputs[fixture] = out
        assert (
            main(
                [
                    "from-copilot",
                    str(service_dir / "manifest.yml"),
                    "--app",
                    "demo",
                    "--env",
                    env,
                    "-o",
                    str(out),
                ]
            )
            == 0
        )
        spec = importlib.util.spec_from_file_location(f"copilot_{fixture}", out / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        stacks[fixture] = module.build(app)
    assembly = app.synth()
    return {
        fixture: Converted(
            source=(outputs[fixture] / "app.py").read_text(),
            template=assembly.get_stack_by_name(stack.stack_name).template,
        )
        for fixture, stack in stacks.items()
    }


def topic_arn(name: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":sns:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":{name}",
            ],
        ]
    }


@pytest.mark.parametrize("fixture", SETS)
def test_every_fixture_writes_an_app_with_cdk_json(
    fixture: str, converted: dict[str, Converted]
) -> None:
    assert converted[fixture].resources("AWS::ECS::Service")
    assert "from sqs_scale_to_zero import ScaleToZeroQueueService" in converted[fixture].source


def test_single_queue_sample_subscribes_its_two_copilot_topics(
    converted: dict[str, Converted],
) -> None:
    subscriptions = converted["doc_single_queue"].resources("AWS::SNS::Subscription")
    by_topic = {json.dumps(s["Properties"]["TopicArn"]): s["Properties"] for s in subscriptions}
    products = by_topic[json.dumps(topic_arn("demo-single-orders-products"))]
    assert products["FilterPolicy"] == {"event": [{"anything-but": "order_cancelled"}]}
    assert "RawMessageDelivery" not in products  # the SNS envelope, as Copilot delivered
    assert json.dumps(topic_arn("demo-single-warehouse-inventory")) in by_topic


def test_single_queue_sample_keeps_the_queue_settings(converted: dict[str, Converted]) -> None:
    queues = converted["doc_single_queue"].resources("AWS::SQS::Queue")
    (queue,) = [q["Properties"] for q in queues if "RedrivePolicy" in q["Properties"]]
    assert queue["MessageRetentionPeriod"] == 96 * 3600
    assert queue["VisibilityTimeout"] == 30
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 10


def test_single_queue_sample_keeps_size_count_and_secret(converted: dict[str, Converted]) -> None:
    result = converted["doc_single_queue"]
    task = result.one("AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == ("256", "512")
    assert result.one("AWS::ApplicationAutoScaling::ScalableTarget")["MaxCapacity"] == 3
    (container,) = task["ContainerDefinitions"]
    (secret,) = container["Secrets"]
    assert secret["Name"] == "DB"
    assert ":secret:mysql" in json.dumps(secret["ValueFrom"])


def test_queue_delay_becomes_the_backlog_one_task_carries() -> None:
    text = (FIXTURES / "doc_spot_autoscaling.yml").read_text()
    plan = read_manifest(text, app="demo", env="spot")
    assert plan.messages_per_task == 2400  # 10m / 250ms, as Copilot's docs compute it
    assert plan.max_capacity == 10


def test_spot_sample_app_sizes_to_2400_messages_per_task(converted: dict[str, Converted]) -> None:
    assert "messages_per_task=2400," in converted["doc_spot_autoscaling"].source
    assert (
        converted["doc_spot_autoscaling"].one("AWS::ApplicationAutoScaling::ScalableTarget")[
            "MaxCapacity"
        ]
        == 10
    )


def test_what_is_not_carried_over_is_listed_in_the_app(converted: dict[str, Converted]) -> None:
    spot = converted["doc_spot_autoscaling"].source
    assert "- exec: ECS Exec is not enabled" in spot
    assert "- count.range.spot_from:" in spot and "- count.range.min: min 1" in spot
    separate = converted["doc_separate_queues"].source
    assert "- subscribe.topics[0].queue: one queue per service" in separate


def test_copilot_queue_uri_is_given_to_the_container(converted: dict[str, Converted]) -> None:
    (container,) = converted["init_worker"].one("AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    names = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert names["COPILOT_QUEUE_URI"] == names["QUEUE_URL"]
    assert (names["COPILOT_APPLICATION_NAME"], names["COPILOT_ENVIRONMENT_NAME"]) == (
        "demo",
        "init",
    )


def test_registry_image_is_pulled_by_location(converted: dict[str, Converted]) -> None:
    (container,) = converted["registry_image"].one("AWS::ECS::TaskDefinition")[
        "ContainerDefinitions"
    ]
    assert container["Image"] == "public.ecr.aws/docker/library/python:3.12-slim"


# --- every field ---------------------------------------------------------------------------


def every_container(converted: dict[str, Converted]) -> dict[str, Any]:
    (container,) = converted["every_field"].one("AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    return dict(container)


def test_every_field_size_platform_and_command(converted: dict[str, Converted]) -> None:
    task = converted["every_field"].one("AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == ("1024", "2048")
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    assert every_container(converted)["Command"] == [
        "python",
        "-m",
        "sqs_scale_to_zero.worker",
        "app:handle",
        "--concurrency",
        "4",
    ]


def test_every_field_build_keeps_context_dockerfile_args_and_target(
    converted: dict[str, Converted],
) -> None:
    source = converted["every_field"].source
    assert 'str(WORKSPACE / "every"), file="docker/Dockerfile.worker"' in source
    assert 'build_args={"PYTHON": "3.12"}, target="runtime"' in source


def test_every_field_environment_override_applies(converted: dict[str, Converted]) -> None:
    result = converted["every_field"]
    assert result.one("AWS::ApplicationAutoScaling::ScalableTarget")["MaxCapacity"] == 7
    names = {e["Name"]: e["Value"] for e in every_container(converted)["Environment"]}
    assert names["LOG_LEVEL"] == "debug" and names["FEATURE_ON"] == "true"
    assert names["BUCKET"] == {"Fn::ImportValue": "shared-bucket-name"}


def test_every_field_queue_delay_rounds_up_as_copilot(converted: dict[str, Converted]) -> None:
    assert "messages_per_task=9," in converted["every_field"].source  # ceil(60 / 7)


def test_every_field_secrets(converted: dict[str, Converted]) -> None:
    secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in every_container(converted)["Secrets"]}
    assert ":parameter/GH_TOKEN_SECRET" in secrets["GITHUB_TOKEN"]
    assert ":parameter/copilot/demo/every/secrets/api_key" in secrets["API_KEY"]
    assert ":parameter/team/token" in secrets["SSM_BY_ARN"]
    assert ":secret:mysql" in secrets["DB_PASSWORD"] and ":password::" in secrets["DB_PASSWORD"]
    assert ":password:AWSPREVIOUS:" in secrets["DB_PREVIOUS"]
    assert "demo/test/mysql-Yi6mvL" in secrets["DB_BY_ARN"]


def test_every_field_fifo_queue_and_fifo_topics(converted: dict[str, Converted]) -> None:
    result = converted["every_field"]
    queues = result.resources("AWS::SQS::Queue")
    (queue,) = [q["Properties"] for q in queues if "RedrivePolicy" in q["Properties"]]
    assert queue["FifoQueue"] is True and queue["ContentBasedDeduplication"] is True
    assert queue["DelaySeconds"] == 30
    assert queue["MessageRetentionPeriod"] == 4 * 86400 and queue["VisibilityTimeout"] == 120
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    arns = {
        json.dumps(s["Properties"]["TopicArn"]) for s in result.resources("AWS::SNS::Subscription")
    }
    assert arns == {
        json.dumps(topic_arn("demo-every-api-events.fifo")),
        json.dumps(topic_arn("demo-every-shop-orders.fifo")),
    }


# --- refusals ------------------------------------------------------------------------------


REFUSALS = {
    "unknown_field": ("name: a\ntype: Worker Service\nimage: {location: x}\nhttp: {}\n", "http:"),
    "other_type": (
        "name: a\ntype: Backend Service\nimage: {location: x}\n",
        "type: 'Backend Service'",
    ),
    "unknown_nested": (
        "name: a\ntype: Worker Service\nimage: {location: x}\ncount: {rnage: 1-2}\n",
        "count.rnage: unknown field",
    ),
    "bad_filter_policy": (
        "name: a\ntype: Worker Service\nimage: {location: x}\nsubscribe:\n  topics:\n"
        "    - {name: t, service: s, filter_policy: {event: order_placed}}\n",
        "subscribe.topics[0].filter_policy: not a valid SNS filter policy",
    ),
    "bad_duration": (
        "name: a\ntype: Worker Service\nimage: {location: x}\nsubscribe: {queue: {timeout: 30}}\n",
        "subscribe.queue.timeout: 30 is not a duration",
    ),
    "retention_too_long": (
        "name: a\ntype: Worker Service\nimage: {location: x}\nsubscribe: {queue: {retention: 15d}}\n",
        "subscribe.queue.retention: must be from 1m to 14d",
    ),
    "windows": (
        "name: a\ntype: Worker Service\nimage: {location: x}\nplatform: windows/x86_64\n",
        "platform: 'windows' is not supported",
    ),
    "bad_range": (
        "name: a\ntype: Worker Service\nimage: {location: x}\ncount: {range: 5-2}\n",
        "count.range: max (2)",
    ),
    "tries_zero": (
        "name: a\ntype: Worker Service\nimage: {location: x}\n"
        "subscribe: {queue: {dead_letter: {tries: 0}}}\n",
        "subscribe.queue.dead_letter.tries: must be from 1 to 1000",
    ),
    "shell_placeholder": (
        "name: a\ntype: Worker Service\nimage: {location: 'repo:${TAG}'}\n",
        "${TAG}: Copilot fills it from your shell",
    ),
    "both_images": (
        "name: a\ntype: Worker Service\nimage: {location: x, build: Dockerfile}\n",
        "image: give exactly one of build and location",
    ),
    "bad_cpu": (
        "name: a\ntype: Worker Service\nimage: {location: x}\ncpu: 100\n",
        "cpu: must be from 256",
    ),
    "not_yaml": ("name: [\n", "manifest: not YAML"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusal_is_one_line_exit_2_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = REFUSALS[case]
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(text)
    out = tmp_path / "out"
    code = main(["from-copilot", str(manifest), "--app", "demo", "--env", "test", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1 and expected in captured.err, captured.err
    assert not out.exists()


def test_a_bad_app_name_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "m.yml"
    manifest.write_text("name: a\ntype: Worker Service\nimage: {location: x}\n")
    assert (
        main(
            [
                "from-copilot",
                str(manifest),
                "--app",
                "Demo",
                "--env",
                "t",
                "-o",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "--app: 'Demo' is not a Copilot name" in capsys.readouterr().err


def test_an_existing_app_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.yml"
    manifest.write_text("name: a\ntype: Worker Service\nimage: {location: x}\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "app.py").write_text("mine\n")
    assert (
        main(
            ["from-copilot", str(manifest), "--app", "d", "--env", "t", "-o", str(tmp_path / "out")]
        )
        == 2
    )
    assert "app.py exists" in capsys.readouterr().err
    assert (tmp_path / "out" / "app.py").read_text() == "mine\n"


def test_the_not_carried_list_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.yml"
    shutil.copy(FIXTURES / "doc_single_queue.yml", manifest)
    assert (
        main(["from-copilot", str(manifest), "--app", "d", "--env", "t", "-o", str(tmp_path / "o")])
        == 0
    )
    printed = capsys.readouterr().out
    assert "not carried over:\n  exec: ECS Exec is not enabled" in printed
    assert json.loads((tmp_path / "o" / "cdk.json").read_text()) == {
        "app": "python3 app.py",
        "context": {"@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption": True},
    }


def test_the_from_copilot_example_is_what_the_command_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = FIXTURES.parents[2] / "examples"
    manifest = "from_copilot/copilot/cost-analyzer/manifest.yml"
    monkeypatch.chdir(examples)
    out = tmp_path / "out"
    assert main(["from-copilot", manifest, "--app", "shop", "--env", "prod", "-o", str(out)]) == 0
    written = (out / "app.py").read_text().splitlines()
    committed = (examples / "from_copilot" / "app.py").read_text().splitlines()
    differing = [(a, b) for a, b in zip(written, committed, strict=True) if a != b]
    # Only the workspace's path relative to the output differs.
    assert [b for _, b in differing] == [
        'WORKSPACE = (Path(__file__).resolve().parent / ".").resolve()'
    ]


def test_the_converter_never_imports_aws_cdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from sqs_scale_to_zero.copilot.command import from_copilot; "
        "from sqs_scale_to_zero.schedules.cron_yaml import schedules_from_cron_yaml; "
        "print('aws_cdk' in sys.modules or 'jsii' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
