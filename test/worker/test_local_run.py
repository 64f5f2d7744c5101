"""The README's local run, verbatim, against moto: region from AWS_REGION, readable text logs."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from .conftest import queue_counts, send, wait_for

ROOT = Path(__file__).resolve().parents[2]
README_PORT = "http://127.0.0.1:5000"


def _readme_commands() -> tuple[dict[str, str], list[str]]:
    """The exported variables and the command of the README's "Running it locally" block."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Running it locally", 1)[1]
    blocks = re.findall(r"```bash\n(.*?)```", section.split("\n### ", 1)[0], re.DOTALL)
    block = next((b for b in blocks if "export QUEUE_URL" in b), None)
    assert block, "no bash block exporting QUEUE_URL under 'Running it locally'"
    env: dict[str, str] = {}
    command: list[str] = []
    for line in block.splitlines():
        words = shlex.split(line)
        if words and words[0] == "export":
            env.update(word.split("=", 1) for word in words[1:])  # type: ignore[misc]
        elif words:
            command = words
    return env, command


def test_the_readme_local_run_works_verbatim_with_aws_region_only(
    sqs: Any, moto_endpoint: str, make_queue: Any, tmp_path: Path
) -> None:
    env, command = _readme_commands()
    assert "AWS_REGION" in env and "AWS_DEFAULT_REGION" not in env
    assert command[:2] == ["python", "-m"]
    url = make_queue(visibility_timeout=30)
    for name, value in env.items():
        env[name] = url if name == "QUEUE_URL" else value.replace(README_PORT, moto_endpoint)
    shutil.copy(ROOT / "examples" / "basic" / "worker" / "app.py", tmp_path / "app.py")
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_CONFIG_FILE": "/dev/null"}
    process = subprocess.Popen(
        [sys.executable, *command[1:]],
        cwd=tmp_path,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        send(sqs, url, [json.dumps({"order_id": 7}), json.dumps({"work_seconds": "soon"})])
        wait_for(lambda: queue_counts(sqs, url) == (0, 1), what="one deleted, one retried")
        # the in-flight count is the same before the handler fails: wait for its log line too
        wait_for(lambda: any("message failed" in line for line in lines), what="the failure")
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
        reader.join(5)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines)
    assert process.returncode == 0, output
    assert "NoRegionError" not in output
    succeeded = next(line for line in output.splitlines() if "message succeeded" in line)
    assert "message_id=" in succeeded and "outcome=succeeded" in succeeded
    assert "duration_ms=" in succeeded
    failed = next(line for line in output.splitlines() if "message failed" in line)
    assert " WARNING " in failed and "retry_in_seconds=" in failed
    assert "ValueError" in output  # the handler's traceback is kept
    stopped = next(line for line in output.splitlines() if "worker stopped" in line)
    assert "succeeded=1" in stopped and "failed=1" in stopped and "deleted=1" in stopped
    assert "botocore" not in output and "Found credentials" not in output
