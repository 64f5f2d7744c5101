"""The AWS models the simulator runs on its kernel (:mod:`..kernel`), one module per thing.

Each reads its part of the template (a ``read_*`` function, or a package's ``reader`` module)
and runs it in virtual time; :mod:`..template.reader` assembles the parts.

=========================  ===============================================================
Module                     What it models
=========================  ===============================================================
:mod:`.queue`              the SQS queue: send, receive, visibility, delete, the DLQ
:mod:`.tasks`              a Fargate task's life: start latency, states, scale-in choice
:mod:`.service`            the ECS service: desired count, launches, stops, messages to tasks
:mod:`.receiving`          how a task's worker receives: its handlers and its prefetch
:mod:`.deploy_drain`       rolling out a new task definition, and the worker's deploy drain
:mod:`.metrics`            CloudWatch datapoints and their sources
:mod:`.metric_math`        CloudWatch metric math
:mod:`.minute_snapshot`    what a minute boundary records
:mod:`.alarm_evaluation`   CloudWatch alarm states, evaluated each minute
:mod:`.scaling`            Application Auto Scaling: the target, step and tracking policies
:mod:`.wake_function`      the wake function, the backlog signal it publishes, its fast wake
:mod:`.message_sources`    EventBridge Scheduler schedules and SNS topics that send to the queue
:mod:`.instances`          EC2 instances of a capacity provider: launch, placement, scale-in
:mod:`.cost`               Fargate prices
=========================  ===============================================================
"""
