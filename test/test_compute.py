"""The task part: container settings, the worker's environment, least-privilege IAM, placement."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from test.conftest import KEY_ARN, Synthesized


def container_definition(synth: Synthesized) -> dict[str, Any]:
    (definition,) = synth.properties(synth.construct.task_definition)["ContainerDefinitions"]
    return dict(definition)


def role_statements(synth: Synthesized, role: Any) -> list[dict[str, Any]]:
    """The role's policy statements, with action lists sorted."""
    role_id = synth.logical_id(role)
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    for statement in statements:
        if isinstance(statement["Action"], list):
            statement["Action"] = sorted(statement["Action"])
    return statements


def environment(synth: Synthesized) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in container_definition(synth)["Environment"]}


def test_container_gets_the_queue_and_worker_settings(default_service: Synthesized) -> None:
    queue_id = default_service.logical_id(default_service.construct.queue)
    env = environment(default_service)
    assert env["QUEUE_URL"] == {"Ref": queue_id}
    assert env["QUEUE_NAME"] == {"Fn::GetAtt": [queue_id, "QueueName"]}
    assert env["SCALE_TO_ZERO_TASK_PROTECTION"] == "enabled"
    assert env["SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS"] == "110"
    assert env["SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS"] == "300"


def test_user_environment_is_kept_beside_the_worker_settings(
    seed_like_service: Synthesized,
) -> None:
    env = environment(seed_like_service)
    assert env["ENV"] == "production"
    assert env["SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS"] == str(12 * 3600)


def test_brought_queue_leaves_visibility_to_the_worker(brought_queue_service: Synthesized) -> None:
    env = environment(brought_queue_service)
    assert "SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS" not in env
    assert env["SCALE_TO_ZERO_TASK_PROTECTION"] == "disabled"


def test_default_task_size_logs_and_stop_timeout(default_service: Synthesized) -> None:
    task = default_service.properties(default_service.construct.task_definition)
    assert task["Cpu"] == "256"
    assert task["Memory"] == "512"
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    assert task["RuntimePlatform"] == {
        "CpuArchitecture": "X86_64",
        "OperatingSystemFamily": "LINUX",
    }
    container = container_definition(default_service)
    assert container["StopTimeout"] == 120
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    log_group = default_service.properties(default_service.construct.log_group)
    assert log_group["RetentionInDays"] == 30


def test_arm64_with_a_capacity_provider_strategy(brought_queue_service: Synthesized) -> None:
    task = brought_queue_service.properties(brought_queue_service.construct.task_definition)
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    service = brought_queue_service.properties(brought_queue_service.construct.service)
    assert service["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE", "Weight": 1}]


def test_task_role_may_only_consume_dead_letter_protect_and_watch_its_deploys(
    default_service: Synthesized,
) -> None:
    synth = default_service
    queue_id = synth.logical_id(synth.construct.queue)
    cluster_id = synth.logical_id(synth.construct.cluster)
    statements = role_statements(synth, synth.construct.task_definition.task_role)
    assert statements == [
        {
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
            ],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        },
        {  # raise DeadLetter: send a copy to the dead-letter queue, nothing else there
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {
                "Fn::GetAtt": [synth.logical_id(synth.construct.dead_letter_queue), "Arn"]
            },
        },
        {
            "Action": ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"],
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":ecs:us-east-1:123456789012:task/",
                        {"Ref": cluster_id},
                        "/*",
                    ],
                ]
            },
        },
        {
            "Action": "ecs:DescribeServices",
            "Effect": "Allow",
            "Resource": {"Ref": synth.logical_id(synth.construct.service)},
        },
        {
            "Action": "cloudformation:DescribeStackResource",
            "Effect": "Allow",
            "Resource": {"Ref": "AWS::StackId"},
        },
    ]


def test_no_statement_uses_a_wildcard_action(seed_like_service: Synthesized) -> None:
    for policy in seed_like_service.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                assert "*" not in action, statement


def test_task_role_decrypts_with_the_queue_cmk(seed_like_service: Synthesized) -> None:
    statements = role_statements(
        seed_like_service, seed_like_service.construct.task_definition.task_role
    )
    assert {
        "Action": "kms:Decrypt",
        "Effect": "Allow",
        "Resource": KEY_ARN,
    } in statements
    # The imported cluster's name scopes task protection.
    assert {
        "Action": ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"],
        "Effect": "Allow",
        "Resource": {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":ecs:us-east-1:123456789012:task/existing-cluster/*",
                ],
            ]
        },
    } in statements


def test_execution_role_reads_and_decrypts_exactly_the_secrets(
    seed_like_service: Synthesized,
) -> None:
    synth = seed_like_service
    statements = role_statements(synth, synth.construct.task_definition.execution_role)
    secret_statements = [s for s in statements if "ssm:GetParameters" in s["Action"]]
    assert len(secret_statements) == 1
    resource_arn = secret_statements[0]["Resource"]
    assert "parameter/app/database-name" in str(resource_arn)
    assert {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": KEY_ARN} in statements
    (secret,) = container_definition(synth)["Secrets"]
    assert secret["Name"] == "DATABASE_NAME"


def test_no_task_protection_grant_when_turned_off(brought_queue_service: Synthesized) -> None:
    statements = role_statements(
        brought_queue_service, brought_queue_service.construct.task_definition.task_role
    )
    assert all("ecs:UpdateTaskProtection" not in s["Action"] for s in statements)


def test_seed_sized_task_in_an_existing_cluster(seed_like_service: Synthesized) -> None:
    synth = seed_like_service
    task = synth.properties(synth.construct.task_definition)
    assert (task["Cpu"], task["Memory"]) == ("4096", "8192")
    service = synth.properties(synth.construct.service)
    assert service["Cluster"] == "existing-cluster"
    synth.template.resource_count_is("AWS::ECS::Cluster", 0)
    synth.template.resource_count_is("AWS::EC2::VPC", 0)
    config = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert config["AssignPublicIp"] == "DISABLED"
    assert config["Subnets"] == ["subnet-11111111", "subnet-22222222"]


def test_default_placement_costs_nothing_while_idle(default_service: Synthesized) -> None:
    synth = default_service
    synth.template.resource_count_is("AWS::EC2::NatGateway", 0)
    service = synth.properties(synth.construct.service)
    config = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert config["AssignPublicIp"] == "ENABLED"
    # No fixed DesiredCount: a later deploy never resets what the scaling policies set.
    assert "DesiredCount" not in service
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 100
    # Container Insights is off: it bills its task counts as custom metrics even at zero tasks.
    synth.template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "disabled"}]},
    )
    synth.template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {"SecurityGroupIngress": Match.absent()},
    )
