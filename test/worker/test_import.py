"""The worker never pulls in the CDK, and its package re-exports lazily.

How long the import takes is measured by ``benchmarks/worker_throughput.py``, not asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
import sqs_scale_to_zero.worker.contract
package_only = sorted(m for m in ("boto3", "aws_cdk", "constructs", "jsii") if m in sys.modules)
from sqs_scale_to_zero.worker import Message, Worker
heavy = sorted(m for m in ("aws_cdk", "constructs", "jsii") if m in sys.modules)
print(json.dumps({"package_only": package_only, "heavy": heavy, "boto3": "boto3" in sys.modules}))
"""


def test_worker_import_never_imports_the_cdk() -> None:
    result = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
        ).stdout
    )
    # The construct reads the environment contract at synthesis without importing boto3 ...
    assert result["package_only"] == []
    # ... and the runtime brings boto3 but never aws_cdk, constructs or jsii.
    assert result["heavy"] == []
    assert result["boto3"] is True


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


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("DeploymentWatch", "DeployDrainWatch"),
        ("EcsDeploymentWatch", "EcsDeployDrainWatch"),
        ("NoDeploymentWatch", "NoDeployDrainWatch"),
    ],
)
def test_old_deploy_drain_watch_names_import_with_a_deprecation_warning(old: str, new: str) -> None:
    import sqs_scale_to_zero.worker as package

    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated: use {new}"):
        value = getattr(package, old)
    assert value is getattr(package, new)
    assert old not in package.__all__
