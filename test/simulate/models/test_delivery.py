"""Delivery modes in the simulator: recognised from the template, summarized by ``synth``, and
an own consumer modelled as it would run (no heartbeat, no protection, no drain, no release).

Given the construct's template in each mode, when the simulator reads and runs it, then the
runtime's two modes keep every message once and uninterrupted, and the own consumer loses what
the runtime gives: a long job is processed twice, a deploy or scale-in interrupts a busy task.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_ecs as ecs

from sqs_scale_to_zero import HttpDelivery, ScaleToZeroQueueService
from sqs_scale_to_zero.simulate import Result, WorkItem, load_service, simulate
from sqs_scale_to_zero.simulate.describe import describe
from sqs_scale_to_zero.simulate.models.delivery import delivery_mode
from sqs_scale_to_zero.worker import contract
from test.conftest import synthesize

IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/node:22-slim")
SEEDS = (1, 2, 3)
MODES: dict[str, dict[str, Any]] = {
    contract.DELIVERY_PYTHON_RUNTIME: {},
    contract.DELIVERY_HTTP: {"http_delivery": HttpDelivery(port=8080, path="/work")},
    contract.DELIVERY_OWN_CONSUMER: {"own_consumer": True},
}


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Mode -> the construct's template with that mode (and one with gradual scale-in)."""
    out = tmp_path_factory.mktemp("delivery-modes")
    paths = {}
    variants = {**MODES, "own consumer, gradual": {"own_consumer": True, "gradual_scale_in": True}}
    variants["python runtime, gradual"] = {"gradual_scale_in": True}
    for name, props in variants.items():

        def build(stack: Any, props: dict[str, Any] = props) -> ScaleToZeroQueueService:
            return ScaleToZeroQueueService(stack, "Worker", image=IMAGE, **props)

        synth = synthesize(build)
        paths[name] = out / f"{name.replace(' ', '-').replace(',', '')}.template.json"
        paths[name].write_text(json.dumps(synth.template.to_json()))
    return paths


def run(path: Path, items: list[WorkItem], **kwargs: Any) -> list[Result]:
    return [simulate([path], items, seed=seed, **kwargs)[0] for seed in SEEDS]


@pytest.mark.parametrize("mode", list(MODES))
def test_the_mode_is_recognised_from_the_template_alone(
    mode: str, templates: dict[str, Path]
) -> None:
    task = load_service(templates[mode]).task
    assert task.delivery == delivery_mode(task.environment) == mode


def summary(path: Path) -> list[str]:
    return [line.strip() for line in describe(load_service(path))]


def test_the_summary_names_the_python_runtime_and_every_guarantee(
    templates: dict[str, Path],
) -> None:
    lines = summary(templates[contract.DELIVERY_PYTHON_RUNTIME])
    assert (
        "delivery: python runtime (the image runs sqs_scale_to_zero.worker with a Python "
        "handler)" in lines
    )
    (held,) = [line for line in lines if line.startswith("guarantees:")]
    for guarantee in ("task scale-in protection", "heartbeat", "deploy drain", "graceful stop"):
        assert guarantee in held
    assert "within 110 s of SIGTERM" in held
    assert not [line for line in lines if line.startswith("not provided:")]


def test_the_summary_names_http_delivery_its_url_and_every_guarantee(
    templates: dict[str, Path],
) -> None:
    lines = summary(templates[contract.DELIVERY_HTTP])
    assert (
        "delivery: HTTP delivery (the runtime, in its own container, POSTs each message to "
        "http://127.0.0.1:8080/work)" in lines
    )
    (held,) = [line for line in lines if line.startswith("guarantees:")]
    for guarantee in ("task scale-in protection", "heartbeat", "deploy drain", "graceful stop"):
        assert guarantee in held
    assert not [line for line in lines if line.startswith("not provided:")]


def test_the_summary_lists_what_an_own_consumer_does_not_get_and_how_to_get_it_back(
    templates: dict[str, Path],
) -> None:
    lines = summary(templates[contract.DELIVERY_OWN_CONSUMER])
    assert "delivery: own consumer (the image consumes the queue itself, without the runtime)" in (
        lines
    )
    assert not [line for line in lines if line.startswith("guarantees:")]
    (missing,) = [line for line in lines if line.startswith("not provided:")]
    for guarantee in ("task scale-in protection", "heartbeat", "deploy drain", "graceful stop"):
        assert guarantee in missing
    assert "SIGKILL after 120 s" in missing and "the 300 s visibility timeout" in missing
    (back,) = [line for line in lines if line.startswith("to get them back:")]
    assert "http_delivery=HttpDelivery" in back and "ChangeMessageVisibility" in back
    assert "task scale-in protection: off (a busy task can be stopped)" in lines
    assert any("outdated tasks are stopped by the deployment (SIGTERM)" in line for line in lines)


# The own consumer, as it would run --------------------------------------------------------------

LONG_JOB_BESIDE_SHORT_ONES = [WorkItem(600.0, 2700.0, 50.0)] + [
    WorkItem(600.0 + i, 120.0, 50.0) for i in range(5)
]
"""A 45-minute job (visibility timeout: 5 minutes) and five short ones, which bring a second
task that is idle when the long job's message becomes visible again."""


@pytest.mark.parametrize("mode", [contract.DELIVERY_PYTHON_RUNTIME, contract.DELIVERY_HTTP])
def test_with_the_runtime_a_long_job_is_processed_once(
    mode: str, templates: dict[str, Path]
) -> None:
    for result in run(templates[mode], LONG_JOB_BESIDE_SHORT_ONES):
        assert (result.processed, result.duplicate_deliveries, result.interrupted) == (6, 0, 0)


def test_an_own_consumer_processes_a_job_longer_than_the_visibility_timeout_twice(
    templates: dict[str, Path],
) -> None:
    for result in run(templates[contract.DELIVERY_OWN_CONSUMER], LONG_JOB_BESIDE_SHORT_ONES):
        assert (result.processed, result.duplicate_deliveries) == (6, 1)


def test_a_deploy_interrupts_an_own_consumer_but_drains_the_runtime(
    templates: dict[str, Path],
) -> None:
    job = [WorkItem(600.0, 600.0, 50.0)]  # still running 120 s after the deploy's SIGTERM
    for result in run(templates[contract.DELIVERY_OWN_CONSUMER], job, deploy_at=[900.0]):
        assert result.interrupted == 1 and result.processed == 1, "killed, then done again"
    for result in run(templates[contract.DELIVERY_PYTHON_RUNTIME], job, deploy_at=[900.0]):
        assert (result.interrupted, result.processed) == (0, 1)


def test_a_scale_in_interrupts_an_own_consumer_but_not_a_protected_runtime(
    templates: dict[str, Path],
) -> None:
    # an hour's job and a ten-minute one: gradual scale-in removes a task while work drains
    work = [WorkItem(600.0, 3600.0, 0.0), WorkItem(600.0, 600.0, 0.0)] + [
        WorkItem(600.0 + i, 30.0, 50.0) for i in range(4)
    ]
    own = run(templates["own consumer, gradual"], work)
    assert sum(r.interrupted for r in own) >= 1
    for result in run(templates["python runtime, gradual"], work):
        assert (result.interrupted, result.duplicate_deliveries) == (0, 0)
