"""Synthesize anchor stacks for a benchmark in one app, in a child process.

The child process keeps aws-cdk-lib's Node.js runtime out of the benchmark's own process; the
benchmark then reads template JSON only, like ``sqs-scale-to-zero simulate``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synth_anchors(outdir: Path, calls: Mapping[str, str], prelude: str = "") -> dict[str, Path]:
    """Synthesize every stack of ``calls`` into ``outdir`` with one ``app.synth()``.

    Args:
        outdir: The cloud assembly directory.
        calls: Stack ID -> a Python call adding that stack, using the names ``anchors`` (the
            :mod:`benchmarks.anchors` module) and ``app``, e.g.
            ``{"ScaleToZero": "anchors.add_scale_to_zero(app)"}``.
        prelude: Python run before the calls, e.g. imports they use. Default: none.

    Returns:
        Template path by stack ID.
    """
    code = "\n".join(
        [
            "import aws_cdk as cdk",
            "from benchmarks import anchors",
            prelude,
            f"app = cdk.App(outdir={str(outdir)!r})",
            *calls.values(),
            "app.synth()",
        ]
    )
    env = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)
    return {stack_id: outdir / f"{stack_id}.template.json" for stack_id in calls}
