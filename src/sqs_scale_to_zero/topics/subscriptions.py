"""Subscribe the service's queue to SNS topics (prop ``topics``).

CDK's ``SqsSubscription`` does the subscription, the queue policy statement that admits each
topic (``sqs:SendMessage`` for ``sns.amazonaws.com`` on ``aws:SourceArn`` = the topic) and the
key policy statement of a customer managed key created in the app. This module adds what it
does not do for this construct: a filter policy written as SNS's own JSON (Copilot's
``filter_policy``), checked before anything is created; the filter-policy scope; FIFO topics
for FIFO queues only; and refusing the AWS managed key ``alias/aws/sqs``, whose key policy SNS
can never be allowed to use ("Configure server-side encryption for Amazon SQS queues that
receive SNS messages": https://docs.aws.amazon.com/sns/latest/dg/sns-enable-encryption-for-topic-sqs-queue-subscriptions.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from aws_cdk import Annotations, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sqs_scale_to_zero.checks import optional_sequence
from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.queue import QueueSettings
from sqs_scale_to_zero.topics.filter_policy import (
    FILTER_POLICY_SCOPES,
    MESSAGE_ATTRIBUTES,
    MESSAGE_BODY,
    filter_policy_problem,
)

AWS_MANAGED_SQS_KEY = "alias/aws/sqs"
"""The AWS managed key for SQS; its key policy can't admit SNS, so SNS can't deliver."""

_PROP = "topics"


@dataclass(frozen=True)
class TopicSubscription:
    """One SNS topic whose messages the service's queue receives.

    Example:
        ```python
        TopicSubscription(
            topic=sns.Topic.from_topic_arn(self, "Orders", "arn:aws:sns:eu-west-1:111122223333:orders"),
            filter_policy={"event": [{"anything-but": "order_cancelled"}]},
        )
        ```

    Attributes:
        topic: The topic: one in this stack, another stack, or another account
            (``sns.Topic.from_topic_arn``; that topic's policy must let this account
            subscribe). A FIFO topic (name ending in ``.fifo``) needs ``fifo=True`` and a standard
            topic a standard queue. Required.
        filter_policy: An SNS filter policy in SNS's JSON form, e.g.
            ``{"event": ["order_placed"], "price": [{"numeric": [">=", 100]}]}``; checked as SNS
            would. Default: every message is delivered.
        filter_policy_scope: ``"MessageAttributes"`` (the policy matches message attributes)
            or ``"MessageBody"`` (it matches the JSON body; nested policies allowed).
            Default: ``"MessageAttributes"``.
        raw_message_delivery: Deliver the published message as is (``True``) instead of inside
            SNS's JSON envelope (``{"Type": "Notification", "Message": ..., ...}``). Copilot
            subscribed without raw delivery (its ``subscribe.yml`` template sets no
            ``RawMessageDelivery``), so a migrated worker keeps reading the envelope.
            Default: False.
    """

    topic: sns.ITopic
    filter_policy: Optional[Mapping[str, Any]] = None
    filter_policy_scope: Optional[str] = None
    raw_message_delivery: Optional[bool] = None


@dataclass(frozen=True)
class ResolvedTopic:
    """A checked ``TopicSubscription`` with its defaults applied."""

    topic: sns.ITopic
    filter_policy: Optional[dict[str, Any]]
    filter_policy_scope: str
    raw_message_delivery: bool


def resolve_topics(
    *, topics: Optional[Sequence[TopicSubscription]], queue: QueueSettings
) -> list[ResolvedTopic]:
    """Check ``topics`` against the queue they deliver to.

    Raises:
        ScaleToZeroValidationError: For the first invalid subscription, naming it and the fix.
    """
    given = optional_sequence(_PROP, topics, "[TopicSubscription(topic=my_topic)]") or []
    if not given:
        return []
    queue_fifo = queue.is_fifo
    _refuse_aws_managed_key(queue)
    resolved = []
    seen: dict[str, int] = {}
    for index, subscription in enumerate(given):
        where = f"topics[{index}]"
        if not isinstance(subscription, TopicSubscription):
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where} must be a TopicSubscription (got {type(subscription).__name__}): "
                "pass TopicSubscription(topic=my_topic)",
            )
        topic = subscription.topic
        if not hasattr(topic, "topic_arn") or not hasattr(topic, "fifo"):
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where}.topic must be an SNS topic construct (got {type(topic).__name__}): "
                "for an ARN use sns.Topic.from_topic_arn(self, 'Topic', arn)",
            )
        key = topic.topic_arn if not Token.is_unresolved(topic.topic_arn) else topic.node.path
        if key in seen:
            raise ScaleToZeroValidationError(
                _PROP, f"{where} subscribes the topic of topics[{seen[key]}] again: list it once"
            )
        seen[key] = index
        if topic.fifo and not queue_fifo:
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where}.topic is a FIFO topic and the queue is standard: SNS delivers a FIFO "
                "topic only to FIFO queues; set fifo=True or subscribe a standard topic",
            )
        if queue_fifo and not topic.fifo:
            raise ScaleToZeroValidationError(
                _PROP,
                f"{where}.topic is a standard topic and the queue is FIFO: a FIFO queue can "
                "subscribe only to FIFO topics (names ending in '.fifo'); subscribe the FIFO "
                "topic or drop fifo=True",
            )
        resolved.append(_resolve_options(subscription, where))
    return resolved


def _resolve_options(subscription: TopicSubscription, where: str) -> ResolvedTopic:
    scope = subscription.filter_policy_scope
    if scope is not None and scope not in FILTER_POLICY_SCOPES:
        raise ScaleToZeroValidationError(
            _PROP,
            f"{where}.filter_policy_scope must be {MESSAGE_ATTRIBUTES!r} or {MESSAGE_BODY!r} "
            f"(got {scope!r})",
        )
    policy = subscription.filter_policy
    if policy is None and scope is not None:
        raise ScaleToZeroValidationError(
            _PROP, f"{where}.filter_policy_scope needs a filter_policy: add one or drop the scope"
        )
    resolved_scope = scope or MESSAGE_ATTRIBUTES
    if policy is not None:
        problem = filter_policy_problem(policy, resolved_scope)
        if problem is not None:
            raise ScaleToZeroValidationError(
                _PROP, f"{where}.filter_policy is not a valid SNS filter policy: {problem}"
            )
    raw = subscription.raw_message_delivery
    if raw is not None and not isinstance(raw, bool):
        raise ScaleToZeroValidationError(
            _PROP, f"{where}.raw_message_delivery must be True or False (got {raw!r})"
        )
    return ResolvedTopic(
        topic=subscription.topic,
        filter_policy=dict(policy) if policy is not None else None,
        filter_policy_scope=resolved_scope,
        raw_message_delivery=bool(raw),
    )


def _refuse_aws_managed_key(queue: QueueSettings) -> None:
    key = queue.encryption_key if queue.existing is None else queue.existing.encryption_master_key
    managed = getattr(queue.existing, "encryption_type", None) == sqs.QueueEncryption.KMS_MANAGED
    if key is not None and (
        getattr(key, "alias_name", None) == AWS_MANAGED_SQS_KEY
        or (not Token.is_unresolved(key.key_arn) and key.key_arn.endswith(AWS_MANAGED_SQS_KEY))
    ):
        managed = True
    if managed:
        prop = "encryption_key" if queue.existing is None else "queue"
        raise ScaleToZeroValidationError(
            prop,
            f"the AWS managed key {AWS_MANAGED_SQS_KEY!r} can't be used with topics: its key "
            "policy can't let SNS encrypt messages, so none would arrive; omit encryption_key "
            "for SQS-managed encryption (SSE-SQS) or pass a customer managed kms.Key",
        )


def build_topics(
    scope: Construct, topics: Sequence[ResolvedTopic], queue: sqs.IQueue
) -> list[sns.Subscription]:
    """Subscribe ``queue`` to each topic with CDK's ``SqsSubscription``.

    ``SqsSubscription`` adds the queue policy statement for each topic and, for a key created
    in the app, the key policy statement for ``sns.amazonaws.com``. A key or queue imported by
    ARN can't be changed from here: a warning says which statement to add where it is owned.
    """
    made = []
    key = queue.encryption_master_key
    if topics and key is not None and not isinstance(key, kms.Key):
        Annotations.of(scope).add_warning_v2(
            "sqs-scale-to-zero:topicsImportedKey",
            "The queue's KMS key is imported, so its key policy can't be changed here: allow "
            "sns.amazonaws.com kms:GenerateDataKey and kms:Decrypt in it, or SNS can't deliver.",
        )
    if topics and not isinstance(queue, sqs.Queue):
        Annotations.of(scope).add_warning_v2(
            "sqs-scale-to-zero:topicsImportedQueue",
            "The queue is imported, so its queue policy can't be changed here: allow "
            "sns.amazonaws.com sqs:SendMessage with aws:SourceArn of each topic in it.",
        )
    for resolved in topics:
        subscription = resolved.topic.add_subscription(
            subscriptions.SqsSubscription(
                queue, raw_message_delivery=resolved.raw_message_delivery or None
            )
        )
        if resolved.filter_policy is not None:
            # SqsSubscription takes only CDK's SubscriptionFilter objects; the policy is given
            # in SNS's own JSON (as Copilot's manifests write it), so it is set on the resource.
            resource = subscription.node.default_child
            assert isinstance(resource, sns.CfnSubscription)
            resource.filter_policy = resolved.filter_policy
            if resolved.filter_policy_scope == MESSAGE_BODY:
                resource.filter_policy_scope = MESSAGE_BODY
        made.append(subscription)
    return made
