"""The hand-wiring copies in templates/ match what `coord init` writes."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from ruamel.yaml import YAML

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
        assert env["COORD_AUTH_TOKEN"] == "set-me"
        assert env["COORD_REPO_ID"] == "example-org/example-repo"
        assert env["COORD_API_URL"] == "http://127.0.0.1:8080"
    codex = tomllib.loads(templates.codex_config())
    assert codex["mcp_servers"]["coord"]["env"]["COORD_AUTH_TOKEN"] == "set-me"


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
