"""The contract between processes: the names and limits every part must agree on.

The construct, the worker, the backlog signal function and the simulator all import it.

Everything that crosses a process boundary is written here once: the environment variables
the construct sets in the worker container and the signal function, the signal's CloudWatch
namespace, dimension and metric names, and the SQS limits every part relies on. It lives in the
worker package because the worker distribution (boto3 only) must ship it, and the construct
depends on that distribution. It imports nothing.
"""

# --- Worker container environment (set by the construct, read by the worker) -------------------

QUEUE_URL = "QUEUE_URL"
"""URL of the queue to consume. Always set by the construct."""

QUEUE_NAME = "QUEUE_NAME"
"""Name of the queue to consume. Always set by the construct."""

VISIBILITY_TIMEOUT_SECONDS = "SCALE_TO_ZERO_VISIBILITY_TIMEOUT_SECONDS"
"""The queue's visibility timeout in seconds; set when the construct creates the queue.

When absent (a queue brought with ``queue=``), the worker reads it with ``GetQueueAttributes``.
"""

TASK_PROTECTION = "SCALE_TO_ZERO_TASK_PROTECTION"
"""``"enabled"`` when the task role may call ``ecs:UpdateTaskProtection``, else ``"disabled"``."""

SHUTDOWN_GRACE_SECONDS = "SCALE_TO_ZERO_SHUTDOWN_GRACE_SECONDS"
"""Seconds the worker may let running handlers finish after SIGTERM.

The construct sets it :data:`SHUTDOWN_MARGIN_SECONDS` below the container's ``stop_timeout`` so
that unfinished messages can still be released before ECS sends SIGKILL.
"""

CONCURRENCY = "SCALE_TO_ZERO_CONCURRENCY"
"""Optional: handlers the worker CLI runs at once (default 1); ``--concurrency`` overrides it.

Read by ``python -m sqs_scale_to_zero.worker`` only; ``Worker(concurrency=...)`` is explicit.
"""

DEFAULT_PREFETCH_SECONDS = 1.0
"""How far ahead the worker receives unless told otherwise: the messages its handlers are
expected to start within this many seconds, judged by their average duration (at most
:data:`SQS_MAX_BATCH_SIZE` beyond the concurrency). The simulator's tasks receive ahead the same way."""

PREFETCH_DURATION_WEIGHT = 0.2
"""Weight of the newest handler duration in the running average that sizes the prefetch."""

LOG_LEVEL = "SCALE_TO_ZERO_LOG_LEVEL"
"""Optional: the worker CLI's logging level (default ``INFO``); ``--log-level`` overrides it."""

RESERVED_PREFIX = "SCALE_TO_ZERO_"
"""Every environment name with this prefix belongs to the worker runtime."""

ECS_AGENT_URI = "ECS_AGENT_URI"
"""Set by the ECS agent itself (not by the construct); the base of the task-protection endpoint."""

SHUTDOWN_MARGIN_SECONDS = 10
"""Seconds between the worker's shutdown grace and SIGKILL, left for releasing messages."""

# --- The deploy drain (set by the construct, read by the worker) -------------------------------

DEPLOY_STACK = "SCALE_TO_ZERO_DEPLOY_STACK"
"""The ID (ARN) of the CloudFormation stack that holds the worker's ECS service.

With :data:`DEPLOY_SERVICE_RESOURCE` it tells the worker where to look up its own service: a
task on Fargate cannot read its service's name from the task metadata endpoint, and the task
definition cannot name the service (the service refers to the task definition). Both unset:
the worker never checks for a new deployment.
"""

DEPLOY_SERVICE_RESOURCE = "SCALE_TO_ZERO_DEPLOY_SERVICE_RESOURCE"
"""The logical ID of the worker's ``AWS::ECS::Service`` in :data:`DEPLOY_STACK`.

``cloudformation:DescribeStackResource`` turns it into the service's ARN (its physical ID).
"""

DEPLOY_CHECK_SECONDS = "SCALE_TO_ZERO_DEPLOY_CHECK_SECONDS"
"""Mean seconds between two checks of the service's primary deployment (jittered by the worker).

The construct sets it so the whole fleet stays under :data:`DEPLOY_CHECKS_PER_SECOND`.
"""

