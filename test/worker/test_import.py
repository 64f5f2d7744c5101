"""``import sqs_scale_to_zero.worker`` stays fast and never pulls in the CDK."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, time
began = time.perf_counter()
import sqs_scale_to_zero.worker
elapsed = time.perf_counter() - began
heavy = sorted(m for m in ("aws_cdk", "constructs", "jsii") if m in sys.modules)
print(json.dumps({"seconds": elapsed, "heavy": heavy}))
"""


def test_worker_import_does_not_import_the_cdk_and_is_fast() -> None:
    result = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
        ).stdout
    )
    assert result["heavy"] == []
    assert result["seconds"] < 2.0  # boto3 dominates; typically 0.1-0.3 s


def test_cli_rejects_a_malformed_handler_with_exit_code_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.worker", "no_colon_here"],
        check=False,
        capture_output=True,
        text=True,
        env={"QUEUE_URL": "http://q", "PATH": ""},
    )
    assert result.returncode == 2
    assert "package.module:function" in result.stderr
