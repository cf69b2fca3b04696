"""The hand-wiring copies in templates/ match what `coord init` writes."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from ruamel.yaml import YAML

from coordination import placeholders
from coordination.wiring import templates

REPO = Path(__file__).resolve().parents[2]


def test_reference_copies_are_in_sync() -> None:
    for rel, text in templates.reference_files().items():
        path = REPO / "templates" / rel
        assert path.read_text() == text, f"templates/{rel} is stale"
    assert os.access(REPO / "templates" / "git-hooks" / "pre-push", os.X_OK)


def test_tracked_templates_carry_placeholders_only() -> None:
    for name in ("mcp.json", "cursor-mcp.json"):
        env = json.loads(templates.load(name))["mcpServers"]["coord"]["env"]
        assert env["COORD_AUTH_TOKEN"] in placeholders.TOKENS
        assert env["COORD_REPO_ID"] == "example-org/example-repo"
        assert env["COORD_API_URL"] == "http://127.0.0.1:8080"
    codex = tomllib.loads(templates.codex_config())
    assert codex["mcp_servers"]["coord"]["env"]["COORD_AUTH_TOKEN"] in placeholders.TOKENS


_TOKEN_VALUE = re.compile(r"""COORD_AUTH_TOKEN["']?\s*[=:]\s*["']?([^"'\s,`]+)""")


def _published_templates() -> list[Path]:
    roots = [REPO / "templates", REPO / "src" / "coordination" / "templates"]
    files = [p for root in roots for p in root.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    return [*files, REPO / ".env.example", REPO / "compose.yaml"]


def test_every_token_in_a_template_is_a_placeholder_the_service_refuses() -> None:
    """A value a template publishes must be one the service refuses to start with (one list for both)."""
    seen = set()
    for path in _published_templates():
        for value in _TOKEN_VALUE.findall(path.read_text(errors="replace")):
            if value.startswith(("$", "{{", "...", "<")):
                continue  # filled in from the environment or by `coord init`
            assert placeholders.is_placeholder_token(value), f"{path.relative_to(REPO)}: token {value!r}"
            seen.add(value)
    assert seen == set(placeholders.TOKENS), "a listed placeholder no template uses any more"


def test_ci_workflow_is_valid_yaml_running_coord_check() -> None:
    doc = YAML(typ="safe").load((REPO / "templates" / "ci" / "github-actions-coord-check.yml").read_text())
    steps = doc["jobs"]["coord-check"]["steps"]
    assert any("coord check --base" in str(s.get("run", "")) for s in steps)


def test_owners_template_parses() -> None:
    doc = YAML(typ="safe").load(templates.load("owners.yaml"))
    assert doc == {"version": 1, "owners": [], "shared_files": []}


def test_owners_template_is_accepted_by_the_service_parser() -> None:
    from coordination.core.ownership import from_document

    rules = from_document(YAML(typ="safe").load(templates.load("owners.yaml")))
    assert rules.owners == () and rules.shared_files == ()


def test_the_service_refuses_every_listed_placeholder(tmp_path: Path) -> None:
    import pytest

    from coordination.api.app import InsecureConfiguration, check_auth_settings
    from tests.conftest import make_settings

    for token in placeholders.TOKENS:
        with pytest.raises(InsecureConfiguration, match="placeholder"):
            check_auth_settings(make_settings(tmp_path, auth_token=token))
