"""The three hook dialects, fed the documented input shapes, and the gate's file helpers."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coordination.core import limits
from coordination.gate import dialects, run


def test_claude_edit_and_bash() -> None:
    edit = dialects.parse(
        "claude",
        "pre-tool-use",
        {
            "session_id": "s-1",
            "cwd": "/r",
            "hook_event_name": "PreToolUse",
            "tool_name": "NotebookEdit",
            "tool_input": {"notebook_path": "/r/n.ipynb"},
            "agent_id": "a1",
            "agent_type": "Explore",
        },
    )
    assert edit is not None and edit.paths == ["/r/n.ipynb"] and edit.agent == "a1" and edit.session == "s-1"
    bash = dialects.parse("claude", "pre-tool-use", {"tool_name": "Bash", "tool_input": {"command": "ls"}})
    assert bash is not None and bash.command == "ls"
    assert dialects.parse("claude", "pre-tool-use", {"tool_name": "Read", "tool_input": {"file_path": "x"}}) is None
    assert dialects.parse("claude", "bogus", {}) is None


def test_codex_apply_patch_and_shell_argv() -> None:
    patch = "*** Begin Patch\n*** Update File: src/a.py\n*** End Patch\n"
    ev = dialects.parse("codex", "pre-tool-use", {"tool_name": "apply_patch", "tool_input": {"command": patch}})
    assert ev is not None and ev.paths == ["src/a.py"]
    sh = dialects.parse(
        "codex", "pre-tool-use", {"tool_name": "shell", "tool_input": {"command": ["bash", "-lc", "echo x > f"]}}
    )
    assert sh is not None and sh.command == "echo x > f"
    argv = dialects.parse("codex", "pre-tool-use", {"tool_name": "shell", "tool_input": {"command": ["rm", "a b"]}})
    assert argv is not None and argv.command == "rm 'a b'"
    # apply_patch through the shell tool
    via_shell = dialects.parse(
        "codex", "pre-tool-use", {"tool_name": "shell", "tool_input": {"command": ["apply_patch", patch]}}
    )
    assert via_shell is not None and via_shell.paths == ["src/a.py"]


def test_cursor_events() -> None:
    roots = {"conversation_id": "c-1", "workspace_roots": ["/w"]}
    write = dialects.parse(
        "cursor", "pre-tool-use", {**roots, "tool_name": "Write", "tool_input": {"file_path": "/w/a"}}
    )
    assert write is not None and write.paths == ["/w/a"] and write.session == "c-1" and write.roots == ["/w"]
    shell = dialects.parse("cursor", "before-shell", {**roots, "command": "echo > b", "cwd": "/w"})
    assert shell is not None and shell.command == "echo > b"
    after = dialects.parse("cursor", "after-edit", {**roots, "file_path": "/w/a", "edits": []})
    assert after is not None and after.kind == "post" and after.paths == ["/w/a"]


def test_shell_names_agree() -> None:
    from coordination.gate import shell

    assert dialects.SHELLS == shell.SHELLS


def test_outputs() -> None:
    out, code = dialects.deny("claude", "pre-tool-use", "no")
    assert code == 0 and out["hookSpecificOutput"] == {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": "no",
    }
    cursor, code = dialects.deny("cursor", "before-shell", "no")
    assert code == 0 and cursor["permission"] == "deny" and cursor["user_message"] == cursor["agent_message"] == "no"
    start = dialects.note("claude", "session-start", "hi")
    assert start == {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "hi"}}
    assert dialects.note("claude", "pre-tool-use", "w", warning=True, context=False) == {"systemMessage": "w"}


def test_helpers(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / ".coordination").mkdir(parents=True)
    (root / ".coordination" / "local.env").write_text("COORD_REPO_ID=acme/app\n")
    (root / "src" / "deep").mkdir(parents=True)
    assert run.find_root([str(root / "src" / "deep")]) == os.path.realpath(root)
    assert run.find_root([str(tmp_path)]) is None
    real = os.path.realpath(root)
    assert run.repo_paths(real, real, ["src/a.py", f"{real}/b.py", "/etc/passwd", ".git/x", ".coordination/y"]) == [
        "src/a.py",
        "b.py",
    ]
    assert run.repo_paths(real, os.path.join(real, "src"), ["../c.py", "d.py"]) == ["c.py", "src/d.py"]
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/feature/x\n")
    assert run.branch(real) == "feature/x"
    text = '[hook]\non_edit = "warn"  # comment\nttl_hours = 2\nenforce = "strict"\n[other]\non_edit = "off"\n'
    assert run.hook_settings(text) == {"on_edit": "warn", "ttl_hours": "2", "enforce": "strict"}
    assert run.split_url("http://127.0.0.1:8080") == ("http", "127.0.0.1", 8080, "")
    assert run.split_url("https://coord.acme.dev/api/") == ("https", "coord.acme.dev", 443, "/api")
    assert run.split_url("http://[::1]:9000") == ("http", "::1", 9000, "")
    assert run.session_of("0b8e2c1e-aa00-4d2a-9f1e-1a2b3c4d5e6f") == "0b8e2c1e-aa00-4d2a-9f1e-1a2b3c4d5e6f"
    assert run.session_of("a b:c") == "abc" and run.session_of(None) is None
    assert run.MAX_SESSION_ID_LENGTH == limits.MAX_SESSION_ID_LENGTH
    assert run.session_of("x" * 100) == "x" * limits.MAX_SESSION_ID_LENGTH
    assert run.engineer_for("codex", {}, {"COORD_PERSON": "Alex"}) == "alex/codex/main"
    assert run.engineer_for("codex", {}, {"COORD_ENGINEER": "al/x/y"}) == "al/x/y"


@pytest.mark.parametrize(
    ("tool_name", "tool_input", "extra_allowed"),
    [
        ("Edit", {"file_path": "src/a.py"}, set()),
        ("Bash", {"command": "echo x > f"}, {"coordination.gate.shell"}),
    ],
)
def test_hot_path_imports_only_the_standard_library(
    tmp_path: Path, tool_name: str, tool_input: dict[str, str], extra_allowed: set[str]
) -> None:
    """The gate must not pay for httpx, typer, rich, pydantic (or anything third-party);
    an edit does not even load json, re, enum or socket (see fastjson, _plain_post)."""
    (tmp_path / ".coordination").mkdir()
    (tmp_path / ".coordination" / "local.env").write_text("COORD_API_URL=http://127.0.0.1:9\nCOORD_PERSON=al\n")
    payload = {"tool_name": tool_name, "tool_input": tool_input, "cwd": str(tmp_path)}
    code = (
        "import sys\n"
        "from coordination.gate import run\n"
        f"run.handle('claude', 'pre-tool-use', {payload!r}, {{}})\n"
        "print(sorted(sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": str(Path(run.__file__).parents[2]), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "coord unreachable" in proc.stderr  # the whole path ran, up to the HTTP call
    modules = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    third_party = [m for m in modules if m.split(".")[0] in {"httpx", "typer", "rich", "pydantic", "click", "anyio"}]
    assert third_party == []
    ours = {m for m in modules if m.startswith("coordination")}
    assert ours <= {
        "coordination",
        "coordination.envfile",
        "coordination.placeholders",  # the one list of placeholder values (standard library only)
        "coordination.core",
        "coordination.core.identity",
        "coordination.gate",
        "coordination.gate.run",
        "coordination.gate.context",  # the repo and the caller (standard library only)
        "coordination.gate.http_call",  # the one POST (standard library only)
        "coordination.gate.dialects",
        "coordination.gate.fastjson",
        *extra_allowed,
    }, ours
    assert "subprocess" not in modules  # never a git process
    if tool_name == "Edit":
        assert not {"json", "re", "enum", "socket", "typing", "datetime"} & set(modules)


def test_fastjson_matches_json() -> None:
    from coordination.gate import fastjson

    for value in [{"a": [1, 2.5, None, True, 'x\u00e9"\n'], "b": {"c": -1e10}}, [], "s", 3, {"k": "x" * 50_000}]:
        assert fastjson.dumps(value) == json.dumps(value)
        assert fastjson.loads(" " + json.dumps(value) + "\n") == value
    for bad in ("{", '{"a": 1} x', "", "nul"):
        with pytest.raises(ValueError):
            fastjson.loads(bad)
