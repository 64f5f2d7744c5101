"""AST checks of the source tree's structure, run by ``test_static_checks.py``.

Each takes the root of a package tree, so the tests can show on a planted violation that it fails.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


def module_name(root: Path, path: Path) -> str:
    """The dotted name of the module at ``path`` under the import root ``root``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (an import root such as ``src/``), by dotted name."""
    return {module_name(root, path): path for path in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(
    tree: ast.Module, name: str, is_package: bool
) -> Iterator[tuple[str, list[str], bool]]:
    """(module imported from, names imported, under TYPE_CHECKING) for every import anywhere."""
    checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            checking.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], id(node) in checking
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, [alias.name for alias in node.names], id(node) in checking


def import_graph(root: Path, prefix: str) -> dict[str, set[str]]:
    """Module -> the modules of ``prefix`` it imports (a name that is a submodule counts as it)."""
    found = modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        if not name.startswith(prefix):
            continue
        tree = ast.parse(path.read_text(), str(path))
        edges: set[str] = set()
        for base, names, _ in _imports(tree, name, path.name == "__init__.py"):
            targets = [f"{base}.{item}" for item in names if f"{base}.{item}" in found]
            if len(targets) < len(names) or not names:
                targets.append(base)
            edges.update(t for t in targets if t in found and t != name)
        graph[name] = edges
    return graph


def import_cycles(root: Path, prefix: str) -> list[list[str]]:
    """The import circles among ``prefix``'s modules (TYPE_CHECKING and local imports included).

    Returns:
        Each strongly connected group of more than one module, sorted.
    """
    graph = import_graph(root, prefix)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def private_reaches(package: Path) -> list[str]:
    """``thing._name`` where ``thing`` is not ``self``, ``cls`` or a module: another's state.

    Returns:
        ``"path:line: expression"`` for each, under ``package``.
    """
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        imported = {  # os._exit is a module's function, not another object's state
            (alias.asname or alias.name).partition(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            attr = node.attr
            if not attr.startswith("_") or (attr.startswith("__") and attr.endswith("__")):
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls", *imported):
                continue
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def worker_class_imports(package: Path, module: str, cls: str, allowed: set[str]) -> list[str]:
    """Imports of ``cls`` (defined in ``module``) by a module of ``package`` not in ``allowed``.

    An import under ``TYPE_CHECKING`` is named as such: it hides a circle from the runtime.

    Args:
        package: The package's folder. Required.
        module: The dotted name of the class's module. Required.
        cls: The class's name. Required.
        allowed: File names (relative to ``package``) that may import it. Required.
    """
    root = package.parent
    while (root / "__init__.py").exists():
        root = root.parent
    package_name = module_name(root, package / "__init__.py")
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative in allowed:
            continue
        name = module_name(root, path)
        tree = ast.parse(path.read_text(), str(path))
        for base, names, checking in _imports(tree, name, path.name == "__init__.py"):
            of_module = base == module and (cls in names or not names)
            if of_module or (base == package_name and cls in names):
                kind = "TYPE_CHECKING import" if checking else "import"
                found.append(f"{relative}: {kind} of {cls}")
    return found
