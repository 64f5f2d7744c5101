"""README.md's idle-bill tables are what scripts/readme_costs.py writes from fresh templates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_idle_bill_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/readme_costs.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr or "README.md's idle bill is stale"
