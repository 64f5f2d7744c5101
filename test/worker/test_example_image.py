"""The examples' worker folder (what ``sqs-scale-to-zero new`` writes): a Dockerfile that stays
correct, and an app that really works.

Here the Dockerfile is checked as text and the app runs under the real ``Worker`` against the
moto server; ``test/e2e`` builds the image and runs it in a container.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.worker import contract

from .conftest import fast_worker, queue_counts, send, wait_for

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "examples" / "basic" / "worker"


def test_dockerfile_installs_the_newest_worker_by_default_and_a_release_on_request() -> None:
    dockerfile = (IMAGE / "Dockerfile").read_text()

    assert "\nARG WORKER_VERSION=\n" in dockerfile  # empty: the newest pip finds
    assert '"sqs-scale-to-zero-worker${WORKER_VERSION:+==${WORKER_VERSION}}"' in dockerfile
    assert "COPY wheels/ /tmp/wheels/" in dockerfile and "--find-links /tmp/wheels" in dockerfile
    copied = re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE)
    assert copied == ["wheels/", "app.py"]  # nothing from outside the folder
    instructions = "\n".join(
        line for line in dockerfile.splitlines() if not line.lstrip().startswith("#")
    )
    assert not re.search(r"aws-cdk|jsii|\bnode\b|\bnpm\b|apt-get", instructions, re.IGNORECASE)


def test_dockerfile_runs_the_cli_as_a_non_root_user_in_exec_form() -> None:
    dockerfile = (IMAGE / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.\d+-slim$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", dockerfile, re.MULTILINE)
    user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}
    assert dockerfile.rstrip().endswith(
        'CMD ["python", "-m", "sqs_scale_to_zero.worker", "app:handle"]'
    )


def test_example_app_runs_under_the_real_worker(sqs: Any, make_queue: Any, start: Any) -> None:
    spec = importlib.util.spec_from_file_location("worker_image_app", IMAGE / "app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    url = make_queue(visibility_timeout=60)
    send(
        sqs,
        url,
        [
            json.dumps({"order_id": 1}),
            json.dumps({"order_id": 2, "downstream": "busy"}),
        ],
    )

    worker = fast_worker(app.handle, url, concurrency=2)
    running = start(worker)
    wait_for(lambda: worker.stats.processed == 2, what="both orders handled")
    running.stop()

    assert (worker.stats.succeeded, worker.stats.retried) == (1, 1)
    assert queue_counts(sqs, url) == (
        0,
        1,
    )  # the busy one waits out its 30-second retry delay


def test_example_app_sends_a_body_that_is_not_json_to_the_dead_letter_queue(
    sqs: Any, make_queue: Any, start: Any
) -> None:
    spec = importlib.util.spec_from_file_location("worker_image_app_dlq", IMAGE / "app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    url, dlq = make_queue(visibility_timeout=60), make_queue(name="dlq")
    send(sqs, url, ["not json at all"])

    worker = fast_worker(app.handle, url, environ={contract.DEAD_LETTER_QUEUE_URL: dlq})
    running = start(worker)
    wait_for(lambda: worker.stats.dead_lettered == 1, what="the dead letter")
    running.stop()

    assert queue_counts(sqs, url) == (0, 0) and queue_counts(sqs, dlq) == (1, 0)
