"""The project's own files: generated ones stay in sync, and CI runs the README's test command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


FROM_A_CLONE = "\n## From a clone: try it, test it\n"


def readme_commands() -> list[str]:
    """The two bash blocks of the README's "From a clone" section: try it, then test it."""
    section = (ROOT / "README.md").read_text().split(FROM_A_CLONE, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)
    return [block.strip() for block in blocks[:2]]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert readme_commands()[1] in ci_lines


def test_readme_first_command_synthesizes_the_basic_example() -> None:
    assert "synth examples/basic" in readme_commands()[0]


@pytest.mark.skipif(shutil.which("node") is None, reason="projen synthesis needs Node.js")
def test_generated_files_match_projenrc(tmp_path: Path) -> None:
    """`python .projenrc.py` in a copy of the tracked files changes nothing."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    generated = [
        name
        for name in tracked
        if name and (ROOT / name).is_file() and name in _projen_managed_files()
    ]
    copy = tmp_path / "repo"
    for name in [n for n in tracked if n and (ROOT / n).is_file()]:
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
        target.chmod(0o644)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run([sys.executable, ".projenrc.py"], cwd=copy, check=True, capture_output=True)
    stale = [name for name in generated if (copy / name).read_bytes() != (ROOT / name).read_bytes()]
    assert not stale, f"run `python .projenrc.py` and commit: stale generated files {stale}"


def _projen_managed_files() -> set[str]:
    import json

    return set(json.loads((ROOT / ".projen/files.json").read_text())["files"])
