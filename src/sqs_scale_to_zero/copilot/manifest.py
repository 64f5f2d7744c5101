"""Walk a Copilot Worker Service manifest into a :class:`WorkerPlan`.

Fields follow Copilot's manifest reference ("Worker Service" in the aws/copilot-cli
repository, ``site/content/docs/manifest/worker-service.en.md``). The manifest is read as
Copilot reads it for ``--env``: the ``environments.ENV`` section is merged over the rest, and
``${COPILOT_APPLICATION_NAME}``/``${COPILOT_ENVIRONMENT_NAME}`` are filled in.
"""

from __future__ import annotations

import math
import os
import re
import shlex
from collections.abc import Mapping
from typing import Any

import yaml  # type: ignore[import-untyped]

from sqs_scale_to_zero.copilot.fields import (
    duration_seconds,
    mapping,
    only,
    string,
    whole,
)
from sqs_scale_to_zero.copilot.plan import (
    ImageBuild,
    ImportedValue,
    ManifestError,
    WorkerPlan,
)
from sqs_scale_to_zero.copilot.secrets import secret_ref
from sqs_scale_to_zero.copilot.subscribe import read_subscribe

WORKER_SERVICE = "Worker Service"

NOT_CARRIED = {
    "exec": "ECS Exec is not enabled by the construct: set enable_execute_command on "
    "worker.service's resource if you need it",
    "network": "the construct makes its own VPC: pass vpc=, vpc_subnets= and security_groups= "
    "for Copilot's environment network",
    "sidecars": "the construct runs one container: add sidecars to worker.task_definition",
    "logging": "FireLens routing is not carried: the container logs to CloudWatch Logs",
    "observability": "X-Ray tracing is not carried: add the daemon to worker.task_definition",
    "storage": "volumes are not carried: add them to worker.task_definition",
    "taskdef_overrides": "CloudFormation overrides of Copilot's template do not apply here",
    "deployment": "the construct's rolling deployment drains old tasks between messages; "
    "rollback alarms are not carried",
    "publish": "this service's own topics are not carried: create sns.Topic in the app",
    "env_file": "an env file from S3 is not carried: list the variables under variables",
    "image.credentials": "private registry credentials are not carried: pass credentials= to "
    "ecs.ContainerImage.from_registry",
    "image.labels": "Docker labels are not carried: add them to worker.container",
    "image.depends_on": "container dependencies need sidecars, which are not carried",
    "image.healthcheck": "the container health check is not carried: the worker reports "
    "health by consuming; add one to worker.container if you need it",
    "image.build.cache_from": "build cache sources are not carried",
    "entrypoint": "the construct sets command only: set the entry point in the image",
}
"""Top-level (and ``image.*``) fields the app does not carry over, and why."""

