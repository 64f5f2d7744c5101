"""Every prop is type-checked at the door: wrong types, tokens and fractions raise
ScaleToZeroValidationError naming the prop, before any child construct is made."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqs_scale_to_zero import (
    Capacity,
    HttpDelivery,
    MonitoringOptions,
    QueueSchedule,
    ScaleToZeroQueueService,
    ScaleToZeroValidationError,
    TopicSubscription,
    Wake,
)
from test.conftest import KEY_ARN, TEST_ENV, TEST_IMAGE
from test.test_validation import assert_rejected

# Trap: a command string is split into characters -------------------------------------------


def test_a_command_string_is_refused_with_the_list_it_meant() -> None:
    assert_rejected("command", "['python', 'app.py']", command="python app.py")


@pytest.mark.parametrize("command", [5, {"python": "app.py"}, ["python", 3]])
def test_a_command_that_is_not_a_list_of_strings_is_refused(command: object) -> None:
    assert_rejected("command", "list", command=command)


def test_a_command_list_reaches_the_container() -> None:
    stack = cdk.Stack(cdk.App(), "Command", env=TEST_ENV)
    service = ScaleToZeroQueueService(
        stack, "Worker", image=TEST_IMAGE, command=("python", "-m", "app")
    )
    (definition,) = Template.from_stack(stack).find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = definition["Properties"]["ContainerDefinitions"]
    assert container["Command"] == ["python", "-m", "app"]
    assert service.container.container_name == "Worker"


# Trap: number and Duration tokens ---------------------------------------------------------

NUMBER_PROPS = [
    "min_capacity",
    "max_capacity",
    "messages_per_task",
    "cpu",
    "memory_limit_mib",
    "max_receive_count",
]
DURATION_PROPS = [
    "visibility_timeout",
    "retention_period",
    "stop_timeout",
    "scale_out_cooldown",
    "idle_timeout",
    "gradual_scale_in_cooldown",
]


def parameter_stack() -> tuple[cdk.Stack, float]:
    stack = cdk.Stack(cdk.App(), "Tokens", env=TEST_ENV)
    return stack, cdk.CfnParameter(stack, "Number", type="Number").value_as_number


@pytest.mark.parametrize("prop", [*NUMBER_PROPS, "idle_cpu_threshold_percent"])
def test_a_number_token_is_refused_as_a_token(prop: str) -> None:
    stack, token = parameter_stack()
    assert_rejected(prop, "not a token", stack=stack, **{prop: token})


@pytest.mark.parametrize("prop", DURATION_PROPS)
def test_a_duration_token_is_refused_as_a_token(prop: str) -> None:
    stack, token = parameter_stack()
    assert_rejected(prop, "not a token", stack=stack, **{prop: cdk.Duration.seconds(token)})


def test_an_age_threshold_token_is_refused_as_a_token() -> None:
    stack, token = parameter_stack()
    options = MonitoringOptions(oldest_message_age_threshold=cdk.Duration.seconds(token))
    assert_rejected("oldest_message_age_threshold", "not a token", stack=stack, monitoring=options)


# Trap: wrong types escape as raw Python errors --------------------------------------------


@pytest.mark.parametrize(
    ("prop", "value", "fix"),
    [
        ("idle_timeout", 300, "Duration.seconds(300)"),
        ("idle_cpu_threshold_percent", "5", "must be a number"),
        ("environment", ["A=1"], "must be a mapping"),
        ("queue", "https://sqs.us-east-1.amazonaws.com/123456789012/jobs", "not its URL"),
        ("fifo", "yes", "True or False"),
        ("max_capacity", 2.5, "whole number"),
        ("cpu", "256", "whole number"),
        ("cpu_architecture", "ARM64", "ecs.CpuArchitecture.ARM64"),
        ("log_retention", 7, "logs.RetentionDays"),
        ("backlog_signal", "yes", "True or False"),
        ("task_protection", 1, "True or False"),
        ("vpc", "vpc-123", "Vpc"),
        ("capacity_provider_strategies", ["FARGATE_SPOT"], "CapacityProviderStrategy"),
        ("capacity", "GPU", "Capacity.gpu_instances"),
        ("gpu_count", 1.5, "pass an int"),
        ("secrets", {"API_KEY": "plain text"}, "ecs.Secret"),
    ],
)
def test_a_wrong_type_is_refused_naming_the_prop(prop: str, value: object, fix: str) -> None:
    props: dict[str, Any] = {prop: value}
    assert_rejected(prop, fix, **props)


def test_a_dict_is_not_a_scale_out_step() -> None:
    assert_rejected(
        "scale_out_steps", "ScalingInterval(", scale_out_steps=[{"lower": 1, "change": 1}]
    )


@pytest.mark.parametrize(
    "interval",
    [
        appscaling.ScalingInterval(lower=1, change=math.inf),
        appscaling.ScalingInterval(lower=math.nan, change=1),
        appscaling.ScalingInterval(lower=1, upper=math.inf, change=1),
    ],
)
def test_a_step_with_nan_or_infinity_is_refused(interval: appscaling.ScalingInterval) -> None:
    assert_rejected("scale_out_steps", "finite", scale_out_steps=[interval])


def test_an_age_threshold_in_seconds_is_refused_as_a_number() -> None:
    options = MonitoringOptions(oldest_message_age_threshold=30)  # type: ignore[arg-type]
    assert_rejected("oldest_message_age_threshold", "Duration.seconds(30)", monitoring=options)


def test_a_topic_arn_string_is_not_an_alarm_topic() -> None:
    options = MonitoringOptions(alarm_topic="arn:aws:sns:us-east-1:123456789012:t")  # type: ignore[arg-type]
    assert_rejected("alarm_topic", "sns.Topic", monitoring=options)


def test_a_token_queue_name_ending_in_fifo_needs_fifo() -> None:
    assert_rejected("queue_name", "fifo=True", queue_name=cdk.Aws.STACK_NAME + ".fifo")


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("retention_period", cdk.Duration.seconds(90.5)),
        ("stop_timeout", cdk.Duration.seconds(30.5)),
        ("stop_timeout", cdk.Duration.millis(2500)),
        ("scale_out_cooldown", cdk.Duration.millis(500)),
    ],
)
def test_a_fraction_of_a_second_is_refused(prop: str, value: cdk.Duration) -> None:
    props: dict[str, Any] = {prop: value}
    assert_rejected(prop, "whole seconds", **props)


# Trap: the reserved environment -----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["QUEUE_URL", "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS", "SCALE_TO_ZERO_ANYTHING"]
)
def test_every_scale_to_zero_name_but_the_worker_settings_is_reserved(name: str) -> None:
    assert_rejected("environment", "is set by the construct", environment={name: "1"})


def test_the_worker_settings_can_be_set_and_reach_the_container() -> None:
    stack = cdk.Stack(cdk.App(), "WorkerSettings", env=TEST_ENV)
    ScaleToZeroQueueService(
        stack,
        "Worker",
        image=TEST_IMAGE,
        environment={"SCALE_TO_ZERO_CONCURRENCY": "4", "SCALE_TO_ZERO_LOG_LEVEL": "DEBUG"},
    )
    (definition,) = Template.from_stack(stack).find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = definition["Properties"]["ContainerDefinitions"]
    variables = {v["Name"]: v["Value"] for v in container["Environment"]}
    assert variables["SCALE_TO_ZERO_CONCURRENCY"] == "4"
    assert variables["SCALE_TO_ZERO_LOG_LEVEL"] == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCALE_TO_ZERO_CONCURRENCY", "0"),
        ("SCALE_TO_ZERO_CONCURRENCY", "two"),
        ("SCALE_TO_ZERO_LOG_LEVEL", "LOUD"),
    ],
)
def test_a_worker_setting_of_the_wrong_form_is_refused(name: str, value: str) -> None:
    assert_rejected("environment", name, environment={name: value})


# Every rejection is a ScaleToZeroValidationError; every acceptance synthesizes -----------

Factory = Callable[[cdk.Stack], Any]
"""A prop value, made in the stack under test (constructs it refers to are created there)."""


def _v(value: Any) -> Factory:
    return lambda stack: value


def _token(stack: cdk.Stack) -> float:
    return cdk.CfnParameter(stack, "Number", type="Number").value_as_number


VALUES: dict[str, list[Factory]] = {
    "queue": [
        lambda s: sqs.Queue(s, "Own"),
        _v("https://sqs.us-east-1.amazonaws.com/1/q"),
        _v(5),
    ],
    "queue_name": [_v("jobs"), _v(cdk.Aws.STACK_NAME), _v("has space"), _v(5)],
    "fifo": [_v(True), _v(False), _v("yes")],
    "content_based_deduplication": [_v(True), _v(False), _v("no")],
    "encryption_key": [lambda s: kms.Key.from_key_arn(s, "Key", KEY_ARN), _v(KEY_ARN)],
    "visibility_timeout": [
        _v(cdk.Duration.minutes(1)),
        _v(300),
        _v(cdk.Duration.seconds(0.5)),
        _v(cdk.Duration.hours(13)),
        lambda s: cdk.Duration.seconds(_token(s)),
    ],
    "retention_period": [_v(cdk.Duration.days(1)), _v(cdk.Duration.seconds(90.5)), _v(3600)],
    "max_receive_count": [_v(5), _v(0), _v(2.5), _v("3"), _v(True), _token],
    "topics": [
        lambda s: [TopicSubscription(topic=sns.Topic(s, "Topic"))],
        lambda s: [TopicSubscription(topic=sns.Topic(s, "Topic"), filter_policy={"a": "b"})],
        _v("arn:aws:sns:us-east-1:123456789012:t"),
    ],
    "schedules": [
        _v([QueueSchedule(name="hourly", expression="rate(1 hour)")]),
        _v([QueueSchedule(name="n", expression="cron(0 1 * * *)")]),
        _v("rate(1 hour)"),
    ],
    "command": [_v(["python", "app.py"]), _v("python app.py"), _v(5), _v([1, 2])],
    "environment": [
        _v({"A": "1"}),
        _v({"SCALE_TO_ZERO_CONCURRENCY": "2"}),
        _v(["A=1"]),
        _v({"A": 1}),
        _v({"SCALE_TO_ZERO_X": "1"}),
    ],
    "secrets": [
        lambda s: {
            "S": ecs.Secret.from_secrets_manager(
                secretsmanager.Secret.from_secret_name_v2(s, "Secret", "name")
            )
        },
        _v({"S": "plain"}),
        _v(["S"]),
    ],
    "cpu": [_v(512), _v(300), _v("256"), _v(256.0), _token],
    "memory_limit_mib": [_v(1024), _v(100), _v("512")],
    "cpu_architecture": [_v(ecs.CpuArchitecture.ARM64), _v("ARM64")],
    "log_retention": [_v(logs.RetentionDays.ONE_WEEK), _v(7)],
    "stop_timeout": [
        _v(cdk.Duration.seconds(30)),
        _v(cdk.Duration.seconds(30.5)),
        _v(cdk.Duration.millis(2500)),
        _v(30),
        _v(cdk.Duration.minutes(5)),
    ],
    "task_protection": [_v(True), _v(False), _v("true")],
    "cluster": [
        lambda s: ecs.Cluster(s, "Cluster", vpc=ec2.Vpc(s, "ClusterVpc", nat_gateways=0)),
        _v("my-cluster"),
    ],
    "vpc": [lambda s: ec2.Vpc(s, "OwnVpc", nat_gateways=0), _v("vpc-123")],
    "vpc_subnets": [
        _v(ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)),
        _v({"subnet_type": "PUBLIC"}),
    ],
    "security_groups": [_v("sg-1"), _v(["sg-1"])],
    "assign_public_ip": [_v(True), _v(False), _v("no")],
    "capacity_provider_strategies": [
        _v([ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]),
        _v(["FARGATE_SPOT"]),
        _v("FARGATE"),
    ],
    "capacity": [
        _v(Capacity.fargate_spot()),
        _v(Capacity.gpu_instances()),
        _v(Capacity.gpu_instances(instance_type=ec2.InstanceType("g5.12xlarge"))),
        _v("FARGATE_SPOT"),
    ],
    "gpu_count": [_v(1), _v(2), _v(0), _v("1")],
    "platform_version": [_v(ecs.FargatePlatformVersion.LATEST), _v("1.4.0")],
    "container_insights": [_v(True), _v(False), _v("on")],
    "min_capacity": [_v(0), _v(1), _v(-1), _v(2.5), _v("1"), _token],
    "max_capacity": [_v(1), _v(10), _v(0), _v(2.5), _v("4"), _token],
    "messages_per_task": [_v(1), _v(10), _v(0), _v(2.5), _v("4"), _token],
    "scale_out_steps": [
        _v([appscaling.ScalingInterval(lower=1, change=2)]),
        _v([{"lower": 1, "change": 1}]),
        _v([appscaling.ScalingInterval(lower=1, change=math.inf)]),
        _v([appscaling.ScalingInterval(lower=math.nan, change=1)]),
        _v([]),
    ],
    "scale_out_cooldown": [_v(cdk.Duration.minutes(2)), _v(cdk.Duration.millis(500)), _v(60)],
    "idle_timeout": [
        _v(cdk.Duration.minutes(10)),
        _v(300),
        _v(cdk.Duration.seconds(90)),
        _v(cdk.Duration.days(2)),
    ],
    "idle_cpu_threshold_percent": [_v(None), _v(0.5), _v(10), _v("5"), _v(150), _v(math.nan)],
    "scale_in_on_cpu_only": [_v(True), _v(False), _v("yes")],
    "gradual_scale_in": [_v(True), _v(False), _v(1)],
    "gradual_scale_in_cooldown": [_v(cdk.Duration.minutes(3)), _v(180)],
    "monitoring": [
        _v(True),
        _v(False),
        _v(MonitoringOptions(dashboard_name="jobs")),
        _v("yes"),
        _v(MonitoringOptions(oldest_message_age_threshold=30)),  # type: ignore[arg-type]
        _v(MonitoringOptions(tasks_on_empty_queue_alarm="no")),  # type: ignore[arg-type]
    ],
    "wake": [_v(Wake.FAST), _v(Wake.FRESH_SIGNAL), _v(Wake.ON_ALARM), _v("fast"), _v(True)],
    "backlog_signal": [_v(True), _v(False), _v("yes")],
    "http_delivery": [
        _v(HttpDelivery(port=8080, path="/work")),
        _v(HttpDelivery(port=0)),
        _v(HttpDelivery(path="work")),
        _v(HttpDelivery(content_type="json")),
        _v({"port": 8080}),
    ],
    "own_consumer": [_v(True), _v(False), _v("yes")],
}


def test_every_prop_but_image_has_values_in_the_property_test() -> None:
    import inspect

    parameters = inspect.signature(ScaleToZeroQueueService.__init__).parameters
    props = {name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert props - {"image"} == set(VALUES)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    chosen=st.dictionaries(
        st.sampled_from(sorted(VALUES)),
        st.integers(min_value=0, max_value=5),
        min_size=0,
        max_size=3,
    )
)
def test_every_rejection_is_a_validation_error_and_every_acceptance_synthesizes(
    chosen: dict[str, int],
) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Property", env=TEST_ENV)
    props = {name: VALUES[name][index % len(VALUES[name])](stack) for name, index in chosen.items()}
    before = len(stack.node.find_all())
    try:
        ScaleToZeroQueueService(stack, "Worker", image=TEST_IMAGE, **props)
    except ScaleToZeroValidationError as error:
        assert error.prop in str(error)
        assert len(stack.node.find_all()) == before, "a child was created before the error"
        return
    Template.from_stack(stack)  # synthesizes: every resource, token and validation resolves
