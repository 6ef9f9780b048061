"""Every package the code imports is declared in pyproject.toml, not left to arrive through
another package's dependencies (runtime imports in `dependencies`, test ones in `[test]`)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
OWN = {"digest", "tests", "scheduler", "benchmarks"}


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def imported_modules(*roots: Path) -> dict[str, str]:
    """Top-level module name -> a file importing it, for absolute imports under ``roots``."""
    found: dict[str, str] = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(REPO)))
    return found


def undeclared(modules: dict[str, str], declared: set[str]) -> list[str]:
    dists = metadata.packages_distributions()
    problems = []
    for module, where in sorted(modules.items()):
        if module in sys.stdlib_module_names or module in OWN:
            continue
        names = {_name(d) for d in dists.get(module, [])}
        if not names:
            problems.append(f"{module} (imported in {where}) is not installed")
        elif not names & declared:
            problems.append(f"{module} (imported in {where}) comes from {sorted(names)}")
    return problems


def test_runtime_imports_are_declared_dependencies() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    modules = imported_modules(REPO / "src" / "digest", REPO / "scheduler.py")
    assert undeclared(modules, declared) == []


def test_test_imports_are_declared_in_the_test_extra() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    declared |= {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]}
    modules = imported_modules(REPO / "tests", REPO / "benchmarks")
    assert undeclared(modules, declared) == []
