"""Write a :class:`WorkerPlan` as a CDK app: ``app.py`` and ``cdk.json``.

The app is built on ``ScaleToZeroQueueService``: a starting point the user reads and owns, not
a wrapper.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any, Optional

from sqs_scale_to_zero.copilot.plan import ImportedValue, SecretRef, WorkerPlan

_COMPLETE_SECRET_ARN = re.compile(r"-[A-Za-z0-9]{6}$")
_INDENT = " " * 12
LINE_LENGTH = 100
"""The project's line length (``ruff format``): the written app is formatted as it is."""


def py(value: Any) -> str:
    """``value`` as Python source, strings in double quotes (as ruff formats them)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(py(item) for item in value) + "]"
    return repr(value)


RESTRICT_SQS_DECRYPTION = "@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption"
"""CDK's feature flag (spelled so) that limits the key policy statement ``SqsSubscription`` adds
for ``sns.amazonaws.com`` to the subscribed topic (``aws:SourceArn``)."""


def cdk_json() -> str:
    """The ``cdk.json`` beside ``app.py``."""
    document = {"app": "python3 app.py", "context": {RESTRICT_SQS_DECRYPTION: True}}
    return json.dumps(document, indent=2) + "\n"


def app_py(plan: WorkerPlan, *, manifest: str, workspace: str) -> str:
    """The app's source.

    Args:
        plan: What the manifest means.
        manifest: The manifest's path as given on the command line (for the docstring).
        workspace: The Copilot workspace relative to the app's directory (``image.build``
            paths are relative to it).
    """
    imports = {"from aws_cdk import aws_ecs as ecs"}
    props = [f"image={_image(plan)},"]
    props += _sizing(plan)
    props += _queue(plan)
    environment = _environment(plan)
    props.append(f"environment={{\n{environment}{_INDENT}}},")
    if plan.command:
        props.append(f"command={py(plan.command)},")
    if plan.secrets:
        if any(s.kind == "ssm" for s in plan.secrets.values()):
            imports.add("from aws_cdk import aws_ssm as ssm")
        if any(s.kind != "ssm" for s in plan.secrets.values()):
            imports.add("from aws_cdk import aws_secretsmanager as secretsmanager")
        lines = "".join(
            f'{_INDENT}    "{name}": {_wrapped(_secret(name, secret))},\n'
            for name, secret in plan.secrets.items()
        )
        props.append(f"secrets={{\n{lines}{_INDENT}}},")
    ours = ["ScaleToZeroQueueService"]
    if plan.topics:
        imports.add("from aws_cdk import aws_sns as sns")
        ours.append("TopicSubscription")
        lines = "".join(
            f"{_INDENT}    TopicSubscription(\n"
            f"{_INDENT}        topic=self.copilot_topic({_topic_name(plan, t.topic_name)}),\n"
            + (
                f"{_INDENT}        filter_policy={py(t.filter_policy)},\n"
                if t.filter_policy
                else ""
            )
            + f"{_INDENT}    ),\n"
            for t in plan.topics
        )
        props.append(f"topics=[\n{lines}{_INDENT}],")
    after = [
        "# Copilot gave the container the queue's URL as COPILOT_QUEUE_URI (the construct also",
        "# sets QUEUE_URL).",
        'self.worker.container.add_environment("COPILOT_QUEUE_URI", self.worker.queue.queue_url)',
    ]
    if plan.delay_seconds:
        imports.add("from aws_cdk import aws_sqs as sqs")
        after += [
            "# subscribe.queue.delay: the construct has no prop for it, so it is set on the queue.",
            "queue_resource = self.worker.queue.node.default_child",
            "assert isinstance(queue_resource, sqs.CfnQueue)",
            f"queue_resource.delay_seconds = {plan.delay_seconds}",
        ]
    class_name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", plan.service))
    body = "".join(f"{_INDENT}{line}\n" for line in props)
    tail = "".join(f"        {line}\n" if line else "\n" for line in after)
    return _APP.format(
        service=plan.service,
        app=plan.app,
        env=plan.env,
        manifest=manifest,
        not_carried=_not_carried(plan),
        imports="\n".join(sorted(imports)),
        ours=", ".join(ours),
        workspace=py(workspace),
        class_name=f"{class_name}Stack",
        props=body,
        after=tail,
        topic_method=_TOPIC_METHOD if plan.topics else "",
    )


def _topic_name(plan: WorkerPlan, topic_name: str) -> str:
    """``f"{APP}-{ENV}-SERVICE-TOPIC"``: the topic's name in the app's own terms."""
    prefix = f"{plan.app}-{plan.env}-"
    rest = topic_name[len(prefix) :] if topic_name.startswith(prefix) else topic_name
    return 'f"{APP}-{ENV}-' + rest.replace("{", "{{").replace("}", "}}") + '"'


def _image(plan: WorkerPlan) -> str:
    if plan.image_location is not None:
        return f"ecs.ContainerImage.from_registry({py(plan.image_location)})"
    build = plan.image_build
    assert build is not None
    options = f", file={py(build.dockerfile)}"
    if build.args:
        options += f", build_args={py(build.args)}"
    if build.target:
        options += f", target={py(build.target)}"
    directory = f"str(WORKSPACE / {py(build.context)})"
    one_line = f"ecs.ContainerImage.from_asset({directory}{options})"
    if len(f"{_INDENT}image={one_line},") <= LINE_LENGTH:  # as `ruff format` would write it
        return one_line
    return f"ecs.ContainerImage.from_asset(\n{_INDENT}    {directory}{options}\n{_INDENT})"


def _sizing(plan: WorkerPlan) -> list[str]:
    lines = []
    if plan.cpu is not None:
        lines.append(f"cpu={plan.cpu},")
    if plan.memory is not None:
        lines.append(f"memory_limit_mib={plan.memory},")
    if plan.arm64:
        lines.append("cpu_architecture=ecs.CpuArchitecture.ARM64,")
    if plan.max_capacity is not None:
        lines.append(f"max_capacity={plan.max_capacity},")
    if plan.messages_per_task is not None:
        lines.append(
            f"messages_per_task={plan.messages_per_task},  "
            "# count.queue_delay: acceptable_latency / msg_processing_time"
        )
    return lines


def _queue(plan: WorkerPlan) -> list[str]:
    lines = []
    if plan.fifo:
        lines.append("fifo=True,")
    if plan.content_based_deduplication:
        lines.append("content_based_deduplication=True,")
    if plan.retention_seconds is not None:
        lines.append(f"retention_period=cdk.Duration.seconds({plan.retention_seconds}),")
    if plan.visibility_timeout_seconds is not None:
        lines.append(f"visibility_timeout=cdk.Duration.seconds({plan.visibility_timeout_seconds}),")
    if plan.max_receive_count is not None:
        lines.append(f"max_receive_count={plan.max_receive_count},")
    return lines


def _environment(plan: WorkerPlan) -> str:
    values: dict[str, str] = {
        "COPILOT_APPLICATION_NAME": "APP",
        "COPILOT_ENVIRONMENT_NAME": "ENV",
        "COPILOT_SERVICE_NAME": "SERVICE",
    }
    for name, value in plan.environment.items():
        values[name] = (
            f"cdk.Fn.import_value({py(value.export_name)})"
            if isinstance(value, ImportedValue)
            else py(value)
        )
    return "".join(f'{_INDENT}    "{name}": {code},\n' for name, code in values.items())


def _secret(name: str, secret: SecretRef) -> str:
    scope = f'self, "Secret{name}"'
    if secret.kind == "ssm":
        return (
            "ecs.Secret.from_ssm_parameter(ssm.StringParameter."
            f"from_secure_string_parameter_attributes({scope}, parameter_name={py(secret.name)}))"
        )
    if secret.kind == "secretsmanager":
        source = f"secretsmanager.Secret.from_secret_name_v2({scope}, {py(secret.name)})"
    elif _COMPLETE_SECRET_ARN.search(secret.name):
        source = f"secretsmanager.Secret.from_secret_complete_arn({scope}, {py(secret.name)})"
    else:
        source = f"secretsmanager.Secret.from_secret_partial_arn({scope}, {py(secret.name)})"
    field: Optional[str] = secret.json_key
    if secret.version_stage or secret.version_id:
        version = ", ".join(
            f"{key}={py(value)}"
            for key, value in (
                ("version_stage", secret.version_stage),
                ("version_id", secret.version_id),
            )
            if value
        )
        return (
            f"ecs.Secret.from_secrets_manager_version({source}, "
            f"ecs.SecretVersionInfo({version}), {py(field)})"
        )
    return f"ecs.Secret.from_secrets_manager({source}{f', {py(field)}' if field else ''})"


def _wrapped(call: str) -> str:
    """``outer(inner, ...)`` split after the outer call's parenthesis, as ruff would."""
    head, _, rest = call.partition("(")
    return f"{head}(\n{_INDENT}        {rest[:-1]}\n{_INDENT}    )"


