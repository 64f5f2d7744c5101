"""API.md is generated from the docstrings and must match a fresh run of the generator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generate(output: Path) -> str:
    subprocess.run(
        [sys.executable, "scripts/generate_api_md.py", "--output", str(output)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return output.read_text(encoding="utf-8")


def test_committed_api_md_matches_the_docstrings(tmp_path: Path) -> None:
    fresh = _generate(tmp_path / "API.md")
    committed = (ROOT / "API.md").read_text(encoding="utf-8")
    assert committed == fresh, "API.md is stale: run `python scripts/generate_api_md.py`"


def test_api_md_documents_every_public_module(tmp_path: Path) -> None:
    package = ROOT / "src/sqs_scale_to_zero"
    modules = [
        ".".join(file.relative_to(ROOT / "src").with_suffix("").parts)
        for file in package.rglob("*.py")
        if not any(part.startswith("_") for part in file.relative_to(package).parts)
    ]
    text = _generate(tmp_path / "API.md")
    assert "sqs_scale_to_zero.worker.contract" in modules
    for module in modules:
        assert f'<a id="{module}"></a>' in text, f"{module} is missing from API.md"
