"""The worker's code passes ``mypy --strict`` and ``ruff check`` (run here so CI enforces it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKER_PATHS = [
    "src/sqs_scale_to_zero/worker",
    "test/worker",
    "benchmarks/worker_throughput.py",
    "examples/worker_image",
]


def test_worker_passes_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "src/sqs_scale_to_zero/worker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_worker_passes_ruff_check() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *WORKER_PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