def _not_carried(plan: WorkerPlan) -> str:
    if not plan.not_carried:
        return "Every field of the manifest is carried over.\n"
    lines = "".join(
        textwrap.fill(f"{name}: {why}", 96, initial_indent="- ", subsequent_indent="  ") + "\n"
        for name, why in plan.not_carried
    )
    return f"Not carried over from the manifest:\n\n{lines}"


_TOPIC_METHOD = '''
    def copilot_topic(self, topic_name: str) -> sns.ITopic:
        """A topic another Copilot service publishes, by the ARN Copilot gives it:
        APP-ENV-SERVICE-TOPIC in this stack's account and region."""
        arn = self.format_arn(service="sns", resource=topic_name)
        return sns.Topic.from_topic_arn(self, f"Topic-{topic_name}", arn)
'''

_APP = '''"""The Copilot worker service "{service}" (application {app}, environment {env}) on CDK.

What it shows: a ScaleToZeroQueueService written by `sqs-scale-to-zero from-copilot` from
{manifest}
It keeps the manifest's meaning and is yours to read, change and own: a starting point, not a
wrapper.

What differs from Copilot: the service runs 0 tasks while the queue is idle and one message
wakes it; idle means nothing sent, received, deleted, visible or in flight; the worker runtime
(sqs_scale_to_zero.worker) extends a message's visibility while a handler runs (the heartbeat).

{not_carried}
Synthesize (no AWS account needed):

    sqs-scale-to-zero synth .     # or: cdk synth
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
{imports}

from sqs_scale_to_zero import {ours}

APP = "{app}"
ENV = "{env}"
SERVICE = "{service}"
WORKSPACE = (Path(__file__).resolve().parent / {workspace}).resolve()
"""The Copilot workspace: the manifest's paths are relative to it."""


class {class_name}(cdk.Stack):
    """The worker service {service} of the Copilot application {app}, environment {env}."""

    def __init__(self, scope: cdk.App, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.worker = ScaleToZeroQueueService(
            self,
            "Worker",
{props}        )
{after}{topic_method}

def build(app: cdk.App) -> cdk.Stack:
    """Add this service's stack to ``app``."""
    return {class_name}(app, f"{{APP}}-{{ENV}}-{{SERVICE}}")


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
'''
