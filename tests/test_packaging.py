"""Honest packaging: pyproject.toml declares what the code imports, with one version."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse

from packaging.version import Version
from typer.testing import CliRunner

import coordination
from coordination.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "coordination"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

#: Imported but deliberately not declared, with the reason.
UNDECLARED = {
    "pydantic_core": "pinned to one exact version by pydantic itself",
    "packaging": "optional: the update notice falls back to its own comparison without it",
}


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _imports() -> dict[str, set[str]]:
    """Top-level third-party module -> the files importing it."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in {"coordination", "__future__"}:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_distribution_is_declared() -> None:
    declared = {_name(r) for r in PROJECT["dependencies"]}
    distributions = metadata.packages_distributions()
    missing = {}
    for module, files in _imports().items():
        if module in UNDECLARED:
            continue
        names = {_name(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(files)
    assert not missing, f"imported but not in [project] dependencies: {missing}"


def test_every_dependency_has_a_floor() -> None:
    assert all(">=" in r or "==" in r for r in PROJECT["dependencies"]), PROJECT["dependencies"]


def test_the_floors_cover_what_mcp_requires() -> None:
    """pydantic, anyio, starlette, uvicorn, sse-starlette: never below the floor the installed mcp states."""
    ours = {_name(r): r for r in PROJECT["dependencies"]}

    def floor(requirement: str) -> Version:
        found = re.search(r">=\s*([0-9.]+)", requirement)
        return Version(found.group(1) if found else "0")

    for requirement in metadata.requires("mcp") or []:
        if "extra ==" in requirement or "python_version >= '3.14'" in requirement or "win32" in requirement:
            continue
        name = _name(requirement)
        if name in ours:
            assert floor(ours[name]) >= floor(requirement), f"{ours[name]!r} is below mcp's {requirement!r}"


def test_one_version_source() -> None:
    assert "version" not in PROJECT.get("dynamic", [])
    assert coordination.__version__ == metadata.version("coord") == PROJECT["version"]
    result = CliRunner().invoke(app, ["--version"])
    assert result.output.strip() == f"coord {PROJECT['version']}"
    quoted = re.compile(rf"[\"']{re.escape(PROJECT['version'])}[\"']")
    written = [str(p.relative_to(ROOT)) for p in SRC.rglob("*.py") if quoted.search(p.read_text())]
    assert not written, f"a second copy of the version string in {written}"


def test_project_urls_are_real_addresses() -> None:
    urls = PROJECT.get("urls") or {}
    assert "Homepage" in urls
    for label, url in urls.items():
        parsed = urlparse(url)
        assert parsed.scheme == "https" and parsed.netloc, f"{label}: {url!r} is not an https URL"
        assert not re.search(r"example|placeholder|org/app|coord-dev", url), f"{label}: {url!r} looks made up"
