"""The simulator's layout: a kernel that knows no AWS, models without import circles, a map."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqs_scale_to_zero.simulate as simulate

PACKAGE = Path(simulate.__file__).parent
PREFIX = "sqs_scale_to_zero.simulate"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PREFIX, *parts])


def _imports(path: Path) -> set[str]:
    """Every module of the simulator ``path`` imports, ``TYPE_CHECKING`` blocks included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith(PREFIX):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PREFIX))
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: _imports(path) & set(MODULES) for name, path in MODULES.items()}


def test_no_module_of_the_simulator_imports_itself_back() -> None:
    # given the import graph of every module, TYPE_CHECKING imports included
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, [*stack, target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    # then no module reaches itself
    assert cycles == []


def test_every_module_of_the_simulator_is_at_most_400_lines() -> None:
    long = {n: len(p.read_text().splitlines()) for n, p in MODULES.items()}
    assert {n: lines for n, lines in long.items() if lines > 400} == {}


def test_the_kernel_knows_nothing_of_the_models() -> None:
    # the kernel imports no other module of the simulator, and no name in its code is AWS's
    kernel = PACKAGE / "kernel.py"
    assert _imports(kernel) == set()
    names = {
        getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "arg", None)
        for node in ast.walk(ast.parse(kernel.read_text()))
    }
    aws = re.compile(r"sqs|ecs|task|queue|message|alarm|metric|scal|deploy", re.IGNORECASE)
    assert sorted(n for n in names if isinstance(n, str) and aws.search(n)) == []


def test_the_models_do_not_import_the_run_that_wires_them() -> None:
    wiring = {f"{PREFIX}.run", f"{PREFIX}.api", PREFIX}
    models = {n: GRAPH[n] & wiring for n in GRAPH if n.startswith(f"{PREFIX}.models")}
    assert {n: found for n, found in models.items() if found} == {}


def test_all_is_the_map_in_the_package_docstring() -> None:
    # the docstring lists each public name once, as :func:`name`, :class:`name` or :exc:`name`
    doc = simulate.__doc__ or ""
    mapped = re.findall(r"^    \* :(?:func|class|exc):`(\w+)`", doc, re.MULTILINE)
    assert sorted(mapped) == sorted(simulate.__all__)
    assert all(hasattr(simulate, name) for name in simulate.__all__)
