"""The README's Quick start, run as printed: its files, written where it says, synthesize with
``sqs-scale-to-zero synth`` (once per session), and its handler handles a message.

``test/e2e`` builds the Quick start's Dockerfile too.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.worker import Message

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
QUICK_START = README.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?\n)```", QUICK_START, flags=re.S)


def quick_start_files() -> dict[str, str]:
    """Path in the new app -> content, each taken from the Quick start's text."""
    python = _blocks("python")
    (app,) = [block for block in python if "cdk.App()" in block]
    (handler,) = [block for block in python if block.startswith("# worker/app.py\n")]
    (dockerfile,) = _blocks("dockerfile")
    assert dockerfile.startswith("# worker/Dockerfile\n")
    cdk_json = re.search(r"`cdk\.json`: `(\{.*?\})`", QUICK_START)
    assert cdk_json, "the Quick start names its cdk.json"
    return {
        "app.py": app,
        "cdk.json": cdk_json.group(1),
        "worker/app.py": handler,
        "worker/Dockerfile": dockerfile,
    }


def write_quick_start(root: Path) -> Path:
    """Lay the Quick start's new app out under ``root``, with its (empty) wheels folder."""
    for name, content in quick_start_files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    (root / "worker" / "wheels").mkdir()
    return root


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = write_quick_start(tmp_path_factory.mktemp("quick-start"))
    result = subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.cli", "synth", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return root, result.stdout


def test_the_quick_start_app_synthesizes_as_printed(synthesized: tuple[Path, str]) -> None:
    root, summary = synthesized
    out = root / "cdk.out"

    assert summary.splitlines()[0] == str(out / "WorkerStack.template.json")
    assert "up to 4 tasks" in " ".join(summary.split())
    assets = json.loads((out / "WorkerStack.assets.json").read_text())
    ((_, image),) = assets["dockerImages"].items()
    staged = out / image["source"]["directory"]
    assert sorted(p.name for p in staged.iterdir()) == ["Dockerfile", "app.py", "wheels"]


def test_the_producer_role_may_send_to_the_queue(synthesized: tuple[Path, str]) -> None:
    root, _ = synthesized
    template = json.loads((root / "cdk.out" / "WorkerStack.template.json").read_text())
    policies = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        and any("Producer" in role["Ref"] for role in r["Properties"].get("Roles", []))
    ]
    actions = {
        action
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    assert "sqs:SendMessage" in actions


def test_the_quick_start_handler_handles_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_quick_start(tmp_path) / "worker" / "app.py"
    spec = importlib.util.spec_from_file_location("quick_start_handler", path)
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    module.handle(Message(body='{"order_id": 7}', message_id="m-1", receipt_handle="r-1"))

    assert capsys.readouterr().out == "processing order {'order_id': 7}\n"
