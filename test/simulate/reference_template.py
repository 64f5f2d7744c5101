"""A small hand-written template in the shape of ``ScaleToZeroQueueService``'s scaling.

The template reader's unit tests and the CLI tests edit it freely (drop a resource, add a
second service) without a synthesis; scenario tests use the real synthesized construct.
"""

from __future__ import annotations

from typing import Any


def reference_template(
    *, idle_minutes: int = 5, cpu_term: bool = True, protection: bool = True
) -> dict[str, Any]:
    """A template with the scaling design of ``ScaleToZeroQueueService``, written by hand.

    Args:
        idle_minutes: Evaluation periods (= datapoints to alarm) of the idle alarm. Default: 5.
        cpu_term: Include the ``FILL(cpu, 0) <= 5`` term. Default: True.
        protection: Set ``SCALE_TO_ZERO_TASK_PROTECTION=enabled``. Default: True.
    """
    queue_name = {"Fn::GetAtt": ["Queue", "QueueName"]}
    service_name = {"Fn::GetAtt": ["Service", "Name"]}
    cluster = {"Ref": "Cluster"}

    def metric(
        id_: str, ns: str, name: str, dims: list[dict[str, Any]], stat: str
    ) -> dict[str, Any]:
        return {
            "Id": id_,
            "MetricStat": {
                "Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims},
                "Period": 60,
                "Stat": stat,
            },
            "ReturnData": False,
        }

    queries = [
        metric(
            "visible",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": queue_name}],
            "Maximum",
        ),
        metric(
            "inflight",
            "AWS/SQS",
            "ApproximateNumberOfMessagesNotVisible",
            [{"Name": "QueueName", "Value": queue_name}],
            "Maximum",
        ),
    ]
    condition = "FILL(visible, 0) + FILL(inflight, 0) == 0"
    if cpu_term:
        queries.append(
            metric(
                "cpu",
                "AWS/ECS",
                "CPUUtilization",
                [
                    {"Name": "ClusterName", "Value": cluster},
                    {"Name": "ServiceName", "Value": service_name},
                ],
                "Average",
            )
        )
        condition += " AND FILL(cpu, 0) <= 5"
    queries.append({"Id": "idle", "Expression": f"IF({condition}, 1, 0)", "ReturnData": True})
    env = [
        {"Name": "QUEUE_URL", "Value": {"Ref": "Queue"}},
        {"Name": "QUEUE_NAME", "Value": queue_name},
        {
            "Name": "SCALE_TO_ZERO_TASK_PROTECTION",
            "Value": "enabled" if protection else "disabled",
        },
        {"Name": "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS", "Value": "25"},
        {"Name": "SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS", "Value": "300"},
    ]
    return {
        "Resources": {
            "Dlq": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"MessageRetentionPeriod": 1209600},
            },
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": 300,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                        "maxReceiveCount": 5,
                    },
                },
            },
            "Cluster": {"Type": "AWS::ECS::Cluster"},
            "TaskDef": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Cpu": "256",
                    "Memory": "512",
                    "RuntimePlatform": {
                        "CpuArchitecture": "ARM64",
                        "OperatingSystemFamily": "LINUX",
                    },
                    "ContainerDefinitions": [
                        {"Name": "Worker", "Environment": env, "StopTimeout": 30}
                    ],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": cluster,
                    "DesiredCount": 0,
                    "LaunchType": "FARGATE",
                    "TaskDefinition": {"Ref": "TaskDef"},
                },
            },
            "Target": {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "Properties": {
                    "MinCapacity": 0,
                    "MaxCapacity": 4,
                    "ResourceId": {"Fn::Join": ["", ["service/", cluster, "/", service_name]]},
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "ServiceNamespace": "ecs",
                },
            },
            "WakePolicy": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyType": "StepScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "StepScalingPolicyConfiguration": {
                        "AdjustmentType": "ChangeInCapacity",
                        "MetricAggregationType": "Maximum",
                        "Cooldown": 60,
                        "StepAdjustments": [
                            {
                                "MetricIntervalLowerBound": 0,
                                "MetricIntervalUpperBound": 99,
                                "ScalingAdjustment": 1,
                            },
                            {
                                "MetricIntervalLowerBound": 99,
                                "MetricIntervalUpperBound": 499,
                                "ScalingAdjustment": 2,
                            },
                            {"MetricIntervalLowerBound": 499, "ScalingAdjustment": 5},
                        ],
                    },
                },
            },
            "WakeAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Dimensions": [{"Name": "QueueName", "Value": queue_name}],
                    "Statistic": "Maximum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": [{"Ref": "WakePolicy"}],
                },
            },
            "IdlePolicy": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyType": "StepScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "StepScalingPolicyConfiguration": {
                        "AdjustmentType": "ExactCapacity",
                        "StepAdjustments": [
                            {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 0}
                        ],
                    },
                },
            },
            "IdleAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": queries,
                    "EvaluationPeriods": idle_minutes,
                    "DatapointsToAlarm": idle_minutes,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "breaching",
                    "AlarmActions": [{"Ref": "IdlePolicy"}],
                },
            },
        }
    }
