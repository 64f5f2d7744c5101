"""Lint and type checks run as part of the test suite, so CI enforces them.

The rule set and the mypy options live in ``.projenrc.py`` (rendered into ``pyproject.toml``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import source_rules

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


SRC = ROOT / "src"
WORKER = SRC / "sqs_scale_to_zero" / "worker"
WORKER_CLASS = "sqs_scale_to_zero.worker.consumer"
MAY_IMPORT_WORKER = {"consumer.py", "__init__.py", "__main__.py"}  # its own, the front, the CLI

CYCLES_OWNED_ELSEWHERE: list[list[str]] = []  # no import circle is left in src/


def test_no_worker_part_reaches_into_another_objects_underscore_attributes() -> None:
    assert source_rules.private_reaches(WORKER) == []


def test_only_the_worker_module_the_front_and_the_cli_import_worker() -> None:
    # TYPE_CHECKING imports included: they hide a circle from the runtime.
    assert (
        source_rules.worker_class_imports(WORKER, WORKER_CLASS, "Worker", MAY_IMPORT_WORKER) == []
    )


def test_src_has_no_import_circle_type_checking_included() -> None:
    assert source_rules.import_cycles(SRC, "sqs_scale_to_zero") == CYCLES_OWNED_ELSEWHERE


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "pkg"


def test_each_structure_check_finds_a_planted_violation(tmp_path: Path) -> None:
    package = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "consumer.py": "class Worker:\n    def run(self):\n        self._ok = 1\n",
            "helper.py": (
                "from typing import TYPE_CHECKING\nimport os\n"
                "if TYPE_CHECKING:\n    from pkg.consumer import Worker\n"
                "def pause(worker):\n    os._exit(0)\n    worker._paused.set()\n"
            ),
            "a.py": "from pkg import b\n",
            "b.py": "def f():\n    from pkg.a import g\n",
        },
    )
    assert source_rules.private_reaches(package) == ["helper.py:7: worker._paused"]
    assert source_rules.worker_class_imports(
        package, "pkg.consumer", "Worker", {"consumer.py"}
    ) == ["helper.py: TYPE_CHECKING import of Worker"]
    assert source_rules.import_cycles(tmp_path, "pkg") == [["pkg.a", "pkg.b"]]


def test_no_module_of_the_library_or_the_worker_is_over_400_lines() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((ROOT / "src").rglob("*.py"))
    }
    assert {path: lines for path, lines in lengths.items() if lines > 400} == {}
