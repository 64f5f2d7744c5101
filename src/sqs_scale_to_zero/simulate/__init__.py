"""Discrete-event simulator: replay a workload against a synthesized stack's scaling.

Command line::

    sqs-scale-to-zero simulate cdk.out/MyStack.template.json other.template.json \
        --workload jobs.jsonl [--json] [--seed N] [--horizon SECONDS] [--service LOGICAL_ID] \
        [--deploy-at SECONDS ...]
    sqs-scale-to-zero simulate cdk.out/MyStack.template.json --workload burst:count=300

Python::

    from sqs_scale_to_zero.simulate import simulate
    results = simulate(["cdk.out/MyStack.template.json"], "poisson:rate_per_minute=2,hours=24", seed=1)

One concept per module: ``specs`` (the service model's dataclasses), ``intrinsics``
(CloudFormation intrinsic functions), ``template`` (the reader that builds the specs),
``scheduled`` (its part for scheduled functions that read the queue), ``deploy_reader`` (its
part for rolling out a new task definition), ``permissions`` (what an IAM role of the template
may do), ``sqs``, ``metrics`` (CloudWatch datapoints and sources), ``metric_math``, ``alarms``,
``autoscaling``, ``ecs``, ``deployments`` (the rollout and the drain in virtual time),
``poller`` (scheduled functions that read the queue, e.g. the fresh backlog signal), ``wake``
(such a function waking the service from zero), ``cost``, ``workload`` and ``generators``
(workloads and the generators' registry), ``config`` (model knobs), ``events`` and ``engine``
(event loop), ``minute`` (what a minute boundary records), ``accounting`` (billing and the
task-start share of waits), ``report``, ``describe`` (summary for ``synth``), ``api``
(:func:`simulate`) and ``errors``.
This module only re-exports. Nothing here imports aws_cdk or constructs: the simulator reads
template JSON only.
"""

from sqs_scale_to_zero.simulate.api import simulate
from sqs_scale_to_zero.simulate.config import SimulationConfig
from sqs_scale_to_zero.simulate.cost import FargatePricing
from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.metrics import register_metric_source
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.specs import ServiceModel
from sqs_scale_to_zero.simulate.template import load_service
from sqs_scale_to_zero.simulate.workload import WorkItem, read_jsonl

__all__ = [
    "FargatePricing",
    "Result",
    "ServiceModel",
    "SimulationConfig",
    "SimulationInputError",
    "WorkItem",
    "load_service",
    "read_jsonl",
    "register_metric_source",
    "simulate",
]