DEPLOY_CHECK_JITTER = 0.25
"""Each interval between two deployment checks of one task is its mean times a uniform factor in
1 ± this (the mean is :data:`DEPLOY_CHECK_SECONDS`); the first check comes after a uniform
fraction of one mean. The worker and the simulator both draw their checks this way."""

DEPLOY_CHECK_MIN_SECONDS = 5
"""The shortest mean interval between two deployment checks of one task.

With the worker's jitter of ±25 % (:data:`DEPLOY_CHECK_JITTER`) a check comes at most 6.25 s
after the last one, so an old task of a fleet of up to 10 tasks (the interval grows with
``max_capacity``, see :data:`DEPLOY_CHECKS_PER_SECOND`) notices a deploy well within one SQS
long poll (20 s) and rarely starts more than one message on the old code.
"""

DEPLOY_CHECKS_PER_SECOND = 2.0
"""The most ``DescribeServices`` calls per second the whole fleet makes at ``max_capacity``:
a tenth of ECS's default sustained rate for service read actions (20 a second)."""

DEPLOY_DRAIN_PAUSE_LIMIT_SECONDS = 180
"""How long an outdated task, taking no message, waits for the new deployment's first running
task before it goes back to work on the old code (a new image that does not start must not
stop the processing until the circuit breaker rolls it back)."""

ECS_CONTAINER_METADATA_URI_V4 = "ECS_CONTAINER_METADATA_URI_V4"
"""Set by the ECS agent itself: the base of the task metadata endpoint version 4."""

# --- HTTP delivery (set by the construct, read by the worker runtime beside the app) -----------

DELIVER_TO = "SCALE_TO_ZERO_DELIVER_TO"
"""Optional: the ``http://`` URL on a loopback address to which the runtime POSTs each message.

Set, the worker CLI takes no handler argument: HTTP delivery replaces the Python handler
(``--deliver-to`` overrides it).
"""

DELIVER_CONTENT_TYPE = "SCALE_TO_ZERO_DELIVER_CONTENT_TYPE"
"""Optional: the ``Content-Type`` of each POST (default ``application/json``)."""

DELIVER_TIMEOUT_SECONDS = "SCALE_TO_ZERO_DELIVER_TIMEOUT_SECONDS"
"""Optional: seconds without any answer from the app after which a POST counts as failed."""

DELIVER_HEALTH_PATH = "SCALE_TO_ZERO_DELIVER_HEALTH_PATH"
"""Optional: a path the runtime GETs to learn that the app is ready (unset: the app's port
accepting a connection is enough)."""

# --- Periodic tasks (set on a message by a schedule, read by the HTTP delivery) ---------------
# Elastic Beanstalk's guide ("Elastic Beanstalk worker environments", section "Periodic tasks",
# https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features-managing-env-tiers.html)
# says the daemon queues a message per task run and POSTs it to the task's ``url`` with the
# headers ``X-Aws-Sqsd-Taskname`` and ``X-Aws-Sqsd-Scheduled-At``; it does not name the message
# attributes that carry them. These are the names the Beanstalk daemon (sqsd) itself puts on the
# message, so a message queued by a Beanstalk environment and one queued by a schedule of this
# library look the same to the worker during a migration.

PERIODIC_TASK_NAME_ATTRIBUTE = "beanstalk.sqsd.task_name"
"""String message attribute: the periodic task's name (becomes ``X-Aws-Sqsd-Taskname``)."""

PERIODIC_TASK_SCHEDULED_AT_ATTRIBUTE = "beanstalk.sqsd.scheduled_time"
"""String message attribute: when the run was scheduled (becomes ``X-Aws-Sqsd-Scheduled-At``).

A schedule of this library writes EventBridge Scheduler's ``<aws.scheduler.scheduled-time>``,
an ISO 8601 UTC time such as ``2026-12-06T18:00:00Z``.
"""

PERIODIC_TASK_PATH_ATTRIBUTE = "beanstalk.sqsd.path"
"""String message attribute: the path the run is POSTed to (the ``url`` of a ``cron.yaml`` task),
instead of the delivery's own path."""

