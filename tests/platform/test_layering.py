"""The platform layer knows no module, and a migration stands alone: read from the source
(``ast``), so an import inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import omnicanal

SOURCE = Path(omnicanal.__file__).parent
PLATFORM = SOURCE / "platform"
MIGRATIONS = PLATFORM / "migrations" / "versions"
ABOVE_THE_PLATFORM = (
    "analytics",
    "api",
    "bootstrap",
    "carts",
    "catalog",
    "cli",
    "customers",
    "demo",
    "fulfilment",
    "inventory",
    "network",
    "orders",
    "pricing",
    "privacy",
    "staff",
    "tracking",
    "web",
)
"""What sits above ``omnicanal.platform``: the modules, the edges and the composition root."""
MIGRATIONS_MAY_IMPORT = ("omnicanal.platform.types",)
"""Column types a revision writes down; nothing else of ours, which may change under it."""


def imported_modules(source: str, *, package: str) -> list[str]:
    """Every module (or name in a module) that ``source``, a file of ``package``, imports,
    wherever the import stands: at the top, in a function, relative, or by
    ``importlib.import_module("...")``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [base])])
            found += [f"{base}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(node.args[0].value)
    return found


def imports_of(path: Path) -> list[str]:
    """What the file at ``path``, under ``src/omnicanal``, imports."""
    package = ".".join(path.relative_to(SOURCE.parent).parts[:-1])
    return imported_modules(path.read_text(encoding="utf-8"), package=package)


def _within(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in names)


def test_the_platform_imports_no_module_above_it() -> None:
    above = tuple(f"omnicanal.{name}" for name in ABOVE_THE_PLATFORM)
    offending = {
        str(path.relative_to(SOURCE)): sorted(
            module for module in imports_of(path) if _within(module, above)
        )
        for path in sorted(PLATFORM.rglob("*.py"))
    }

    assert {path: modules for path, modules in offending.items() if modules} == {}


def test_a_migration_imports_nothing_of_ours_but_column_types() -> None:
    offending = {
        path.name: sorted(
            module
            for module in imports_of(path)
            if _within(module, ("omnicanal",)) and not _within(module, MIGRATIONS_MAY_IMPORT)
        )
        for path in sorted(MIGRATIONS.glob("*.py"))
    }

    assert {name: modules for name, modules in offending.items() if modules} == {}


def _platform_graph() -> dict[str, set[str]]:
    """Each file of the platform layer (``omnicanal.platform.x``) and those of it it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PLATFORM.glob("*.py")):
        name = f"omnicanal.platform.{path.stem}"
        graph[name] = {
            ".".join(module.split(".")[:3])
            for module in imports_of(path)
            if module.startswith("omnicanal.platform.")
        } - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_no_files_of_the_platform_import_each_other_in_a_ring() -> None:
    assert _cycles(_platform_graph()) == []


def test_the_check_sees_imports_in_functions_relative_and_by_name() -> None:
    source = (
        "import importlib\n"
        "from .. import inventory\n"
        "def sweep():\n"
        "    from omnicanal.orders.service import expire_overdue\n"
        "    return importlib.import_module('omnicanal.privacy.retention')\n"
    )

    found = imported_modules(source, package="omnicanal.platform")

    assert found == [
        "importlib",
        "omnicanal.inventory",
        "omnicanal.orders.service.expire_overdue",
        "omnicanal.privacy.retention",
    ]
