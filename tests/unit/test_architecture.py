"""
The package's shape as tests: private names stay private, and the layering holds.

import-linter (run by ``make test``) checks the layers; these tests check what it cannot:
no module reaches into another module's ``_private`` names outside ``deskflow._internal``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp

import deskflow

PACKAGE = Path(deskflow.__file__).parent


def _module_name(path: Path, package_dir: Path = PACKAGE) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def private_imports(package_dir: Path = PACKAGE) -> Iterator[str]:
    """
    Yield ``importer: what`` for each import of another module's private name or module.
    """
    for path in sorted(package_dir.rglob("*.py")):
        importer = _module_name(path, package_dir)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = _resolve(importer, path.name == "__init__.py", node)
                targets = [(module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [(alias.name, "") for alias in node.names]
            else:
                continue
            for module, name in targets:
                if not module.startswith("deskflow"):
                    continue
                full = f"{module}.{name}" if name else module
                parts = full.split(".")
                if "_internal" in parts:
                    # Private machinery is meant to be imported, by its public names.
                    parts = parts[parts.index("_internal") + 1 :]
                    if any(_is_private(p) for p in parts):
                        yield f"{importer}: {full}"
                    continue
                for i, part in enumerate(parts):
                    if not _is_private(part):
                        continue
                    owner = ".".join(parts[:i])
                    # A subpackage may use its own private modules (deskflow.testing._model);
                    # the top level keeps its private machinery in _internal.
                    if owner != package or owner == "deskflow":
                        yield f"{importer}: {full}"
                    break


def test_no_module_imports_another_modules_private_names() -> None:
    """
    Outside deskflow._internal, no module imports a _private name of another module.
    """
    assert [] == list(private_imports())


def test_the_checker_sees_a_private_import(tmp_path: Path) -> None:
    """
    The AST walk finds private names and private modules, and allows _internal's public names.
    """
    package = tmp_path / "deskflow"
    (package / "_internal").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_internal" / "__init__.py").write_text("")
    (package / "_internal" / "checks.py").write_text("def text(): ...\n")
    (package / "a.py").write_text(
        "from deskflow.b import _hidden, shown\n"
        "from deskflow._internal.checks import text\n"
        "from deskflow._internal.checks import _secret\n"
        "import deskflow._tick\n"
        "from . import _sibling\n"
    )
    assert [
        "deskflow.a: deskflow.b._hidden",
        "deskflow.a: deskflow._internal.checks._secret",
        "deskflow.a: deskflow._tick",
        "deskflow.a: deskflow._sibling",
    ] == list(private_imports(package))


def test_no_module_is_too_long_to_read() -> None:
    """
    A module past ~500 lines is two concepts (STYLE.md): none is.
    """
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 520
    }
    assert {} == long


def import_cycles() -> list[list[str]]:
    """
    The groups of deskflow modules that import each other in a cycle (type-checking-only
    imports aside), found as strongly connected components of the import graph.
    """
    graph = grimp.build_graph("deskflow", exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for imported in edges[module]:
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(edges):
        if module not in order:
            visit(module)
    return cycles


def test_there_are_no_import_cycles() -> None:
    """
    No two deskflow modules import each other, directly or through others.
    """
    assert [] == import_cycles()