PERIODIC_TASK_ATTRIBUTE_PREFIX = "beanstalk.sqsd."
"""The prefix of the three names above: attributes of the periodic task, not the app's own."""

PERIODIC_TASK_BODY = "elasticbeanstalk scheduled job"
"""The body the Beanstalk daemon gives a periodic task's message; a ``cron.yaml`` task's default."""

# --- Delivery modes (named by the construct, read from the template by the simulator) ----------

DELIVERY_PYTHON_RUNTIME = "python runtime"
"""The image runs the worker runtime with a Python handler: its container carries the runtime's
``SCALE_TO_ZERO_*`` settings."""

DELIVERY_HTTP = "HTTP delivery"
"""The runtime runs in its own container and POSTs each message to the app: that container
carries :data:`DELIVER_TO`."""

DELIVERY_OWN_CONSUMER = "own consumer"
"""The image consumes the queue itself, without the runtime: no container carries a
``SCALE_TO_ZERO_*`` setting."""

# --- Dead-lettering a message at once (set by the construct, read by the worker) ---------------

DEAD_LETTER_QUEUE_URL = "SCALE_TO_ZERO_DEAD_LETTER_QUEUE_URL"
"""Optional: URL of the dead-letter queue to which ``raise DeadLetter(reason)`` moves a message."""

DEAD_LETTER_REASON_ATTRIBUTE = "sqs-scale-to-zero.dead-letter-reason"
"""String message attribute the worker adds to a message it moves to the dead-letter queue: the
reason given to ``DeadLetter``."""

DEAD_LETTER_HEADER = "X-Sqs-Scale-To-Zero-Dead-Letter"
"""With HTTP delivery, the answer header by which the app asks for ``DeadLetter``: its value is
the reason. Beanstalk's daemon has no such answer (it retries every answer but 200), and no other
sqsd has a convention for it: the header is this library's own."""

DEAD_LETTER_REASON_MAX_CHARACTERS = 1024
"""The longest reason kept (in the attribute and the log); a longer one is cut, ending in "..."."""

# --- Backlog signal function (set by the construct, read by the function and the simulator) ----

SIGNAL_QUEUE_URL = "QUEUE_URL"
"""The signal function's variable naming the queue it reads."""

SIGNAL_QUEUE_NAME = "QUEUE_NAME"
"""The signal function's variable naming the queue, used as the metrics' dimension value."""

SIGNAL_METRIC_NAMESPACE = "METRIC_NAMESPACE"
"""The signal function's variable naming the namespace it publishes to."""

SIGNAL_PUBLISHES = "PUBLISHES"
"""The signal function's variable saying what it publishes to its namespace: one of
:data:`SIGNAL_PUBLISHES_BACKLOG` (unset means this) or :data:`SIGNAL_PUBLISHES_DESIRED`."""

SIGNAL_PUBLISHES_BACKLOG = "backlog"
"""Publish the queue's counts (:data:`SIGNAL_METRICS`) every run, and the desired count after
any wake (the fresh signal)."""

SIGNAL_PUBLISHES_DESIRED = "desired-while-running"
"""Publish only the desired count after any wake, and only when it is at least 1 (the fast
wake: nothing is sent while the service is idle)."""

SIGNAL_CLUSTER_NAME = "CLUSTER_NAME"
"""The signal function's variable naming the service's cluster, for the fast wake."""

SIGNAL_SERVICE_NAME = "SERVICE_NAME"
"""The signal function's variable naming the service it wakes from zero tasks."""

SIGNAL_MESSAGES_PER_TASK = "MESSAGES_PER_TASK"
"""The signal function's variable: the backlog one task carries (the sizing's
``messages_per_task``), so a wake starts the backlog's level of tasks at once."""

SIGNAL_MAX_CAPACITY = "MAX_CAPACITY"
"""The signal function's variable: the most tasks a wake may start (``max_capacity``)."""

SIGNAL_IDLE_ALARM_NAME = "IDLE_ALARM_NAME"
"""The signal function's variable naming the idle (scale-in) alarm whose actions it holds off
while it wakes the service."""

