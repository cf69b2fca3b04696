"""The docs are part of the product: what a test can check about them, it checks here.

- every server setting is in `.env.example` and in docs/deployment.md;
- every HTTP route is in docs/api-reference.md;
- every `coord` command (and subcommand) is named in the README or docs/, and every
  parameter (option or argument) of every command, the root's too, has `--help` text;
- every client setting (`ClientSettings`, the variables `local.env` may hold) is in
  the client settings table of docs/usage-guide.md;
- every MCP tool of `coord-mcp` is named in the docs;
- the Alembic head revision is the one docs/architecture.md names.
- the vocabulary and limits tables of docs/api-reference.md are the ones `coordination.core`
  defines, and the numbers quoted elsewhere match them.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer.main

from coordination import envfile
from coordination.api.app import create_app
from coordination.cli.app import app as cli_app
from coordination.client_settings import ClientSettings, variable_of
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
    """Every command of the `coord` tree, the root (named "") first."""
    root = typer.main.get_command(cli_app)
    found: list[tuple[str, click.Command]] = [("", root)]

    def walk(group: click.Command, prefix: str) -> None:
        for name, command in sorted(getattr(group, "commands", {}).items()):
            found.append((prefix + name, command))
            walk(command, prefix + name + " ")

    walk(root, "")
    return found


COMMANDS = _commands()


def _parameters() -> list[tuple[str, str, click.Parameter]]:
    """(command, parameter, the parameter) for every option and argument shown in --help.

    By the parameter's own kind, not by class: Typer ships its own copy of click, so
    `isinstance(param, click.Option)` can be false for every Typer option."""
    found = []
    for name, command in COMMANDS:
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            label = "/".join(param.opts) if param.param_type_name == "option" else (param.name or "?").upper()
            found.append((name, label, param))
    return found


PARAMETERS = _parameters()


def test_the_command_tree_is_walked() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"", "claim", "hook pre-push", "completions install"} <= names
    kinds = {param.param_type_name for _, _, param in PARAMETERS}
    assert kinds == {"option", "argument"}
    assert any(label == "--version" for name, label, _ in PARAMETERS if name == "")


@pytest.mark.parametrize(("name", "command"), COMMANDS[1:], ids=[n for n, _ in COMMANDS[1:]])
def test_every_command_is_documented_with_help(name: str, command: click.Command) -> None:
    assert f"coord {name}" in _all_docs(), f"`coord {name}` is named nowhere in the README or docs/"
    assert command.help or command.short_help, f"`coord {name}` has no help text"


@pytest.mark.parametrize(
    ("name", "label", "param"), PARAMETERS, ids=[f"{n or 'coord'} {label}" for n, label, _ in PARAMETERS]
)
def test_every_parameter_has_help(name: str, label: str, param: click.Parameter) -> None:
    text = getattr(param, "help", None)
    assert text and text.strip(), f"`coord {name}` {param.param_type_name} {label} has no --help text"


def _client_settings_table() -> str:
    text = _read("docs", "usage-guide.md")
    section = re.search(r"^### Client settings\n(.*?)(?=^#)", text, re.M | re.S)
    assert section, "docs/usage-guide.md needs a '### Client settings' section"
    return section.group(1)


CLIENT_VARIABLES = sorted({variable_of(name) for name in ClientSettings.model_fields} | set(envfile.ALLOWLIST))


@pytest.mark.parametrize("variable", CLIENT_VARIABLES)
def test_every_client_setting_is_documented(variable: str) -> None:
    rows = [line for line in _client_settings_table().splitlines() if line.startswith("|")]
    row = next((line for line in rows if f"`{variable}`" in line), None)
    assert row, f"{variable} is not in the client settings table of docs/usage-guide.md"
    primary = envfile.ALIASES.get(variable, variable)
    from_file = "yes" if primary in envfile.ALLOWLIST else "no"
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert from_file in cells, f"{variable}: the table must say whether local.env may set it ({from_file})"


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


# -- the vocabulary and the limits (api-reference.md, "Vocabulary and limits") ----------------


def _table_rows(text: str, first_header: str) -> list[list[str]]:
    """The body rows of the markdown table whose header row starts with `| first_header |`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_the_documented_vocabulary_is_the_core_vocabulary() -> None:
    from coordination.core import vocabulary

    rows = _table_rows(_read("docs", "api-reference.md"), "Word")
    documented = {row[0].strip("`"): re.findall(r"`([^`]+)`", row[1]) for row in rows}
    expected = {name: [m.value for m in getattr(vocabulary, name)] for name in vocabulary.__all__}
    assert documented == expected


def _documented_value(cell: str) -> int | float | tuple[int, int]:
    if cell == "2^63 - 1":
        return 2**63 - 1
    numbers = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", cell)]
    if len(numbers) == 2:  # a page size: default, max
        return int(numbers[0]), int(numbers[1])
    (value,) = numbers
    return int(value) if value.is_integer() else value


def test_the_documented_limits_are_the_core_limits() -> None:
    from coordination.core import limits

    rows = _table_rows(_read("docs", "api-reference.md"), "Limit")
    documented = {row[0].strip("`"): _documented_value(row[1]) for row in rows}
    expected: dict[str, object] = {}
    for name in limits.__all__:
        value = getattr(limits, name)
        if isinstance(value, limits.Page):
            expected[name] = (value.default, value.maximum)
        elif not isinstance(value, type):
            expected[name] = value
    assert documented == expected


def test_the_claims_reference_and_usage_guide_quote_the_core_limits() -> None:
    from coordination.core import limits

    reference = _read("docs", "api-reference.md")
    assert f"| `claims` | list, 1-{limits.MAX_ITEMS} items |" in reference
    assert f"| `wait_seconds` | number | 0-{limits.MAX_WAIT_SECONDS}, default `0`." in reference
    assert f"max `COORD_MAX_TTL_HOURS` ({limits.DEFAULT_MAX_TTL_HOURS:g})" in reference
    assert f"at most {limits.MAX_ITEMS} of both together" in reference
    assert f"(file paths, up to {limits.MAX_VERIFY_PATHS:,})" in reference
    assert f"`limit` (1-{limits.REQUESTS_PAGE.maximum}, default {limits.REQUESTS_PAGE.default}, per page)" in reference
    guide = _read("docs", "usage-guide.md")
    assert f"at most {limits.DEFAULT_MAX_TTL_HOURS:g} h" in guide
    assert f"(up to {limits.MAX_WAIT_SECONDS} s)" in guide
