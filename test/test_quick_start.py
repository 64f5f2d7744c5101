"""The README's Quick start, run as printed: its ``sqs-scale-to-zero new`` line writes an app,
and it names everything a new user must install and run (the CDK CLI, ``cdk bootstrap``,
Docker to deploy). ``test/test_scaffold.py`` synthesizes what ``new`` writes with the real
``cdk`` CLI, and ``test/e2e`` builds its image.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
QUICK_START = README.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]


def quick_start_lines() -> list[list[str]]:
    """The words of each command in the Quick start's bash block, comments left out."""
    (block,) = re.findall(r"```bash\n(.*?\n)```", QUICK_START, flags=re.S)
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_the_quick_start_names_what_to_install_and_run() -> None:
    commands = [" ".join(words) for words in quick_start_lines()]

    assert commands == [
        "pip install sqs-scale-to-zero",
        "npm install -g aws-cdk",
        "sqs-scale-to-zero new myapp && cd myapp",
        "cdk synth",
        "cdk bootstrap",
        "cdk deploy",
    ]
    assert "Docker" in QUICK_START and "Node.js" in QUICK_START
    assert "pip wheel --no-deps --wheel-dir worker/wheels" in QUICK_START


def test_the_quick_start_new_line_writes_a_complete_app(tmp_path: Path) -> None:
    (new,) = [words for words in quick_start_lines() if words[:2] == ["sqs-scale-to-zero", "new"]]
    folder = new[2]

    result = subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.cli", *new[1:3]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    app = tmp_path / folder
    assert {"app.py", "cdk.json", "worker"} <= {p.name for p in app.iterdir()}
    assert (app / "worker" / "Dockerfile").is_file()
