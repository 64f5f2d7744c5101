"""Where the engine cannot run: a developer gets a skip with the reason, CI a failure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import conftest
from .engine import DockerEngine, EngineUnavailable


def test_a_missing_dockerd_is_reported_with_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)

    with pytest.raises(EngineUnavailable, match=r"dockerd not found \(apt-get install docker.io\)"):
        DockerEngine(tmp_path / "data")


def test_unavailable_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="no engine here"):
        conftest.unavailable("no engine here")


def test_unavailable_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="must run in CI: no engine here"):
        conftest.unavailable("no engine here")
