"""API.md documents the public surface, exactly, and matches a fresh run of its generator.

The public surface is ``__all__`` of ``sqs_scale_to_zero``, ``sqs_scale_to_zero.worker`` and
``sqs_scale_to_zero.simulate``, plus the command lines. These tests read each ``__all__`` at run
time, so they follow the packages as their surface changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import griffe
import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_PACKAGES = ("sqs_scale_to_zero", "sqs_scale_to_zero.worker", "sqs_scale_to_zero.simulate")
HEADING = re.compile(r'^(#{2,6}) <a id="([^"]+)"></a>', flags=re.M)


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "generate_api_md", ROOT / "scripts/generate_api_md.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


@pytest.fixture(scope="module")
def fresh_api_md(tmp_path_factory: pytest.TempPathFactory) -> str:
    output = tmp_path_factory.mktemp("api") / "API.md"
    subprocess.run(
        [sys.executable, "scripts/generate_api_md.py", "--output", str(output)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return output.read_text(encoding="utf-8")


def _public_all(package: str) -> list[str]:
    names: list[str] = importlib.import_module(package).__all__
    return names


def _sections(text: str) -> dict[str, set[str]]:
    """Each package's anchor, mapped to the anchors of the level-3 headings in its section."""
    sections: dict[str, set[str]] = {}
    current: set[str] = set()
    for level, anchor in HEADING.findall(text):
        if len(level) == 2:
            current = sections.setdefault(anchor, set())
        elif len(level) == 3:
            current.add(anchor)
    return sections


def test_committed_api_md_matches_the_docstrings(fresh_api_md: str) -> None:
    committed = (ROOT / "API.md").read_text(encoding="utf-8")
    assert committed == fresh_api_md, "API.md is stale: run `python scripts/generate_api_md.py`"


def test_the_generator_documents_the_packages_these_tests_check() -> None:
    assert tuple(generator.PUBLIC_PACKAGES) == PUBLIC_PACKAGES


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_api_md_documents_exactly_the_packages_all(package: str, fresh_api_md: str) -> None:
    # Given the package's __all__ as Python sees it, when API.md's section for the package
    # is read, then it has one entry per name, under the path users import it by.
    documented = _sections(fresh_api_md)[package]
    assert documented == {f"{package}.{name}" for name in _public_all(package)}


def test_api_md_documents_nothing_outside_the_public_surface(fresh_api_md: str) -> None:
    # Every heading is a public package, a public name or one of its members: no internal
    # module (sqs_scale_to_zero.checks, sqs_scale_to_zero.simulate.engine, ...) appears.
    public = [f"{package}.{name}" for package in PUBLIC_PACKAGES for name in _public_all(package)]
    for _level, anchor in HEADING.findall(fresh_api_md):
        assert (
            anchor in PUBLIC_PACKAGES
            or anchor == "command-lines"
            or any(anchor == path or anchor.startswith(path + ".") for path in public)
        ), f"API.md documents {anchor}, which is not in any public __all__"


def test_api_md_describes_every_command_line_command(fresh_api_md: str) -> None:
    import argparse

    from sqs_scale_to_zero import cli

    subcommands = next(
        action for action in cli.parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    assert subcommands.choices, "the CLI has no subcommands"
    for name in subcommands.choices:
        assert f"#### `sqs-scale-to-zero {name}`" in fresh_api_md
    assert "### `python -m sqs_scale_to_zero.worker`" in fresh_api_md


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_every_name_in_all_resolves(package: str) -> None:
    module = importlib.import_module(package)
    names = _public_all(package)
    assert len(names) == len(set(names)), f"{package}.__all__ lists a name twice"
    for name in names:
        value = getattr(module, name)
        assert getattr(value, "__name__", name) == name, f"{package}.{name} is {value!r}"
        assert name in dir(module)


@pytest.mark.parametrize("package", ["sqs_scale_to_zero", "sqs_scale_to_zero.worker"])
def test_an_unknown_name_is_no_attribute_of_a_lazy_package(package: str) -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = importlib.import_module(package).no_such_name


def test_the_generator_refuses_a_name_in_all_that_the_package_does_not_import(
    tmp_path: Path,
) -> None:
    # Given a package whose __all__ names something it never imports (a lazy re-export that
    # forgot its TYPE_CHECKING import) ...
    package = tmp_path / "lazy_pkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""A package."""\n\n__all__ = ["Forgotten"]\n')
    loaded = griffe.load("lazy_pkg", search_paths=[str(tmp_path)])
    # ... when the generator lists its public names, then it stops and says how to fix it.
    with pytest.raises(generator.PublicSurfaceError, match=r"'Forgotten'.*TYPE_CHECKING"):
        generator.public_names(loaded)
