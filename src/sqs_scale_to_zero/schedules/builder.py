"""Build the EventBridge Scheduler schedules that send the periodic messages.

Each ``QueueSchedule`` becomes an ``AWS::Scheduler::Schedule`` whose universal target
(``arn:aws:scheduler:::aws-sdk:sqs:sendMessage``) calls SQS ``SendMessage`` with the task's body
and message attributes: the templated SQS target can set neither message attributes nor a
deduplication id, and an EventBridge rule can't set attributes either ("Using universal
targets in EventBridge Scheduler":
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html). One
role per service, which only ``scheduler.amazonaws.com`` of this account may assume, may call
``sqs:SendMessage`` on this queue alone (and use its customer managed key, if any).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.schedules.schedule import QueueSchedule, send_message_input


def build_schedules(
    scope: Construct, schedules: Sequence[QueueSchedule], queue: sqs.IQueue
) -> list[scheduler.Schedule]:
    """One schedule per task, all sending with one role scoped to ``queue``."""
    if not schedules:
        return []
    role = iam.Role(
        scope,
        "ScheduleRole",
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        ),
        description="Lets EventBridge Scheduler send the periodic tasks' messages to the queue",
    )
    send = iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])
    if queue.encryption_master_key is not None:
        # SQS needs both to encrypt a message with a customer managed key (SQS Developer
        # Guide, "Key management": producers need kms:GenerateDataKey and kms:Decrypt).
        queue.encryption_master_key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
    made = []
    for schedule in schedules:
        made.append(
            scheduler.Schedule(
                scope,
                f"Schedule-{schedule.name.replace('/', '_')}",
                description=f"Periodic task {schedule.name!r} into the work queue",
                schedule=scheduler.ScheduleExpression.expression(
                    schedule.expression, TimeZone.of(schedule.time_zone)
                ),
                target=targets.Universal(
                    service="sqs",
                    action="sendMessage",
                    input=scheduler.ScheduleTargetInput.from_object(
                        send_message_input(schedule, queue.queue_url)
                    ),
                    policy_statements=[send],
                    role=role,
                ),
            )
        )
    return made
