"""Discrete-event simulator: replay a workload against a synthesized stack's scaling.

Command line::

    sqs-scale-to-zero simulate cdk.out/MyStack.template.json other.template.json \
        --workload jobs.jsonl [--json] [--seed N] [--horizon SECONDS] [--service LOGICAL_ID] \
        [--deploy-at SECONDS ...] [--timeline day.png]
    sqs-scale-to-zero simulate cdk.out/MyStack.template.json --workload burst:count=300
    sqs-scale-to-zero simulate cdk.out --workload burst:count=300   # or the app's folder

Python::

    from sqs_scale_to_zero.simulate import simulate
    results = simulate(["cdk.out/MyStack.template.json"], "poisson:rate_per_minute=2,hours=24", seed=1)

The public names (``__all__``), by what they are for:

Running
    * :func:`simulate`: replay a workload against each template's ECS service.

Results
    * :class:`Result`: what one run did (messages, waits, tasks, cost, scaling).
    * :class:`DeploymentResult`: what one deployment of a run did (``Result.deployments``).

Configuration
    * :class:`SimulationConfig`: the model's knobs (start latency, delays, prices).
    * :class:`StartLatency`: how long a task takes to start (``SimulationConfig.start_latency``).
    * :class:`FargatePricing`: Fargate's prices (``SimulationConfig.pricing``).

Workloads and templates
    * :class:`WorkItem`: one message of a workload.
    * :func:`read_jsonl`: read a workload file (generators: :mod:`.workload`).
    * :func:`load_service`: read one ECS service of a template into a :class:`ServiceModel`.
    * :class:`ServiceModel`: what the simulator runs, as read from the template.

Errors
    * :exc:`SimulationInputError`: an unreadable template or workload.
    * :exc:`SimulationArgumentError`: an argument out of range.

Where to start reading the code: :mod:`.kernel` is the clock, the event queue and the run
loop, and knows nothing of AWS; :mod:`.models` holds one module (or package) per modelled
thing, each scheduling its own events on the kernel (the queue, the tasks, the service, its
deployments, CloudWatch metrics and alarms, scaling, the backlog signal, costs); :mod:`.run`
wires the models of one service to the kernel and ticks each minute, and :mod:`.timeline`
records and draws it minute by minute; each model reads its own
part of the template into :mod:`.template.specs`, and :mod:`.template.reader` assembles one
service from them; :mod:`.workload` makes the messages;
:mod:`.api` is :func:`simulate`; :mod:`.report` and :mod:`.accounting` add up a run;
:mod:`.describe` summarizes a template for ``synth``, after the plain words of
:mod:`.plain_summary`.

This module only re-exports. Nothing here imports aws_cdk or constructs: the simulator reads
template JSON only.
"""

from sqs_scale_to_zero.simulate.api import simulate
from sqs_scale_to_zero.simulate.config import SimulationConfig
from sqs_scale_to_zero.simulate.errors import SimulationArgumentError, SimulationInputError
from sqs_scale_to_zero.simulate.models.cost import FargatePricing
from sqs_scale_to_zero.simulate.models.tasks import StartLatency
from sqs_scale_to_zero.simulate.report import DeploymentResult, Result
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.template.specs import ServiceModel
from sqs_scale_to_zero.simulate.workload.items import WorkItem, read_jsonl

__all__ = [
    "DeploymentResult",
    "FargatePricing",
    "Result",
    "ServiceModel",
    "SimulationArgumentError",
    "SimulationConfig",
    "SimulationInputError",
    "StartLatency",
    "WorkItem",
    "load_service",
    "read_jsonl",
    "simulate",
]
