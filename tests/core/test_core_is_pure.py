"""The core package decides; it never touches databases, the network, processes or files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import coordination.core

FORBIDDEN = {
    "sqlite3",
    "psycopg",
    "fastapi",
    "starlette",
    "httpx",
    "subprocess",
    "asyncio",
    "socket",
    "requests",
    "urllib",
    "os",
}

CORE_DIR = Path(coordination.core.__file__).parent
MODULES = sorted(CORE_DIR.glob("*.py"))


def imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_has_modules() -> None:
    names = {path.name for path in MODULES}
    assert {"globs.py", "index.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_module_imports_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = imported_roots(tree) & FORBIDDEN
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_checker_sees_imports() -> None:
    tree = ast.parse("import os.path\nfrom subprocess import run\nfrom . import globs\n")
    assert imported_roots(tree) == {"os", "subprocess"}
