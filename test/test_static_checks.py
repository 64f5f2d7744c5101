"""Lint and type checks run as part of the test suite, so CI enforces them.

The rule set and the mypy options live in ``.projenrc.py`` (rendered into ``pyproject.toml``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

LINTED_PATHS = ["src", "test", "benchmarks", "examples", "scripts"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing() -> None:
    paths = [path for path in LINTED_PATHS if (ROOT / path).exists()]
    result = _run("ruff", "check", "--no-cache", "--output-format", "concise", *paths)
    assert result.returncode == 0, f"`ruff check {' '.join(paths)}` failed:\n{result.stdout}"


def test_ruff_format_finds_nothing_to_change() -> None:
    paths = [path for path in LINTED_PATHS if (ROOT / path).exists()]
    result = _run("ruff", "format", "--check", "--no-cache", *paths)
    assert result.returncode == 0, f"`ruff format --check` would reformat:\n{result.stdout}"


def test_ruff_lints_src_docstrings_in_the_google_convention() -> None:
    # Given a public function in src/ whose docstring runs its summary into the description
    # and leaves an argument undocumented under an Args section ...
    probe = (
        '"""A module."""\n\n\n'
        "def public(a: int, b: int) -> int:\n"
        '    """Add two numbers\n    together.\n\n    Args:\n        a: The first.\n    """\n'
        "    return a + b\n"
    )
    result = subprocess.run(
        [
            str(BIN / "ruff"),
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            "--stdin-filename",
            "src/sqs_scale_to_zero/probe.py",
            "-",
        ],
        cwd=ROOT,
        input=probe,
        capture_output=True,
        text=True,
        check=False,
    )
    # ... then the rule set reports both, as the Google convention asks.
    assert "D205" in result.stdout, result.stdout
    assert "D417" in result.stdout, result.stdout


def test_mypy_strict_passes_on_src_and_test() -> None:
    # Plain `mypy` checks the configured `files` (src and test, see `.projenrc.py`).
    result = _run("mypy")
    assert result.returncode in (0, 1), f"mypy did not run:\n{result.stdout}{result.stderr}"
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not errors, f"`mypy` failed:\n{result.stdout}"
