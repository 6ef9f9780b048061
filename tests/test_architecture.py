"""docs/architecture.md stays true, and drivers keep to use cases (never the store)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

SRC = REPO / "src" / "digest"
DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")

# drivers: they parse input, call use cases and show results
DRIVERS = [
    *sorted((SRC / "cli").glob("*.py")),
    *sorted((SRC / "web" / "routes").glob("*.py")),
    *sorted((SRC / "web" / "desk").rglob("*.py")),
    SRC / "schedule.py",
    REPO / "scheduler.py",
]
# imports of the store that drivers still make, each a value or error type, not a query;
# they go as their modules are touched (shrink this list, never grow it)
KNOWN_STORE_IMPORTS = {
    ("cli/__init__.py", "digest.store.db", "StoreError"),
    ("cli/__init__.py", "digest.store.db", "is_current"),
    ("cli/pipeline.py", "digest.store.db", "upgrade"),
    ("cli/subscriptions.py", "digest.store.subscriptions", "SUPPRESSION_REASONS"),
    ("cli/subscriptions.py", "digest.store.subscriptions", "Evidence"),
    ("cli/subscriptions.py", "digest.store.subscriptions", "count_suppressions"),
    ("cli/subscriptions.py", "digest.store.subscriptions", "list_suppressions"),
    ("cli/subscriptions.py", "digest.store.subscriptions", "remove_suppression"),
    ("web/routes/links.py", "digest.store.subscribers", "SubscriberRecord"),
    ("schedule.py", "digest.store.schedule_runs", "last_run"),
    ("schedule.py", "digest.store.schedule_runs", "recent_runs"),
    ("scheduler.py", "digest.store.db", "StoreError"),
}


def _label(path: Path) -> str:
    return path.relative_to(SRC).as_posix() if SRC in path.parents else path.name


def test_every_module_the_map_names_exists() -> None:
    named = set(re.findall(r"`([\w/]+\.py)`", DOC)) | set(
        re.findall(r"(?<![\w/.])((?:[a-z_]+/)+[a-z_]+\.py)\b", DOC)
    )
    missing = [
        n
        for n in sorted(named)
        if not any((base / n).is_file() for base in (SRC, REPO, REPO / "tests"))
        and not (REPO / n).is_file()
    ]
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def test_every_package_appears_in_the_map() -> None:
    packages = sorted(
        p.parent.relative_to(SRC).as_posix()
        for p in SRC.rglob("__init__.py")
        if p.parent != SRC and "migrations" not in p.parts
    )
    missing = [p for p in packages if f"{p}/" not in DOC]
    assert missing == [], f"packages missing from docs/architecture.md: {missing}"


def test_drivers_call_use_cases_not_the_store() -> None:
    found = set()
    for path in DRIVERS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("digest.store"):
                found |= {(_label(path), node.module, a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module == "digest":
                found |= {(_label(path), "digest", a.name) for a in node.names if a.name == "store"}
            elif isinstance(node, ast.Import):
                found |= {
                    (_label(path), a.name, "*")
                    for a in node.names
                    if a.name.startswith("digest.store")
                }
    new = sorted(found - KNOWN_STORE_IMPORTS)
    assert new == [], f"drivers importing the store (call a use case instead): {new}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports when it is loaded (not inside functions)."""
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` imports never run
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        out |= {n for n in names if n in known}
    return out


def test_no_import_cycles_between_modules() -> None:
    files = [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]
    known = {_module_name(p) for p in files}
    graph = {_module_name(p): _top_level_imports(p, known) for p in files}
    for mod, deps in list(graph.items()):
        # importing a.b.c from outside package a.b runs a.b's __init__ first
        parents = {
            ".".join(d.split(".")[:i])
            for d in deps
            for i in range(2, len(d.split(".")))
            if not mod.startswith(".".join(d.split(".")[:i]) + ".")
        }
        graph[mod] = (deps | (parents & known)) - {mod}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep) :] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    assert cycles == [], f"import cycles at module load: {cycles[:5]}"
