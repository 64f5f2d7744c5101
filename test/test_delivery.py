"""Delivery modes: HTTP delivery puts the runtime beside the app; the user's own consumer gets no
runtime settings; every bad option is refused before any child construct is made.

Given a service with ``http_delivery`` (or ``own_consumer=True``), when it is synthesized, then
the task's containers, their environment, the stop order and the task role are as each mode
needs.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Annotations, Match

from sqs_scale_to_zero import HttpDelivery, ScaleToZeroQueueService
from sqs_scale_to_zero.delivery.image import BUILD_CONTEXT, DOCKERFILE, PACKAGE_DIR
from sqs_scale_to_zero.worker import contract
from test.conftest import Synthesized, synthesize
from test.test_compute import role_statements
from test.test_validation import assert_rejected

APP_IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/node:22-slim")
RUNTIME_ENVIRONMENT = {
    contract.QUEUE_URL,
    contract.QUEUE_NAME,
    contract.TASK_PROTECTION,
    contract.SHUTDOWN_GRACE_SECONDS,
    contract.VISIBILITY_TIMEOUT_SECONDS,
    contract.DEPLOY_STACK,
    contract.DEPLOY_SERVICE_RESOURCE,
    contract.DEPLOY_CHECK_SECONDS,
}
"""What the runtime reads about its queue, protection, shutdown and deploys, in every mode."""


@pytest.fixture(scope="module")
def http_service() -> Synthesized:
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=APP_IMAGE,
            command=["node", "server.js"],
            environment={"GREETING": "hello", contract.CONCURRENCY: "4"},
            stop_timeout=cdk.Duration.seconds(60),
            http_delivery=HttpDelivery(
                port=8080,
                path="/work",
                content_type="text/plain; charset=utf-8",
                inactivity_timeout=cdk.Duration.minutes(10),
                health_path="/health",
            ),
        )
    )


@pytest.fixture(scope="module")
def own_consumer_service() -> Synthesized:
    return synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack,
            "Worker",
            image=APP_IMAGE,
            command=["node", "consumer.js"],
            environment={"GREETING": "hello"},
            own_consumer=True,
        )
    )


def containers(synth: Synthesized) -> dict[str, dict[str, Any]]:
    (task,) = synth.resources("AWS::ECS::TaskDefinition").values()
    return {c["Name"]: c for c in task["Properties"]["ContainerDefinitions"]}


def environment_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in container.get("Environment", [])}


# HTTP delivery: two containers ------------------------------------------------------------


def test_http_delivery_adds_the_runtime_as_a_second_essential_container(
    http_service: Synthesized,
) -> None:
    found = containers(http_service)
    assert list(found) == ["Worker", "Runtime"]
    assert found["Worker"]["Essential"] is True
    assert found["Runtime"]["Essential"] is True
    assert found["Worker"]["Command"] == ["node", "server.js"]
    assert "Command" not in found["Runtime"], "the runtime image's own CMD runs the runtime"
    assert http_service.construct.runtime_container is not None
    assert http_service.construct.runtime_container.container_name == "Runtime"


def test_runtime_starts_after_the_app_so_ecs_stops_it_first(http_service: Synthesized) -> None:
    """ECS reverses a container dependency on shutdown: the runtime gets SIGTERM first and
    the app keeps serving its open requests until the runtime has exited."""
    found = containers(http_service)
    assert found["Runtime"]["DependsOn"] == [{"ContainerName": "Worker", "Condition": "START"}]
    assert "DependsOn" not in found["Worker"]
    assert found["Runtime"]["StopTimeout"] == found["Worker"]["StopTimeout"] == 60


def test_neither_container_maps_a_port(http_service: Synthesized) -> None:
    """One network namespace (awsvpc): the runtime reaches the app on 127.0.0.1."""
    for container in containers(http_service).values():
        assert "PortMappings" not in container


def test_runtime_gets_the_queue_the_delivery_and_the_worker_settings(
    http_service: Synthesized,
) -> None:
    env = environment_of(containers(http_service)["Runtime"])
    assert set(env) == RUNTIME_ENVIRONMENT | {
        contract.DEAD_LETTER_QUEUE_URL,  # the construct made the DLQ: raise DeadLetter works
        contract.DELIVER_TO,
        contract.DELIVER_CONTENT_TYPE,
        contract.DELIVER_TIMEOUT_SECONDS,
        contract.DELIVER_HEALTH_PATH,
        contract.CONCURRENCY,
    }
    assert env[contract.DELIVER_TO] == "http://127.0.0.1:8080/work"
    assert env[contract.DELIVER_CONTENT_TYPE] == "text/plain; charset=utf-8"
    assert env[contract.DELIVER_TIMEOUT_SECONDS] == "600"
    assert env[contract.DELIVER_HEALTH_PATH] == "/health"
    assert env[contract.CONCURRENCY] == "4"
    assert env[contract.SHUTDOWN_GRACE_SECONDS] == "50"
    queue_id = http_service.logical_id(http_service.construct.queue)
    assert env[contract.QUEUE_URL] == {"Ref": queue_id}
    service_id = http_service.logical_id(http_service.construct.service)
    assert env[contract.DEPLOY_SERVICE_RESOURCE] == service_id


def test_app_gets_only_its_own_variables(http_service: Synthesized) -> None:
    assert environment_of(containers(http_service)["Worker"]) == {"GREETING": "hello"}


def test_delivery_defaults_follow_beanstalk() -> None:
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack, "Worker", image=APP_IMAGE, http_delivery=HttpDelivery()
        )
    )
    env = environment_of(containers(synth)["Runtime"])
    assert env[contract.DELIVER_TO] == "http://127.0.0.1:80/"
    assert env[contract.DELIVER_CONTENT_TYPE] == "application/json"
    assert env[contract.DELIVER_TIMEOUT_SECONDS] == "180"
    assert contract.DELIVER_HEALTH_PATH not in env
    assert "Environment" not in containers(synth)["Worker"]


def test_both_containers_log_to_the_task_log_group_apart(http_service: Synthesized) -> None:
    options = {
        name: c["LogConfiguration"]["Options"] for name, c in containers(http_service).items()
    }
    assert options["Worker"]["awslogs-group"] == options["Runtime"]["awslogs-group"]
    assert options["Worker"]["awslogs-stream-prefix"] == "worker"
    assert options["Runtime"]["awslogs-stream-prefix"] == "runtime"


def test_task_role_may_protect_the_task_and_read_its_deployments(
    http_service: Synthesized, default_service: Synthesized
) -> None:
    def actions(synth: Synthesized) -> list[Any]:
        statements = role_statements(synth, synth.construct.task_definition.task_role)
        return sorted(json.dumps(s["Action"]) for s in statements)

    assert actions(http_service) == actions(default_service)
    assert '["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"]' in actions(http_service)
    assert '"ecs:DescribeServices"' in actions(http_service)


def test_runtime_image_is_an_asset_of_the_worker_package_and_its_dockerfile(
    tmp_path: Any,
) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(
        app, "Assets", env=cdk.Environment(account="123456789012", region="us-east-1")
    )
    ScaleToZeroQueueService(stack, "Worker", image=APP_IMAGE, http_delivery=HttpDelivery())
    app.synth()
    manifest = json.loads((tmp_path / "Assets.assets.json").read_text())
    ((_, image),) = manifest["dockerImages"].items()
    source = image["source"]
    assert source["dockerFile"] == DOCKERFILE
    assert source["dockerBuildArgs"]["WORKER_REQUIREMENTS"].startswith("boto3>=")
    assert source["platform"] == "linux/amd64"
    staged = tmp_path / source["directory"]
    files = sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file())
    assert DOCKERFILE in files
    worker_files = sorted(
        str(p.relative_to(PACKAGE_DIR))
        for p in (PACKAGE_DIR / "worker").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert files == sorted([DOCKERFILE, *worker_files]), "exactly the worker and the Dockerfile"
    assert "*" in BUILD_CONTEXT


def test_the_runtime_image_is_built_for_an_arm64_task(tmp_path: Any) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Arm", env=cdk.Environment(account="123456789012", region="us-east-1"))
    ScaleToZeroQueueService(
        stack,
        "Worker",
        image=APP_IMAGE,
        cpu_architecture=ecs.CpuArchitecture.ARM64,
        http_delivery=HttpDelivery(),
    )
    app.synth()
    manifest = json.loads((tmp_path / "Arm.assets.json").read_text())
    ((_, image),) = manifest["dockerImages"].items()
    assert image["source"]["platform"] == "linux/arm64"


def test_a_runtime_image_from_a_registry_replaces_the_asset() -> None:
    image = ecs.ContainerImage.from_registry("registry.example/runtime:1")
    synth = synthesize(
        lambda stack: ScaleToZeroQueueService(
            stack, "Worker", image=APP_IMAGE, http_delivery=HttpDelivery(runtime_image=image)
        )
    )
    assert containers(synth)["Runtime"]["Image"] == "registry.example/runtime:1"


# The user's own consumer: no runtime, no settings nothing reads ------------------------------


def test_own_consumer_gets_the_queue_and_no_runtime_setting(
    own_consumer_service: Synthesized,
) -> None:
    (container,) = containers(own_consumer_service).values()
    env = environment_of(container)
    assert set(env) == {contract.QUEUE_URL, contract.QUEUE_NAME, "GREETING"}
    assert not [name for name in env if name.startswith(contract.RESERVED_PREFIX)]
    assert own_consumer_service.construct.runtime_container is None


def test_own_consumer_gets_no_deploy_drain_policy(own_consumer_service: Synthesized) -> None:
    policies = own_consumer_service.resources("AWS::IAM::Policy")
    assert not [logical_id for logical_id in policies if "DeployDrainPolicy" in logical_id]


def test_own_consumer_may_still_protect_its_task(own_consumer_service: Synthesized) -> None:
    """Getting the protection back by calling the ECS agent needs the permission."""
    synth = own_consumer_service
    statements = role_statements(synth, synth.construct.task_definition.task_role)
    assert ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"] in [
        s["Action"] for s in statements
    ]


def test_python_runtime_stays_one_container(default_service: Synthesized) -> None:
    (container,) = containers(default_service).values()
    assert contract.SHUTDOWN_GRACE_SECONDS in environment_of(container)
    assert contract.DELIVER_TO not in environment_of(container)
    assert default_service.construct.runtime_container is None


def test_a_command_that_does_not_run_the_runtime_is_warned_about() -> None:
    """A Node.js worker image with every default (no runtime in it): the construct says so."""

    def warnings(**props: Any) -> list[str]:
        stack = cdk.Stack(cdk.App(), "Warned")
        ScaleToZeroQueueService(stack, "Worker", image=APP_IMAGE, **props)
        found = Annotations.from_stack(stack).find_warning("*", Match.any_value())
        return [str(w.entry.data) for w in found]

    (warning,) = warnings(command=["node", "worker.js"])
    assert "set own_consumer=True" in warning and "http_delivery=HttpDelivery" in warning
    assert warnings(command=["python", "-m", "sqs_scale_to_zero.worker", "app:handle"]) == []
    assert warnings() == [], "the image's own command may well run the runtime"
    assert warnings(command=["node", "worker.js"], own_consumer=True) == []


# Bad input: each its own test ------------------------------------------------------------------


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_a_port_outside_1_to_65535_is_refused(port: int) -> None:
    assert_rejected("http_delivery.port", "1 to 65535", http_delivery=HttpDelivery(port=port))


@pytest.mark.parametrize("port", ["8080", 8080.0, True, None])
def test_a_port_that_is_not_a_whole_number_is_refused(port: Any) -> None:
    assert_rejected("http_delivery.port", "e.g. 8080", http_delivery=HttpDelivery(port=port))


@pytest.mark.parametrize("path", ["work", "", "/work?x=1", "/a b", "/work#top", 5])
def test_a_path_without_a_leading_slash_or_with_more_than_a_path_is_refused(path: Any) -> None:
    assert_rejected("http_delivery.path", "e.g. '/work'", http_delivery=HttpDelivery(path=path))


def test_a_health_path_without_a_leading_slash_is_refused() -> None:
    assert_rejected(
        "http_delivery.health_path",
        "e.g. '/health'",
        http_delivery=HttpDelivery(health_path="health"),
    )


@pytest.mark.parametrize(
    "content_type", ["json", "application/", "text /plain", "a/b\r\nX: y", 5, None]
)
def test_a_content_type_that_is_not_a_media_type_is_refused(content_type: Any) -> None:
    assert_rejected(
        "http_delivery.content_type",
        "e.g. 'application/json'",
        http_delivery=HttpDelivery(content_type=content_type),
    )


@pytest.mark.parametrize(
    ("timeout", "fix"),
    [
        (180, "Duration.seconds(180)"),
        (cdk.Duration.millis(1500), "whole seconds"),
        (cdk.Duration.hours(13), "12 hours"),
    ],
)
def test_an_inactivity_timeout_outside_1_second_to_12_hours_is_refused(
    timeout: Any, fix: str
) -> None:
    assert_rejected(
        "http_delivery.inactivity_timeout",
        fix,
        http_delivery=HttpDelivery(inactivity_timeout=timeout),
    )


def test_a_runtime_image_that_is_not_a_container_image_is_refused() -> None:
    assert_rejected(
        "http_delivery.runtime_image",
        "ecs.ContainerImage.from_registry",
        http_delivery=HttpDelivery(runtime_image="runtime:1"),  # type: ignore[arg-type]
    )


def test_a_worker_installed_apart_from_the_construct_asks_for_a_runtime_image(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """No build context holds both: the error says so and names the way out."""
    monkeypatch.setattr("sqs_scale_to_zero.delivery.image.PACKAGE_DIR", tmp_path)
    assert_rejected(
        "http_delivery.runtime_image",
        "runtime_image=ecs.ContainerImage.from_registry",
        http_delivery=HttpDelivery(),
    )


def test_http_delivery_must_be_an_http_delivery() -> None:
    assert_rejected("http_delivery", "HttpDelivery(port=8080", http_delivery={"port": 8080})


@pytest.mark.parametrize(
    "command",
    [
        ["python", "-m", "sqs_scale_to_zero.worker", "app:handle"],
        ["python", "-m", "sqs_scale_to_zero.worker"],
    ],
)
def test_http_delivery_with_a_command_that_runs_the_runtime_is_refused(command: list[str]) -> None:
    assert_rejected(
        "http_delivery",
        "the app's own start command",
        command=command,
        http_delivery=HttpDelivery(),
    )


def test_own_consumer_with_http_delivery_is_refused() -> None:
    assert_rejected(
        "own_consumer", "omit own_consumer", own_consumer=True, http_delivery=HttpDelivery()
    )


def test_own_consumer_with_a_command_that_runs_the_runtime_is_refused() -> None:
    assert_rejected(
        "own_consumer",
        "omit own_consumer",
        own_consumer=True,
        command=["python", "-m", "sqs_scale_to_zero.worker", "app:handle"],
    )


def test_own_consumer_must_be_a_bool() -> None:
    assert_rejected("own_consumer", "True or False", own_consumer="yes")


@pytest.mark.parametrize("name", [contract.CONCURRENCY, contract.LOG_LEVEL])
def test_own_consumer_refuses_worker_settings_nothing_would_read(name: str) -> None:
    value = "2" if name == contract.CONCURRENCY else "DEBUG"
    assert_rejected(
        "environment",
        "own_consumer=True does not run",
        own_consumer=True,
        environment={name: value},
    )
