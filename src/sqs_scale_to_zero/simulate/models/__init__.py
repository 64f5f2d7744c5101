"""The AWS models the simulator runs on its kernel (:mod:`..kernel`), one module per thing.

=========================  ===============================================================
Module                     What it models
=========================  ===============================================================
:mod:`.queue`              the SQS queue: send, receive, visibility, delete, the DLQ
:mod:`.tasks`              a Fargate task's life: start latency, states, scale-in choice
:mod:`.service`            the ECS service: desired count, launches, stops, messages to tasks
:mod:`.deployment`         rolling out a new task definition, and the worker's deploy drain
:mod:`.metrics`            CloudWatch datapoints and their sources
:mod:`.metric_math`        CloudWatch metric math
:mod:`.minute_snapshot`    what a minute boundary records
:mod:`.alarm_evaluation`   CloudWatch alarm states, evaluated each minute
:mod:`.scaling`            Application Auto Scaling: step and target-tracking policies
:mod:`.backlog_signal`     the scheduled function that reads the queue, and its fast wake
:mod:`.cost`               Fargate prices
=========================  ===============================================================
"""
