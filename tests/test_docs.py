"""The docs are part of the product: what a test can check about them, it checks here.

- every server setting is in `.env.example` and in docs/deployment.md;
- every HTTP route is in docs/api-reference.md;
- every `coord` command (and subcommand) is named in the README or docs/, and every
  option of every command has `--help` text;
- every MCP tool of `coord-mcp` is named in the docs;
- the Alembic head revision is the one docs/architecture.md names.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer.main

from coordination.api.app import create_app
from coordination.cli.app import app as cli_app
from coordination.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _read(*parts: str) -> str:
    return ROOT.joinpath(*parts).read_text()


def _all_docs() -> str:
    return "\n".join([_read("README.md"), *(p.read_text() for p in sorted(DOCS.rglob("*.md")))])


SETTINGS = [f"COORD_{name.upper()}" for name in Settings.model_fields]


@pytest.mark.parametrize("variable", SETTINGS)
def test_every_setting_is_in_env_example_and_deployment(variable: str) -> None:
    assert re.search(rf"\b{variable}=", _read(".env.example")), f"{variable} is not in .env.example"
    assert f"`{variable}`" in _read("docs", "deployment.md"), f"{variable} is not in docs/deployment.md"


def _routes() -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document, plus the pages left out of it."""
    app = create_app(Settings(auth_token="docs-test-token"))  # type: ignore[call-arg]
    found = [("GET", "/dashboard")]
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            found.append((method.upper(), path))
    return found


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


@pytest.mark.parametrize(("method", "path"), _routes())
def test_every_route_is_in_the_api_reference(method: str, path: str) -> None:
    documented = {
        (m, _normalise(p.split("?")[0]))
        for m, p in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)", _read("docs", "api-reference.md"))
    }
    assert (method, _normalise(path)) in documented, f"{method} {path} is not in docs/api-reference.md"


def _commands() -> list[tuple[str, click.Command]]:
    root = typer.main.get_command(cli_app)
    found: list[tuple[str, click.Command]] = []

    def walk(group: click.Command, prefix: str) -> None:
        for name, command in sorted(getattr(group, "commands", {}).items()):
            found.append((prefix + name, command))
            walk(command, prefix + name + " ")

    walk(root, "")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_is_documented_with_help_for_each_option(name: str, command: click.Command) -> None:
    assert f"coord {name}" in _all_docs(), f"`coord {name}` is named nowhere in the README or docs/"
    assert command.help or command.short_help, f"`coord {name}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"`coord {name}` option {param.opts} has no --help text"


def test_every_mcp_tool_is_documented(tmp_path: Path) -> None:
    import asyncio

    from coordination import mcp_bridge

    bridge = mcp_bridge.make_bridge(
        {"COORD_API_URL": "http://127.0.0.1:9", "COORD_AUTH_TOKEN": "docs", "COORD_NO_UPDATE_CHECK": "1"},
        start=tmp_path,
    )
    tools = [t.name for t in asyncio.run(mcp_bridge.build_server(bridge).list_tools())]
    assert tools
    text = _all_docs()
    missing = [tool for tool in tools if f"`{tool}`" not in text]
    assert not missing, f"MCP tools named nowhere in the docs: {missing}"


def test_architecture_names_the_alembic_head() -> None:
    from coordination.store.migrate import head_revision

    named = re.search(r"the head is `(\w+)`", _read("docs", "architecture.md"))
    assert named, "docs/architecture.md must say which revision is the head ('the head is `NNNN`')"
    assert named.group(1) == head_revision()


def test_no_merge_conflict_markers_are_left_in_tracked_text() -> None:
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    marker = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
    found = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".md", ".py", ".toml", ".json", ".yaml", ".yml", ".html", ".txt", ".cfg", ".sh", ""}:
            try:
                text = path.read_text()
            except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
                continue
            if marker.search(text):
                found.append(name)
    assert not found, f"merge conflict markers left in: {found}"
