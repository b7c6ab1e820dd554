"""The import contract: each layer imports only the layers below it, and no module imports
itself back through others. Read from the source, so a lazy import inside a function counts
as much as one at the top (imports under `if TYPE_CHECKING:` are annotations, not imports)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kam

PACKAGE = Path(kam.__file__).parent

# Highest first; a module may import its own layer and any layer after it.
LAYERS = [
    ("kam.cli", "kam.__main__"),
    ("kam.app", "kam.crash"),
    ("kam.screens", "kam.dialogs"),
    ("kam.widgets",),
    ("kam.reports", "kam.files", "kam.demo"),
    ("kam.services",),
    ("kam.db", "kam.migrations", "kam.config"),
    ("kam.schema",),
    ("kam.models",),
    ("kam.errors", "kam"),
]


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imports(module: str) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kam"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kam"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    return {m for m in found if m in MODULES and m != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes if p != "kam"):
            return rank
    return len(LAYERS) - 1  # the package itself


def test_every_module_is_in_a_layer() -> None:
    unplaced = [
        m
        for m in MODULES
        if m != "kam" and not any(m == p or m.startswith(p + ".") for g in LAYERS for p in g)
    ]
    assert unplaced == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) < _layer(module)
    )
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return groups


def test_no_module_imports_itself_back_through_others() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_a_private_name_from_another() -> None:
    crossing = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kam"):
                crossing += [
                    f"{module}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert crossing == []


def test_the_command_line_help_loads_neither_the_interface_nor_the_database_layer() -> None:
    probe = (
        "import sys\n"
        "from kam.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('textual', 'sqlalchemy', 'sqlmodel', 'alembic')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "usage: kam" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def _ui_modules() -> list[str]:
    return [m for m in MODULES if _layer(m) <= _layer("kam.widgets")]


def test_screens_and_the_app_never_hold_a_session() -> None:
    """The interface hands intents to workers; each service says its own unit of work."""
    found = []
    for module in _ui_modules():
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.arg) and node.arg in ("session", "s"):
                found.append(f"{module}:{node.lineno} takes a session")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("read", "write")
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "database"
            ):
                found.append(f"{module}:{node.lineno} opens a session")
            if isinstance(node, ast.alias) and node.name == "Session":
                found.append(f"{module}:{node.lineno} imports Session")
    assert found == []
