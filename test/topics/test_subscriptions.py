"""Topics in, the Copilot way: subscriptions, the queue policy, encryption and each refusal."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match

from sqs_scale_to_zero import ScaleToZeroQueueService, ScaleToZeroValidationError, TopicSubscription
from test.conftest import TEST_ENV, TEST_IMAGE, Synthesized, synthesize

OTHER_ACCOUNT_TOPIC = "arn:aws:sns:us-east-1:444455556666:orders"
FILTER = {"event": [{"anything-but": "order_cancelled"}], "price": [{"numeric": [">=", 100]}]}


@pytest.fixture(scope="module")
def subscribed() -> Synthesized:
    """Three topics: this stack's (filtered), another account's (raw), a body-filtered one."""

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        own = sns.Topic(stack, "Own")
        body = sns.Topic(stack, "Body")
        other = sns.Topic.from_topic_arn(stack, "Other", OTHER_ACCOUNT_TOPIC)
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            topics=[
                TopicSubscription(topic=own, filter_policy=FILTER),
                TopicSubscription(topic=other, raw_message_delivery=True),
                TopicSubscription(
                    topic=body,
                    filter_policy={"order": {"kind": [{"prefix": "gift"}]}},
                    filter_policy_scope="MessageBody",
                ),
            ],
        )

    return synthesize(build)


@pytest.fixture(scope="module")
def subscribed_with_key() -> Synthesized:
    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
            topics=[TopicSubscription(topic=sns.Topic(stack, "Own"))],
        )

    return synthesize(build)


def subscription(synth: Synthesized, index: int) -> dict[str, Any]:
    return synth.properties(synth.construct.topic_subscriptions[index])


def topic_ref(synth: Synthesized, name: str) -> dict[str, str]:
    return {"Ref": synth.logical_id(synth.stack.node.find_child(name))}


def test_each_topic_gets_one_sqs_subscription_to_the_queue(subscribed: Synthesized) -> None:
    queue_arn = {"Fn::GetAtt": [subscribed.logical_id(subscribed.construct.queue), "Arn"]}
    assert len(subscribed.resources("AWS::SNS::Subscription")) == 3
    own = subscription(subscribed, 0)
    assert own["Protocol"] == "sqs" and own["Endpoint"] == queue_arn
    assert own["TopicArn"] == topic_ref(subscribed, "Own")
    assert subscription(subscribed, 1)["TopicArn"] == OTHER_ACCOUNT_TOPIC


def test_filter_policy_is_sent_in_snss_own_json(subscribed: Synthesized) -> None:
    own = subscription(subscribed, 0)
    assert own["FilterPolicy"] == FILTER
    assert "FilterPolicyScope" not in own  # MessageAttributes, SNS's default


def test_message_body_scope_is_set_with_a_nested_policy(subscribed: Synthesized) -> None:
    body = subscription(subscribed, 2)
    assert body["FilterPolicyScope"] == "MessageBody"
    assert body["FilterPolicy"] == {"order": {"kind": [{"prefix": "gift"}]}}


def test_envelope_by_default_raw_delivery_on_request(subscribed: Synthesized) -> None:
    assert "RawMessageDelivery" not in subscription(subscribed, 0)
    assert subscription(subscribed, 1)["RawMessageDelivery"] is True


def test_queue_policy_admits_exactly_the_subscribed_topics(subscribed: Synthesized) -> None:
    queue_id = subscribed.logical_id(subscribed.construct.queue)
    (policy,) = [
        p
        for p in subscribed.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    allows = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    queue_arn = {"Fn::GetAtt": [queue_id, "Arn"]}
    expected_sources = [
        topic_ref(subscribed, "Own"),
        OTHER_ACCOUNT_TOPIC,
        topic_ref(subscribed, "Body"),
    ]
    assert allows == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": source}},
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Resource": queue_arn,
        }
        for source in expected_sources
    ]


def test_sse_sqs_queue_needs_no_key_policy(subscribed: Synthesized) -> None:
    assert subscribed.properties(subscribed.construct.queue)["SqsManagedSseEnabled"] is True
    assert subscribed.resources("AWS::KMS::Key") == {}


def test_customer_key_lets_sns_encrypt_for_its_topic(subscribed_with_key: Synthesized) -> None:
    synth = subscribed_with_key
    synth.template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                "Effect": "Allow",
                                "Principal": {"Service": "sns.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )
    key_id = synth.logical_id(synth.stack.node.find_child("Key"))
    assert synth.properties(synth.construct.queue)["KmsMasterKeyId"] == {
        "Fn::GetAtt": [key_id, "Arn"]
    }


def refused(**props: Any) -> tuple[ScaleToZeroValidationError, cdk.Stack]:
    stack = cdk.Stack(cdk.App(), "Refused", env=TEST_ENV)
    topics = props.pop("topics", None)
    with pytest.raises(ScaleToZeroValidationError) as raised:
        ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            topics=topics(stack) if callable(topics) else topics,
            **{k: (v(stack) if callable(v) else v) for k, v in props.items()},
        )
    assert stack.node.try_find_child("Worker") is None
    return raised.value, stack


def one(stack: cdk.Stack, **options: Any) -> list[TopicSubscription]:
    return [TopicSubscription(topic=sns.Topic(stack, "T"), **options)]


def test_aws_managed_key_is_refused_with_the_fix() -> None:
    error, _ = refused(
        topics=one,
        encryption_key=lambda s: kms.Alias.from_alias_name(s, "Managed", "alias/aws/sqs"),
    )
    assert error.prop == "encryption_key"
    assert "alias/aws/sqs" in str(error) and "omit encryption_key" in str(error)


def test_brought_queue_on_the_aws_managed_key_is_refused() -> None:
    error, _ = refused(
        topics=one,
        queue=lambda s: sqs.Queue(s, "Q", encryption=sqs.QueueEncryption.KMS_MANAGED),
    )
    assert error.prop == "queue" and "alias/aws/sqs" in str(error)


def test_fifo_topic_with_a_standard_queue_is_refused() -> None:
    error, _ = refused(topics=lambda s: [TopicSubscription(topic=sns.Topic(s, "T", fifo=True))])
    assert "topics[0].topic is a FIFO topic" in str(error) and "fifo=True" in str(error)


def test_standard_topic_with_a_fifo_queue_is_refused() -> None:
    error, _ = refused(topics=one, fifo=True)
    assert "standard topic and the queue is FIFO" in str(error)


def test_fifo_topic_by_arn_subscribes_a_fifo_queue() -> None:
    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        topic = sns.Topic.from_topic_arn(
            stack, "T", stack.format_arn(service="sns", resource="app-env-svc-events.fifo")
        )
        return ScaleToZeroQueueService(
            stack, "Worker", image=TEST_IMAGE, fifo=True, topics=[TopicSubscription(topic=topic)]
        )

    synth = synthesize(build)
    assert len(synth.resources("AWS::SNS::Subscription")) == 1


def test_invalid_filter_policy_is_refused_naming_its_place() -> None:
    error, _ = refused(topics=lambda s: one(s, filter_policy={"event": "order_placed"}))
    assert error.prop == "topics"
    assert "topics[0].filter_policy is not a valid SNS filter policy: event:" in str(error)


def test_nested_policy_needs_the_message_body_scope() -> None:
    error, _ = refused(topics=lambda s: one(s, filter_policy={"a": {"b": ["c"]}}))
    assert "MessageBody" in str(error)


def test_unknown_scope_is_refused() -> None:
    error, _ = refused(
        topics=lambda s: one(s, filter_policy={"a": ["b"]}, filter_policy_scope="Body")
    )
    assert "filter_policy_scope must be 'MessageAttributes' or 'MessageBody'" in str(error)


def test_scope_without_a_policy_is_refused() -> None:
    error, _ = refused(topics=lambda s: one(s, filter_policy_scope="MessageBody"))
    assert "needs a filter_policy" in str(error)


def test_raw_delivery_must_be_a_bool() -> None:
    error, _ = refused(topics=lambda s: one(s, raw_message_delivery="yes"))
    assert "raw_message_delivery must be True or False" in str(error)


def test_a_topic_arn_string_is_refused_with_the_fix() -> None:
    error, _ = refused(topics=[TopicSubscription(topic=OTHER_ACCOUNT_TOPIC)])  # type: ignore[arg-type]
    assert "sns.Topic.from_topic_arn" in str(error)


def test_a_bare_topic_is_refused_with_the_fix() -> None:
    error, _ = refused(topics=lambda s: [sns.Topic(s, "T")])
    assert "must be a TopicSubscription" in str(error)


def test_topics_must_be_a_list() -> None:
    error, _ = refused(topics=lambda s: TopicSubscription(topic=sns.Topic(s, "T")))
    assert error.prop == "topics" and "must be a list" in str(error)


def test_the_same_topic_twice_is_refused() -> None:
    def twice(stack: cdk.Stack) -> list[TopicSubscription]:
        topic = sns.Topic(stack, "T")
        return [TopicSubscription(topic=topic), TopicSubscription(topic=topic)]

    error, _ = refused(topics=twice)
    assert "topics[1] subscribes the topic of topics[0] again" in str(error)


def test_an_imported_key_warns_that_its_policy_must_admit_sns() -> None:
    from aws_cdk.assertions import Annotations

    from test.conftest import KEY_ARN

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            encryption_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
            topics=[TopicSubscription(topic=sns.Topic(stack, "Own"))],
        )

    synth = synthesize(build)
    Annotations.from_stack(synth.stack).has_warning(
        "/TestStack/Worker", Match.string_like_regexp("allow sns.amazonaws.com kms:GenerateDataKey")
    )


def test_an_imported_queue_warns_that_its_policy_must_admit_the_topics() -> None:
    from aws_cdk.assertions import Annotations

    def build(stack: cdk.Stack) -> ScaleToZeroQueueService:
        queue = sqs.Queue.from_queue_arn(stack, "Q", "arn:aws:sqs:us-east-1:123456789012:jobs")
        return ScaleToZeroQueueService(
            stack,
            "Worker",
            image=TEST_IMAGE,
            queue=queue,
            topics=[TopicSubscription(topic=sns.Topic(stack, "Own"))],
        )

    synth = synthesize(build)
    Annotations.from_stack(synth.stack).has_warning(
        "/TestStack/Worker", Match.string_like_regexp("aws:SourceArn of each topic")
    )
    assert len(synth.resources("AWS::SNS::Subscription")) == 1


def test_with_cdks_flag_the_key_policy_admits_only_the_subscribed_topic() -> None:
    from aws_cdk.assertions import Template

    app = cdk.App(context={"@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption": True})
    stack = cdk.Stack(app, "Flagged", env=TEST_ENV)
    topic = sns.Topic(stack, "Own")
    ScaleToZeroQueueService(
        stack,
        "Worker",
        image=TEST_IMAGE,
        encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
        topics=[TopicSubscription(topic=topic)],
    )
    topic_id = stack.get_logical_id(topic.node.default_child)  # type: ignore[arg-type]
    Template.from_stack(stack).has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": topic_id}}},
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Resource": "*",
                        }
                    ]
                )
            }
        },
    )
