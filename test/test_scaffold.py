"""``sqs-scale-to-zero new``: the app it writes synthesizes with the real ``cdk`` CLI at once,
its handler handles a message, and bad input is one line with exit 2."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from sqs_scale_to_zero.local import free_port
from sqs_scale_to_zero.scaffold import stack_name
from sqs_scale_to_zero.worker import Message
from sqs_scale_to_zero.worker.contract import DEAD_LETTER_HEADER
from test.cdk_cli import cdk_synth, install_cdk_cli

APP_FILES = [
    ".gitignore",
    "README.md",
    "app.py",
    "cdk.json",
    "worker/Dockerfile",
    "worker/README.md",
    "worker/app.py",
    "worker/wheels/.gitkeep",
]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def new_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, Any]]:
    """``new`` into a fresh folder, then ``cdk synth`` there: (folder, new's output, templates)."""
    root = tmp_path_factory.mktemp("new") / "orders-app"
    result = run_cli("new", str(root))
    assert result.returncode == 0, result.stderr
    return root, result.stdout, cdk_synth(install_cdk_cli(tmp_path_factory), root)


def test_new_writes_an_app_with_a_worker_folder(
    new_app: tuple[Path, str, dict[str, Any]],
) -> None:
    root, output, _ = new_app
    files = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "cdk.out" not in p.parts and "__pycache__" not in p.parts
    )
    assert files == APP_FILES
    assert json.loads((root / "cdk.json").read_text()) == {"app": "python3 app.py"}
    assert "cdk synth" in output and "cdk bootstrap" in output and "npm install" in output


def test_new_app_synthesizes_with_the_cdk_cli_at_once(
    new_app: tuple[Path, str, dict[str, Any]],
) -> None:
    root, _, templates = new_app
    ((name, template),) = templates.items()
    assert name == "OrdersAppStack"
    resources = template["Resources"].values()
    target = next(
        r["Properties"]
        for r in resources
        if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
    )
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    assets = json.loads((root / "cdk.out" / f"{name}.assets.json").read_text())
    ((_, image),) = assets["dockerImages"].items()
    staged = root / "cdk.out" / image["source"]["directory"]
    assert sorted(p.name for p in staged.iterdir()) == [
        "Dockerfile",
        "README.md",
        "app.py",
        "wheels",
    ]


def test_new_apps_handler_handles_a_message(
    new_app: tuple[Path, str, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    root, _, _ = new_app
    spec = importlib.util.spec_from_file_location("new_app_handler", root / "worker" / "app.py")
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    with caplog.at_level("INFO", logger="app"):
        module.handle(Message(body='{"order_id": 7}', message_id="m-1", receipt_handle="r-1"))

    assert caplog.messages == ["processed order 7"]


def test_new_refuses_a_folder_that_holds_anything(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")

    result = run_cli("new", str(tmp_path))

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "exists and is not an empty folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_new_refuses_an_unknown_language(tmp_path: Path) -> None:
    result = run_cli("new", str(tmp_path / "app"), "--language", "cobol")

    assert result.returncode == 2
    assert "invalid choice: 'cobol'" in result.stderr
    assert not (tmp_path / "app").exists()


@pytest.mark.parametrize(
    ("folder", "expected"),
    [("orders-app", "OrdersAppStack"), ("my_worker", "MyWorkerStack"), ("2024", "App2024Stack")],
)
def test_stack_name_comes_from_the_folder(folder: str, expected: str) -> None:
    assert stack_name(Path(folder)) == expected


@pytest.fixture(scope="module")
def node_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``new --language node``, then ``cdk synth`` there: (folder, templates)."""
    root = tmp_path_factory.mktemp("new") / "node-app"
    result = run_cli("new", str(root), "--language", "node")
    assert result.returncode == 0, result.stderr
    return root, cdk_synth(install_cdk_cli(tmp_path_factory), root)


def test_the_node_app_synthesizes_with_http_delivery_to_its_server(
    node_app: tuple[Path, dict[str, Any]],
) -> None:
    root, templates = node_app
    ((name, template),) = templates.items()
    (task,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    containers = {c["Name"]: c for c in task["ContainerDefinitions"]}
    runtime = {e["Name"]: e["Value"] for e in containers["Runtime"]["Environment"]}

    assert name == "NodeAppStack"
    assert runtime["SCALE_TO_ZERO_DELIVER_TO"] == "http://127.0.0.1:8080/"
    assert "process.env.PORT || 8080)" in (root / "worker" / "server.js").read_text()
    assert sorted(p.name for p in (root / "worker").iterdir()) == ["Dockerfile", "server.js"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_node_apps_server_answers_200_to_an_order_and_dead_letters_a_bad_body(
    node_app: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = node_app
    port = free_port()
    server = subprocess.Popen(
        ["node", str(root / "worker" / "server.js")],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert f"listening on 127.0.0.1:{port}" in server.stdout.readline()
        answers = []
        for body in (b'{"order_id": 7}', b"not json at all"):
            url = f"http://127.0.0.1:{port}/"
            request = urllib.request.Request(url, data=body, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answers.append((response.status, response.headers.get(DEAD_LETTER_HEADER)))
            except urllib.error.HTTPError as error:
                answers.append((error.code, error.headers.get(DEAD_LETTER_HEADER)))
        assert answers == [(200, None), (422, "body is not JSON")]
    finally:
        server.terminate()
        server.wait(timeout=10)
