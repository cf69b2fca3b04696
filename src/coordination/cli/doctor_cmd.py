"""`coord doctor`: one line per check of the repo wiring and the service, with the fix."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from coordination import clientenv, mcp_probe
from coordination.client import CoordClient, CoordError, CoordUnreachable
from coordination.wiring import editor_hooks, git, init_plan, managed_blocks, repoconfig, templates

DOCTOR_TIMEOUT_SEC = 3.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _json(path: Path) -> Any:
    text = _read(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _block_check(root: Path, name: str, tool: str) -> Check:
    text = _read(root / name)
    fix = f"coord init --tool {tool}"
    if text is None:
        return Check(f"{name} protocol block", False, "file missing", fix)
    try:
        body = managed_blocks.block_body(text)
    except managed_blocks.BlockError as exc:
        return Check(f"{name} protocol block", False, str(exc), f"fix the markers, then {fix}")
    if body is None:
        return Check(f"{name} protocol block", False, "no coord:begin/coord:end block", fix)
    return Check(f"{name} protocol block", True, "present")


def _mcp_http_checks(label: str, entry: dict[str, Any], tool: str) -> list[Check]:
    """An HTTP registration: the editor sends the token from its own environment."""
    checks = [Check(f"{label} registration", True, f"HTTP {entry.get('url')}")]
    exported = bool(os.environ.get(templates.TOKEN_ENV))
    checks.append(
        Check(
            f"{label}: ${templates.TOKEN_ENV} exported",
            exported,
            "set in this shell" if exported else f"{tool} will send no token (401)",
            ""
            if exported
            else f"export {templates.TOKEN_ENV} (its value is in .coordination/local.env) in the shell "
            f"that starts {tool}",
        )
    )
    return checks


def _mcp_command_check(label: str, entry: Any, tool: str) -> list[Check]:
    fix = f"coord init --tool {tool}"
    if not isinstance(entry, dict):
        return [Check(f"{label} registration", False, "no 'coord' MCP server registered", fix)]
    if entry.get("url"):
        return _mcp_http_checks(label, entry, tool)
    command = str(entry.get("command") or "")
    checks = [Check(f"{label} registration", True, f"command {command!r}")]
    found = shutil.which(command) if command else None
    checks.append(
        Check(
            f"{label}: {command or 'command'} on PATH",
            bool(found),
            found or "not found on PATH",
            ""
            if found
            else "install coord (pip install coord) where your editor can find it, or put its bin directory on PATH",
        )
    )
    return checks


def _tool_checks(root: Path, tool: str) -> list[Check]:
    checks: list[Check] = []
    fix = f"coord init --tool {tool}"
    if tool == "claude":
        data = _json(root / ".mcp.json")
        entry = (data or {}).get("mcpServers", {}).get("coord") if isinstance(data, dict) else None
        checks += _mcp_command_check(".mcp.json", entry, tool)
        checks.append(_block_check(root, "CLAUDE.md", tool))
        settings = _json(root / ".claude" / "settings.json")
        ok = editor_hooks.claude_has_hook(settings)
        checks.append(
            Check(
                ".claude/settings.json edit hook",
                ok,
                "PreToolUse hook registered" if ok else "coord's PreToolUse hook is missing",
                "" if ok else fix,
            )
        )
    elif tool == "codex":
        text = _read(root / ".codex" / "config.toml")
        codex: dict[str, Any] = {}
        if text is not None:
            try:
                codex = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                checks.append(Check(".codex/config.toml", False, f"invalid TOML: {exc}", fix))
        entry = (codex.get("mcp_servers") or {}).get("coord")
        checks += _mcp_command_check(".codex/config.toml", entry, tool)
        hooks = (codex.get("hooks") or {}).get("PreToolUse") or []
        ok = any(
            editor_hooks.is_coord_command(h.get("command"))
            for e in hooks
            if isinstance(e, dict)
            for h in e.get("hooks") or []
            if isinstance(h, dict)
        )
        checks.append(
            Check(
                ".codex/config.toml edit hook",
                ok,
                "PreToolUse hook registered" if ok else "coord's PreToolUse hook is missing",
                "" if ok else fix,
            )
        )
        checks.append(_block_check(root, "AGENTS.md", tool))
    elif tool == "cursor":
        data2 = _json(root / ".cursor" / "mcp.json")
        entry = (data2 or {}).get("mcpServers", {}).get("coord") if isinstance(data2, dict) else None
        checks += _mcp_command_check(".cursor/mcp.json", entry, tool)
        rule = root / ".cursor" / "rules" / "coord.mdc"
        checks.append(
            Check(
                ".cursor/rules/coord.mdc",
                rule.is_file(),
                "present" if rule.is_file() else "missing",
                "" if rule.is_file() else fix,
            )
        )
    return checks


def _detect_tools(root: Path) -> list[str]:
    found = []
    if (root / ".mcp.json").exists():
        found.append("claude")
    if (root / ".codex" / "config.toml").exists():
        found.append("codex")
    if (root / ".cursor" / "mcp.json").exists():
        found.append("cursor")
    return found


def _hook_check(root: Path) -> Check:
    path = git.hooks_dir(root) / "pre-push"
    text = _read(path)
    if text is None:
        return Check("pre-push hook", False, f"{path} missing", "coord init --tool <tool>")
    if init_plan.HOOK_MARKER not in text:
        return Check("pre-push hook", False, f"{path} is not coord's hook", "coord init --tool <tool>")
    if not os.access(path, os.X_OK):
        return Check("pre-push hook", False, f"{path} is not executable", f"chmod +x {path}")
    return Check("pre-push hook", True, f"installed and executable ({path})")


def _local_env_checks(root: Path) -> list[Check]:
    rel = str(clientenv.LOCAL_ENV_RELPATH)
    path = root / clientenv.LOCAL_ENV_RELPATH
    if not path.is_file():
        return [Check(rel, False, "missing", "coord init --tool <tool>")]
    checks = [Check(rel, True, "present")]
    mode = stat.S_IMODE(path.stat().st_mode)
    checks.append(
        Check(
            f"{rel} permissions",
            mode == 0o600,
            f"mode {mode:04o}" + ("" if mode == 0o600 else " (should be 0600: it holds the token)"),
            "" if mode == 0o600 else f"chmod 600 {rel}",
        )
    )
    tracked = git.is_tracked(root, rel)
    ignored = git.is_ignored(root, rel)
    ok = not tracked and ignored
    if tracked:
        detail, fix = "tracked by git!", "git rm --cached -r .coordination && rotate the token"
    elif not ignored:
        detail, fix = (
            "not ignored by git",
            "coord init --tool <tool> (adds /.coordination/ to .gitignore)",
        )
    else:
        detail, fix = "ignored by git, not tracked", ""
    checks.append(Check(f"{rel} kept out of git", ok, detail, fix))
    return checks


def _unreachable_fix(env: clientenv.ClientEnv) -> str:
    """How to reach the service: the local one may run elsewhere (`coord start --port N`), or not at all."""
    from coordination import local_service
    from coordination.cli.server_cmds import start_hint
    from coordination.wiring.init_plan import coord_home

    home = coord_home()
    local = local_service.remembered_url(home)
    if local and local.rstrip("/") != env.api_url.rstrip("/") and local_service.server_record(home) is not None:
        with CoordClient(base_url=local, timeout=DOCTOR_TIMEOUT_SEC) as probe, contextlib.suppress(CoordError):
            probe.healthz()
            return (
                f"the local coord runs at {local}: re-run `coord init --mode local` here "
                f"(or set COORD_API_URL={local} in .coordination/local.env)"
            )
    return f"start it with `{start_hint(home, env.api_url)}`, or fix COORD_API_URL in .coordination/local.env"


def _service_checks(env: clientenv.ClientEnv) -> list[Check]:
    checks: list[Check] = []
    with CoordClient.from_env(env, timeout=DOCTOR_TIMEOUT_SEC) as client:
        try:
            client.healthz()
            checks.append(Check("service reachable", True, env.api_url))
        except CoordError as exc:
            checks.append(Check("service reachable", False, f"{env.api_url}: {exc.detail}", _unreachable_fix(env)))
            return checks
        try:
            client.readyz()
            checks.append(Check("service ready", True, "/readyz ok"))
        except CoordError as exc:
            checks.append(
                Check(
                    "service ready",
                    False,
                    f"/readyz: {exc.detail}",
                    "see the service logs (coord status)",
                )
            )
        if env.token_is_placeholder:
            checks.append(
                Check(
                    "token valid",
                    False,
                    f"token is {'a placeholder' if env.token else 'not set'} ({env.token_source})",
                    "set COORD_AUTH_TOKEN in .coordination/local.env (local: `coord start` "
                    "prints it, then re-run `coord init`)",
                )
            )
            return checks
        try:
            info = client.auth_check()
            checks.append(Check("token valid", True, f"accepted by coord {info.get('version', '')}".strip()))
            checks.append(_mcp_endpoint_check(env))
        except CoordUnreachable as exc:
            checks.append(Check("token valid", False, exc.detail, _unreachable_fix(env)))
        except CoordError as exc:
            fix = (
                "put the service's token in COORD_AUTH_TOKEN in .coordination/local.env "
                "(local mode: re-run `coord init` after `coord start`; shared: ask your operator)"
            )
            if env.token_source.startswith("env:"):
                fix = f"your shell exports a wrong token ({env.token_source}); unset it or fix it"
            checks.append(Check("token valid", False, f"{exc.status} {exc.error}: {exc.detail}", fix))
    return checks


def _mcp_endpoint_check(env: clientenv.ClientEnv) -> Check:
    """The service's /mcp answers an MCP initialize and lists coord's tools."""
    url = templates.mcp_url(env.api_url)
    try:
        tools = mcp_probe.list_tools(url, env.token, timeout=DOCTOR_TIMEOUT_SEC)
    except mcp_probe.ProbeFailed as exc:
        return Check(
            "MCP endpoint",
            False,
            str(exc),
            "upgrade the service to a coord that serves /mcp, or use `coord init --transport stdio`",
        )
    ok = "claim_files" in tools
    return Check(
        "MCP endpoint",
        ok,
        f"{url}: {len(tools)} tools ({', '.join(tools[:4])}, ...)" if ok else f"{url}: no coord tools",
        "" if ok else "is this URL a coord service?",
    )


def run_checks(cwd: Path) -> tuple[Path | None, list[Check]]:
    root = git.repo_root(cwd)
    if root is None:
        return None, [Check("git repository", False, f"{cwd} is not in a git work tree", "cd into your app repo")]
    checks = [Check("git repository", True, str(root))]
    cfg_path = root / clientenv.CONFIG_RELPATH
    cfg = repoconfig.load(root)
    checks.append(
        Check(
            str(clientenv.CONFIG_RELPATH),
            cfg_path.is_file() and not cfg.problems,
            "; ".join(cfg.problems) if cfg.problems else ("present" if cfg_path.is_file() else "missing"),
            "" if cfg_path.is_file() and not cfg.problems else "coord init --tool <tool>",
        )
    )
    tools = cfg.tools or _detect_tools(root)
    if not tools:
        checks.append(Check("tool wiring", False, "no tool wired", "coord init --tool claude|codex|cursor"))
    for tool in tools:
        checks += _tool_checks(root, tool)
    gi = _read(root / ".gitignore") or ""
    try:
        has_block = managed_blocks.block_body(gi) is not None
    except managed_blocks.BlockError:
        has_block = False
    checks.append(
        Check(
            ".gitignore block",
            has_block,
            "/.coordination/ block present" if has_block else "coord's block is missing",
            "" if has_block else "coord init --tool <tool>",
        )
    )
    checks.append(_hook_check(root))
    checks += _local_env_checks(root)
    env = clientenv.resolve(start=root)
    repo_ok = not env.repo_id_is_placeholder and env.repo_id != "default"
    checks.append(
        Check(
            "repo id",
            repo_ok,
            f"{env.repo_id} ({env.repo_id_source})",
            "" if repo_ok else "set COORD_REPO_ID in .coordination/local.env (e.g. org/app)",
        )
    )
    service = _service_checks(env)
    checks += service
    if all(c.ok for c in service):
        from coordination.wiring import gate_probe

        checks += [Check(r.name, r.ok, r.detail, r.fix) for r in gate_probe.probe(root, tools, env)]
    return root, checks


def doctor() -> None:
    """Check the repo wiring and the service; print the fix for each failure."""
    root, checks = run_checks(Path.cwd())
    typer.echo(f"coord doctor: {root or Path.cwd()}")
    width = max(len(c.name) for c in checks)
    for c in checks:
        typer.echo(f"  {'ok  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}")
        if not c.ok and c.fix:
            typer.echo(f"  {'':4}  {'':<{width}}  fix: {c.fix}")
    failed = [c for c in checks if not c.ok]
    if failed:
        typer.echo(f"coord doctor: {len(failed)} of {len(checks)} checks failed.")
        raise typer.Exit(1)
    typer.echo(f"coord doctor: all {len(checks)} checks passed.")


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
