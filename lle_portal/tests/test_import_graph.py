"""The import graph of the project's code: dependencies point one way.

- Between apps: impact -> deployments -> applications -> lle_portal, never back
  (not even inside a function).
- Inside an app: no cycle between its modules, counting the imports inside
  functions too (a deferred import hides a cycle; it does not remove it). The
  one exception is the Celery pattern of the style guide: a service enqueues
  its app's job after commit with a deferred import of the app's `tasks`
  module, whose jobs call the services.

Read from the source with `ast`: nothing is imported. Tests, migrations and
imports for type hints only (`if TYPE_CHECKING:`) are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

# Lower first: each app may import only from itself and the apps before it.
APPS = ("lle_portal", "applications", "deployments", "impact")
# Cycles inside an app that are known and not yet broken, with why.
KNOWN_CYCLES: dict[str, str] = {}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if {"tests", "migrations"} & set(path.relative_to(root).parts):
                continue
            modules[_module_name(path, root)] = path
    return modules


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict) -> list[str]:
    """The project modules an import statement reads (`from . import x` reads module x)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    found = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


def _deferred(tree: ast.Module) -> set[int]:
    """The ids of the import statements inside a function."""
    inside = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            inside |= {id(node) for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)}
    return inside


def _for_types_only(tree: ast.Module) -> set[int]:
    """The ids of the import statements under `if TYPE_CHECKING:` (never run)."""
    return {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
        for statement in block.body for node in ast.walk(statement) if isinstance(node, ast.Import | ast.ImportFrom)
    }


def _imports(source: str, name: str, *, is_package: bool, modules) -> set[str]:
    """The project modules that module `name` imports, anywhere in it but for type hints."""
    tree = ast.parse(source)
    deferred = _deferred(tree)
    types_only = _for_types_only(tree)
    app = name.split(".")[0]
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in types_only:
            continue
        for target in _targets(node, name, is_package, modules):
            if target == name or (id(node) in deferred and target == f"{app}.tasks"):
                continue  # the one allowed back edge: a service enqueues its app's job
            found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    root = Path(settings.BASE_DIR)
    modules = _modules(root)
    return {
        name: _imports(path.read_text(), name, is_package=path.name == "__init__.py", modules=modules)
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_no_app_imports_an_app_above_it():
    rank = {app: position for position, app in enumerate(APPS)}
    upward = [
        f"{module} -> {target}"
        for module, targets in _graph().items() for target in targets
        if rank[target.split(".")[0]] > rank[module.split(".")[0]]
    ]
    assert upward == []


@pytest.mark.parametrize("app", [
    pytest.param(app, marks=pytest.mark.xfail(strict=True, reason=KNOWN_CYCLES[app])) if app in KNOWN_CYCLES
    else app for app in APPS
])
def test_the_modules_of_an_app_import_each_other_without_a_cycle(app):
    graph = _graph()
    mine = {module: {t for t in targets if t.split(".")[0] == app}
            for module, targets in graph.items() if module.split(".")[0] == app}
    assert _cycles(mine) == []


def test_it_finds_a_cycle_hidden_in_a_function():
    modules = {"a", "a.services", "a.reports", "a.tasks", "a.models"}
    services = "from .models import X\n\ndef f():\n    from .reports import y\n    from .tasks import job\n"
    reports = "from . import services\n"
    graph = {
        "a.services": _imports(services, "a.services", is_package=False, modules=modules),
        "a.reports": _imports(reports, "a.reports", is_package=False, modules=modules),
        "a.tasks": _imports("from . import services\n", "a.tasks", is_package=False, modules=modules),
        "a.models": set(),
    }
    assert graph["a.services"] == {"a.models", "a.reports"}  # the deferred import of its jobs is allowed
    assert _cycles(graph) == [["a.reports", "a.services"]]