SIGNAL_AUTO_SCALING_GROUP = "ASG_NAME"
"""The signal function's variable naming the Auto Scaling group of the service's instances
(GPU instances only): a wake from zero raises its desired capacity at once."""

SIGNAL_TASKS_PER_INSTANCE = "TASKS_PER_INSTANCE"
"""The signal function's variable: tasks one instance of that group holds, so a wake of N
tasks asks for ``ceil(N / TASKS_PER_INSTANCE)`` instances."""

SIGNAL_NAMESPACE = "SqsScaleToZero"
"""CloudWatch namespace of the fresh backlog signal's metrics."""

SIGNAL_QUEUE_DIMENSION = "QueueName"
"""The one dimension of every backlog signal metric: the queue's name."""

SIGNAL_METRICS = {
    "ApproximateNumberOfMessages": "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible": "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed": "ApproximateNumberOfMessagesDelayed",
}
"""SQS queue attribute -> published metric name (the names of SQS's own metrics)."""

SIGNAL_DESIRED_METRIC = "DesiredTaskCount"
"""The signal's metric of the service's desired task count, as it is after any wake."""

# --- The queue the construct creates (and ``sqs-scale-to-zero local`` makes alike) -------------

QUEUE_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 5 * 60
"""The visibility timeout of a queue the construct creates (SQS's own default is 30 s)."""

QUEUE_DEFAULT_MAX_RECEIVE_COUNT = 3
"""Receives before SQS moves a message to the construct's dead-letter queue."""

# --- Alarms others read from the template -----------------------------------------------------

NOT_RECEIVING_ALARM_ID = "TasksNotReceivingAlarm"
"""Construct id of the alarm for tasks that take no message, where it is made alone (no
tasks-on-an-empty-queue alarm)."""

NOT_WORKING_ALARM_ID = "TasksNotWorkingAlarm"
"""Construct id of the one alarm for tasks on an empty queue or taking no message, where both
are made (the default)."""

SCALES_IN_WHILE_MESSAGES_WAIT = (NOT_RECEIVING_ALARM_ID, NOT_WORKING_ALARM_ID)
"""Construct ids of the alarms that scale the service in while messages wait: no idle timeout
(the benchmarks' idle detection leaves them out)."""

SCALE_OUT_ALARM_ID = "ScaleOutAlarm"
"""Construct id of the alarm that wakes the service and adds tasks for a backlog."""

SCALE_IN_ALARM_ID = "ScaleInAlarm"
"""Construct id of the idle alarm that sets the service to zero tasks."""

GRADUAL_SCALE_IN_ALARM_ID = "GradualScaleInAlarm"
"""Construct id of the N -> N-1 alarm (``gradual_scale_in=True``)."""

EMPTY_QUEUE_ALARM_ID = "TasksOnEmptyQueueAlarm"
"""Construct id of the alarm for tasks on an empty queue, where it is made alone."""

DEAD_LETTER_QUEUE_ALARM_ID = "DeadLetterQueueAlarm"
"""Construct id of the alarm on a message in the dead-letter queue."""

OLDEST_MESSAGE_AGE_ALARM_ID = "OldestMessageAgeAlarm"
"""Construct id of the alarm on the oldest message's age."""

BACKLOG_SIGNAL_ALARM_ID = "BacklogSignalAlarm"
"""Construct id of the alarm on a backlog signal that failed or stopped."""

# --- SQS limits (Amazon SQS developer guide, "Quotas related to messages") ----------------------

SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 60 * 60
"""The longest visibility timeout SQS accepts: 12 hours."""

SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30
"""SQS's visibility timeout for a queue created without one (``AWS::SQS::Queue``)."""

SQS_MAX_MESSAGE_ATTRIBUTES = 10
"""The most message attributes one message may carry."""

SQS_MAX_BATCH_SIZE = 10
"""The most messages one ``ReceiveMessage`` returns, and the most entries of a batch call."""

SQS_MAX_WAIT_SECONDS = 20
"""The longest long poll (``WaitTimeSeconds``) SQS accepts."""

SQS_MAX_DELAY_SECONDS = 15 * 60
"""The longest delivery delay of a message or queue (``DelaySeconds``): 15 minutes."""
