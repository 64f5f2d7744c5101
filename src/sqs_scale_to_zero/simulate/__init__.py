"""Discrete-event simulator: replay a workload against a synthesized stack's scaling.

This module only re-exports the Python API. Nothing here imports aws_cdk or constructs: the
simulator reads template JSON only.
"""

from sqs_scale_to_zero.simulate.api import simulate
from sqs_scale_to_zero.simulate.cost import FargatePricing
from sqs_scale_to_zero.simulate.engine import SimulationConfig
from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.metrics import register_metric_source
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.template import ServiceModel, load_service
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