_TOP_LEVEL = (
    "name",
    "type",
    "image",
    "cpu",
    "memory",
    "platform",
    "count",
    "command",
    "variables",
    "secrets",
    "subscribe",
    "environments",
    *[name for name in NOT_CARRIED if "." not in name],
)
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def read_manifest(text: str, *, app: str, env: str) -> WorkerPlan:
    """The plan for the Worker Service manifest ``text`` deployed as ``app``/``env``.

    Args:
        text: The manifest's YAML.
        app: The Copilot application name (topic names and placeholders).
        env: The Copilot environment name (its ``environments`` section applies).

    Raises:
        ManifestError: An unknown field, another service type, or a bad value; one line.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ManifestError(f"manifest: not YAML ({str(error).splitlines()[0]})") from None
    manifest = dict(mapping(document, "manifest"))
    kind = manifest.get("type")
    if kind != WORKER_SERVICE:
        raise ManifestError(
            f"type: {kind!r} is not a Worker Service: from-copilot converts "
            f"'type: {WORKER_SERVICE}' manifests only"
        )
    only(manifest, "", _TOP_LEVEL)
    overrides = manifest.pop("environments", None) or {}
    overrides = mapping(overrides, "environments")
    if env in overrides and overrides[env] is not None:
        override = mapping(overrides[env], f"environments.{env}")
        only(override, f"environments.{env}", [k for k in _TOP_LEVEL if k not in ("name", "type")])
        manifest = _merge(manifest, override)
    manifest = _fill(manifest, {"COPILOT_APPLICATION_NAME": app, "COPILOT_ENVIRONMENT_NAME": env})
    plan = WorkerPlan(service=string(manifest.get("name"), "name"), app=app, env=env)
    for name, why in NOT_CARRIED.items():
        if "." not in name and name in manifest:
            plan.drop(name, why)
    _image(manifest.get("image"), plan)
    if "cpu" in manifest:
        plan.cpu = whole(manifest["cpu"], "cpu", 256, 16384)
    if "memory" in manifest:
        plan.memory = whole(manifest["memory"], "memory", 512, 122880)
    _platform(manifest.get("platform"), plan)
    _count(manifest.get("count"), plan)
    if "command" in manifest:
        plan.command = _command(manifest["command"])
    _variables(manifest.get("variables"), plan)
    for name, value in mapping(manifest.get("secrets") or {}, "secrets").items():
        reference = secret_ref(value, f"secrets.{name}")
        if reference is None:
            plan.drop(f"secrets.{name}", "from_cfn secrets are not carried: pass its ARN")
        else:
            plan.secrets[name] = reference
    read_subscribe(manifest.get("subscribe"), plan)
    if plan.max_receive_count is None:
        plan.drop(
            "subscribe.queue.dead_letter",
            "absent: Copilot kept failing messages until retention; the construct moves a "
            "message to a dead-letter queue after 3 receives (set max_receive_count)",
        )
    return plan


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _fill(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for match in _PLACEHOLDER.finditer(value):
            if match.group(1) not in names:
                raise ManifestError(
                    f"{match.group(0)}: Copilot fills it from your shell at deploy time; "
                    "write its value into the manifest"
                )
        return _PLACEHOLDER.sub(lambda m: names[m.group(1)], value)
    if isinstance(value, Mapping):
        return {key: _fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    return value


def _image(value: object, plan: WorkerPlan) -> None:
    image = mapping(value, "image")
    only(
        image, "image", ("build", "location", "credentials", "labels", "depends_on", "healthcheck")
    )
    for key in ("credentials", "labels", "depends_on", "healthcheck"):
        if key in image:
            plan.drop(f"image.{key}", NOT_CARRIED[f"image.{key}"])
    if ("build" in image) == ("location" in image):
        raise ManifestError("image: give exactly one of build and location")
    if "location" in image:
        plan.image_location = string(image["location"], "image.location")
        return
    build = image["build"]
    if isinstance(build, str):
        context = os.path.normpath(os.path.dirname(build) or ".")
        plan.image_build = ImageBuild(context=context, dockerfile=os.path.basename(build))
        return
    build = mapping(build, "image.build")
    only(build, "image.build", ("context", "dockerfile", "args", "target", "cache_from"))
    if "cache_from" in build:
        plan.drop("image.build.cache_from", NOT_CARRIED["image.build.cache_from"])
    dockerfile = build.get("dockerfile")
    given_context = build.get("context")
    if dockerfile is None and given_context is None:
        raise ManifestError("image.build: give a dockerfile, a context, or both")
    context = (
        os.path.dirname(string(dockerfile, "image.build.dockerfile")) or "."
        if given_context is None
        else string(given_context, "image.build.context")
    )
    relative = (
        "Dockerfile"
        if dockerfile is None
        else os.path.relpath(string(dockerfile, "image.build.dockerfile"), context)
    )
    args = mapping(build.get("args") or {}, "image.build.args")
    plan.image_build = ImageBuild(
        context=os.path.normpath(context),
        dockerfile=relative,
        args={key: str(item) for key, item in args.items()},
        target=None
        if build.get("target") is None
        else string(build["target"], "image.build.target"),
    )


def _platform(value: object, plan: WorkerPlan) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        only(value, "platform", ("osfamily", "architecture"))
        osfamily = str(value.get("osfamily", "linux")).lower()
        architecture = str(value.get("architecture", "x86_64")).lower()
    else:
        osfamily, _, architecture = string(value, "platform").lower().partition("/")
    if osfamily != "linux":
        raise ManifestError(
            f"platform: {osfamily!r} is not supported: the construct runs Linux containers; "
            "use linux/x86_64 or linux/arm64"
        )
    if architecture not in ("x86_64", "amd64", "arm64", "arm"):
        raise ManifestError(
            f"platform: architecture {architecture!r} is unknown: use x86_64 or arm64"
        )
    plan.arm64 = architecture in ("arm64", "arm")


def _count(value: object, plan: WorkerPlan) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        count = whole(value, "count", 0)
        plan.max_capacity = max(count, 1)
        plan.drop(
            "count",
            f"{count} tasks at all times becomes max_capacity={plan.max_capacity}: the service "
            "runs 0 tasks while idle and scales out on the backlog",
        )
        return
    only(
        value,
        "count",
        ("range", "spot", "cooldown", "cpu_percentage", "memory_percentage", "queue_delay"),
    )
    for key in ("cpu_percentage", "memory_percentage"):
        if key in value:
            plan.drop(
                f"count.{key}",
                "no CPU or memory target tracking: it would stop tasks mid-message; the "
                "service scales on the backlog",
            )
    if "cooldown" in value:
        plan.drop("count.cooldown", "the construct's scale_out_cooldown and idle_timeout apply")
    if "spot" in value:
        plan.drop("count.spot", "pass capacity_provider_strategies with FARGATE_SPOT instead")
    if "range" in value:
        _range(value["range"], plan)
    if "queue_delay" in value:
        _queue_delay(value["queue_delay"], plan)


def _range(value: object, plan: WorkerPlan) -> None:
    if isinstance(value, str):
        low_text, dash, high_text = value.partition("-")
        if not dash or not low_text.isdigit() or not high_text.isdigit():
            raise ManifestError(f"count.range: {value!r} is not 'MIN-MAX', e.g. '1-10'")
        low, high = int(low_text), int(high_text)
    else:
        spec = mapping(value, "count.range")
        only(spec, "count.range", ("min", "max", "spot_from"))
        low = whole(spec.get("min", 0), "count.range.min", 0)
        high = whole(spec.get("max"), "count.range.max", 1)
        if "spot_from" in spec:
            plan.drop(
                "count.range.spot_from",
                "pass capacity_provider_strategies with FARGATE_SPOT instead",
            )
    if high < max(low, 1):
        raise ManifestError(f"count.range: max ({high}) must be at least 1 and at least min")
    plan.max_capacity = high
    if low > 0:
        plan.drop(
            "count.range.min",
            f"min {low} is not kept: idle means 0 tasks, and one message wakes the service",
        )


def _queue_delay(value: object, plan: WorkerPlan) -> None:
    spec = mapping(value, "count.queue_delay")
    only(spec, "count.queue_delay", ("acceptable_latency", "msg_processing_time", "cooldown"))
    for key in ("acceptable_latency", "msg_processing_time"):
        if key not in spec:
            raise ManifestError(f"count.queue_delay.{key}: required with queue_delay")
    latency = duration_seconds(spec["acceptable_latency"], "count.queue_delay.acceptable_latency")
    processing = duration_seconds(
        spec["msg_processing_time"], "count.queue_delay.msg_processing_time"
    )
    if latency <= 0 or processing <= 0:
        raise ManifestError("count.queue_delay: both durations must be above zero")
    # As Copilot's AcceptableBacklogPerTask: ceil(acceptable_latency / msg_processing_time).
    plan.messages_per_task = max(1, math.ceil(latency / processing))
    if "cooldown" in spec:
        plan.drop("count.queue_delay.cooldown", "the construct's scale_out_cooldown applies")


def _command(value: object) -> list[str]:
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return list(value)
    raise ManifestError("command: must be a string or a list of strings")


def _variables(value: object, plan: WorkerPlan) -> None:
    for name, item in mapping(value or {}, "variables").items():
        where = f"variables.{name}"
        if isinstance(item, Mapping):
            only(item, where, ("from_cfn",))
            plan.environment[name] = ImportedValue(
                string(item.get("from_cfn"), f"{where}.from_cfn")
            )
        elif isinstance(item, str | int | float | bool):
            plan.environment[name] = str(item).lower() if isinstance(item, bool) else str(item)
        else:
            raise ManifestError(f"{where}: must be a string or {{from_cfn: EXPORT}}")
