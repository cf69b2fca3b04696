from __future__ import annotations

import pytest
from rich.console import Console

from coordination.cli import claims_cmds


def test_tables_show_globs_and_symbols_literally(monkeypatch: pytest.MonkeyPatch) -> None:
    console = Console(record=True, width=200)
    monkeypatch.setattr(claims_cmds, "out", console)
    claim = {
        "id": 7,
        "engineer": "alex/claude/1",
        "type": "file",
        "pattern": "src/[ab]*.ts",
        "symbols": ["bootstrap"],
        "expires_at": "2999-01-01T00:00:00Z",
        "fence": 3,
        "description": "[wip]",
    }
    claims_cmds._claims_table([claim], "Granted")
    text = console.export_text()
    assert "src/[ab]*.ts [bootstrap]" in text and "[wip]" in text
