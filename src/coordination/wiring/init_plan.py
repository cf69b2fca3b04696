"""What `coord init` writes, computed first (so it can be shown) and applied second.

Two kinds of files (see docs/integrations/*.md):

- tracked templates with placeholder values only (`.mcp.json`, `.codex/config.toml`,
  `.cursor/mcp.json`, `.cursor/rules/coord.mdc`, the managed blocks of
  `CLAUDE.md`/`AGENTS.md`/`.gitignore`, `.claude/settings.json`);
- gitignored runtime files under `.coordination/` (the real token lives only in
  `local.env`, mode 0600) and the git pre-push hook (outside the work tree).

Building the plan twice on an unchanged repo yields only "unchanged" actions.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import stat
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from coordination import clientenv
from coordination.client_settings import ClientSettings
from coordination.wiring import editor_hooks, git, managed_blocks, repoconfig, templates

HOOK_MARKER = "coord:pre-push"
LOCAL_HOOK_NAME = "pre-push.local"


class InitError(RuntimeError):
    """Something in the repo prevents a safe init; the message says what to do."""


@dataclass
class Action:
    path: Path
    display: str
    content: str
    status: str  # "create" | "update" | "unchanged"
    tracked: bool
    mode: int | None = None
    secret: bool = False
    note: str = ""
    move_aside: Path | None = None  # rename the current file here before writing

    @property
    def changes(self) -> bool:
        return self.status != "unchanged"


@dataclass
class Options:
    tool: str
    mode: str | None = None  # None: keep the repo's current mode (default local)
    url: str | None = None
    token: str | None = None
    repo_id: str | None = None
    coord_home: Path | None = None
    coord_bin: str | None = None
    enforce: str | None = None  # None: keep the repo's current setting (default standard)
    gate_python: str | None = None  # the interpreter the gate launcher runs (default: this one)
    transport: str | None = None  # None: http when the service is on another machine, else stdio


@dataclass
class Plan:
    root: Path
    actions: list[Action] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mode: str = "local"
    api_url: str = clientenv.DEFAULT_API_URL
    repo_id: str = ""
    token_state: str = "set"  # noqa: S105 - a state, not a secret
    transport: str = "stdio"

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.changes]


def coord_home(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    return ClientSettings.load(read_file=False).home.expanduser()


def read_home_token(home: Path) -> str | None:
    try:
        token = (home / "token").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return token or None


def find_coord_bin() -> str:
    found = shutil.which("coord")
    if found:
        return str(Path(found).resolve()) if not os.path.isabs(found) else found
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "coord" and argv0.exists():
        return str(argv0.resolve())
    return "coord"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise InitError(f"{path} is not UTF-8 text; coord will not edit it") from None


def _file_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def _action(
    root: Path,
    path: Path,
    content: str,
    *,
    tracked: bool,
    mode: int | None = None,
    secret: bool = False,
    note: str = "",
) -> Action:
    current = _read(path)
    if current is None:
        status = "create"
    elif current != content or (mode is not None and _file_mode(path) != mode):
        status = "update"
    else:
        status = "unchanged"
    try:
        display = str(path.relative_to(root))
    except ValueError:
        display = str(path)
    return Action(path, display, content, status, tracked, mode, secret, note)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _markdown_action(root: Path, name: str, body: str) -> Action:
    path = root / name
    current = _read(path) or ""
    try:
        new = managed_blocks.upsert(current, body, managed_blocks.MARKDOWN)
    except managed_blocks.BlockError as exc:
        raise InitError(f"{name}: {exc}; fix the markers and re-run") from None
    return _action(root, path, new, tracked=True, note="protocol in the coord:begin block")


def _codex_action(root: Path, strict: bool, plan: Plan) -> Action:
    path = root / ".codex" / "config.toml"
    current = _read(path) or ""
    body = templates.codex_config(strict, plan.transport, plan.api_url, plan.repo_id)
    try:
        outside = managed_blocks.remove(current)
        new = managed_blocks.upsert(current, body, managed_blocks.HASH)
    except managed_blocks.BlockError as exc:
        raise InitError(f".codex/config.toml: {exc}; fix the markers and re-run") from None
    try:
        user = tomllib.loads(outside)
    except tomllib.TOMLDecodeError as exc:
        raise InitError(f".codex/config.toml is not valid TOML ({exc}); fix it and re-run") from None
    if "coord" in (user.get("mcp_servers") or {}):
        raise InitError(
            ".codex/config.toml already defines [mcp_servers.coord] outside coord's managed "
            "block; remove that table and re-run"
        )
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise InitError(
            f".codex/config.toml would not be valid TOML with coord's block ({exc}); "
            "check its [hooks] tables and re-run"
        ) from None
    return _action(root, path, new, tracked=True, note="MCP server + edit gate hooks, placeholders")


def _json_action(root: Path, rel: str, tool: str, plan: Plan, replace: bool) -> Action:
    path = root / rel
    current = _read(path)
    if plan.transport == "http":
        entry = templates.mcp_http_entry(tool, plan.api_url, plan.repo_id)
    else:
        entry = templates.mcp_entry(tool)
    try:
        existing = editor_hooks.parse_json_object(current or "", rel)
        merged = editor_hooks.merge_mcp_servers(existing, entry, replace=replace)
    except ValueError as exc:
        raise InitError(str(exc)) from None
    # already registered: leave the user's file (and formatting) alone
    unchanged = current is not None and merged == existing
    content = current if unchanged and current is not None else templates.dump_json(merged)
    return _action(root, path, content, tracked=True, note="MCP registration, placeholders")


def _claude_settings_action(root: Path, strict: bool) -> Action:
    path = root / ".claude" / "settings.json"
    current = _read(path)
    try:
        existing = editor_hooks.parse_json_object(current or "", ".claude/settings.json")
        merged = editor_hooks.merge_claude_settings(existing, strict)
    except ValueError as exc:
        raise InitError(str(exc)) from None
    content = current if current is not None and merged == existing else templates.dump_json(merged)
    return _action(root, path, content or "", tracked=True, note="edit gate hooks (PreToolUse, PostToolUse, sessions)")


def _cursor_hooks_action(root: Path, strict: bool) -> Action:
    path = root / ".cursor" / "hooks.json"
    current = _read(path)
    try:
        existing = editor_hooks.parse_json_object(current or "", ".cursor/hooks.json")
        merged = editor_hooks.merge_cursor_hooks(existing, strict)
    except ValueError as exc:
        raise InitError(str(exc)) from None
    content = current if current is not None and merged == existing else templates.dump_json(merged)
    return _action(root, path, content or "", tracked=True, note="edit gate hooks (preToolUse, beforeShellExecution)")


def gate_search_path() -> str:
    """The directory holding the installed `coordination` package (site-packages, or
    the source tree of an editable install)."""
    import coordination

    return str(Path(coordination.__file__).resolve().parent.parent)


def _launcher_action(root: Path, opts: Options) -> Action:
    python = opts.gate_python or sys.executable
    text = editor_hooks.launcher_text(str(Path(python).absolute()), gate_search_path())
    return _action(
        root, root / editor_hooks.LAUNCHER, text, tracked=False, mode=0o755, note="edit gate launcher (absolute paths)"
    )


def _resolve_connection(plan: Plan, opts: Options, existing_env: dict[str, str]) -> tuple[str, str]:
    """(api_url, token) for local.env, by mode. Raises InitError when shared lacks them."""
    prior_url = existing_env.get("COORD_API_URL")
    prior_token = existing_env.get("COORD_AUTH_TOKEN")
    real = lambda key, v: v if not clientenv.is_placeholder(key, v) else None  # noqa: E731
    if plan.mode == "shared":
        url = opts.url or real("COORD_API_URL", prior_url)
        token = opts.token or real("COORD_AUTH_TOKEN", prior_token)
        if not url:
            raise InitError("--mode shared needs --url URL of the shared coord service")
        if not token:
            raise InitError("--mode shared needs --token TOKEN for the shared coord service")
        return url.rstrip("/"), token
    url = (opts.url or local_service_url(coord_home(opts.coord_home))).rstrip("/")
    token = opts.token or read_home_token(coord_home(opts.coord_home)) or real("COORD_AUTH_TOKEN", prior_token)
    if not token:
        plan.warnings.append(
            f"no token found in {coord_home(opts.coord_home) / 'token'}: run `coord start` "
            "(or pass --token), then re-run `coord init`; local.env gets the placeholder "
            "'set-me' until then"
        )
        token = clientenv.PLACEHOLDER_TOKEN
    return url, token


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}  # noqa: S104 - names, not a bind


def is_this_machine(url: str) -> bool:
    """Whether the service URL names this machine (loopback or this host's name)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_HOSTS or host.startswith("127.") or host.endswith(".localhost"):
        return True
    return host in {socket.gethostname().lower(), socket.getfqdn().lower()}


def default_transport(api_url: str) -> str:
    """http when the service is on another machine (no coord install needed), else stdio."""
    return "stdio" if is_this_machine(api_url) else "http"


def local_service_url(home: Path) -> str:
    """Where `coord start` said the local service listens, else the default URL."""
    from coordination import local_service

    return local_service.remembered_url(home) or clientenv.DEFAULT_API_URL


def _local_env_text(root: Path, api_url: str, token: str, repo_id: str, prior: dict[str, str]) -> str:
    engineer = prior.get("COORD_ENGINEER")
    person = prior.get("COORD_PERSON") or clientenv.default_person(root)
    line = f"COORD_PERSON={person}\n"
    if engineer and not clientenv.is_placeholder("COORD_ENGINEER", engineer):
        line += f"COORD_ENGINEER={engineer}"
    else:
        line += f"# COORD_ENGINEER=<person>/<tool>/<instance>  (default {person}/<tool>/main)"
    return templates.render("local.env", api_url=api_url, token=token, repo_id=repo_id, engineer_line=line)


def _hook_action(root: Path, opts: Options, plan: Plan) -> Action:
    hooks = git.hooks_dir(root)
    path = hooks / "pre-push"
    coord_bin = opts.coord_bin or find_coord_bin()
    content = templates.render("pre-push.sh", coord_bin=shlex.quote(coord_bin))
    action = _action(root, path, content, tracked=False, mode=0o755, note="git pre-push hook")
    current = _read(path)
    if current is not None and HOOK_MARKER not in current:
        aside = hooks / LOCAL_HOOK_NAME
        if aside.exists():
            raise InitError(
                f"{path} exists and so does {aside}: merge them into {aside} "
                "(coord's hook runs it first), delete the other, then re-run"
            )
        action.move_aside = aside
        action.status = "create"
        action.note = f"git pre-push hook; your existing hook is kept as {LOCAL_HOOK_NAME}"
    if path.exists() and not hooks.is_dir():
        raise InitError(f"{hooks} is not a directory")
    return action


def build(root: Path, opts: Options) -> Plan:
    if opts.tool not in templates.TOOLS:
        raise InitError(f"unknown tool {opts.tool!r}: use one of {', '.join(templates.TOOLS)}")
    cfg = repoconfig.load(root)
    plan = Plan(root=root)
    config_exists = (root / clientenv.CONFIG_RELPATH).exists()
    plan.mode = opts.mode or (cfg.mode if config_exists else "local")
    if plan.mode not in ("local", "shared"):
        raise InitError("--mode must be local or shared")

    env_path = root / clientenv.LOCAL_ENV_RELPATH
    prior_env = clientenv.read_local_env(env_path) if env_path.exists() else {}
    api_url, token = _resolve_connection(plan, opts, prior_env)
    prior_repo = prior_env.get("COORD_REPO_ID")
    repo_id = (
        opts.repo_id
        or (prior_repo if not clientenv.is_placeholder("COORD_REPO_ID", prior_repo) else None)
        or git.repo_id_for(root)
    )
    plan.api_url, plan.repo_id = api_url, repo_id
    if opts.transport is not None and opts.transport not in templates.TRANSPORTS:
        raise InitError(f"--transport must be one of {', '.join(templates.TRANSPORTS)}")
    plan.transport = opts.transport or default_transport(api_url)
    if plan.transport == "http":
        plan.notes.append(
            f"the editor sends ${templates.TOKEN_ENV} as the bearer token: export it (the value is in "
            f".coordination/local.env) and ${templates.ENGINEER_ENV} in the shell that starts {opts.tool}"
        )
    plan.token_state = "placeholder" if clientenv.is_placeholder("COORD_AUTH_TOKEN", token) else "set"

    tool = opts.tool
    enforce = opts.enforce or (cfg.enforce if config_exists else "standard")
    if enforce not in repoconfig.ENFORCE_MODES:
        raise InitError(f"--enforce must be one of {', '.join(repoconfig.ENFORCE_MODES)}")
    strict = enforce == "strict"
    acts = plan.actions
    # 1. tracked templates (placeholders only)
    if tool == "claude":
        acts.append(_json_action(root, ".mcp.json", tool, plan, replace=opts.transport is not None))
        acts.append(_claude_settings_action(root, strict))
        acts.append(_markdown_action(root, "CLAUDE.md", templates.protocol(tool)))
    elif tool == "codex":
        acts.append(_codex_action(root, strict, plan))
        acts.append(_markdown_action(root, "AGENTS.md", templates.protocol(tool)))
    else:
        acts.append(_json_action(root, ".cursor/mcp.json", tool, plan, replace=opts.transport is not None))
        acts.append(_cursor_hooks_action(root, strict))
        rule = templates.render("cursor-rule.mdc", protocol=templates.protocol(tool))
        acts.append(_action(root, root / ".cursor" / "rules" / "coord.mdc", rule, tracked=True, note="rule"))
    gitignore = root / ".gitignore"
    try:
        ignore_text = managed_blocks.upsert(
            _read(gitignore) or "", templates.load("gitignore.block"), managed_blocks.HASH
        )
    except managed_blocks.BlockError as exc:
        raise InitError(f".gitignore: {exc}; fix the markers and re-run") from None
    acts.append(_action(root, gitignore, ignore_text, tracked=True, note="ignores /.coordination/"))

    # 2. gitignored runtime config
    tools = list(dict.fromkeys([*cfg.tools, tool])) if config_exists else [tool]
    config_text = templates.render(
        "config.toml",
        mode=plan.mode,
        service_url=api_url,
        tools=", ".join(_toml_str(t) for t in tools),
        on_edit=cfg.on_edit,
        ttl_hours=_num(cfg.hook_ttl_hours),
        enforce=enforce,
    )
    coord_dir = root / ".coordination"
    acts.append(_action(root, coord_dir / "config.toml", config_text, tracked=False))
    acts.append(
        _action(
            root,
            env_path,
            _local_env_text(root, api_url, token, repo_id, prior_env),
            tracked=False,
            mode=0o600,
            secret=True,
            note="real token, API URL, repo id (0600)",
        )
    )
    owners = coord_dir / "owners.yaml"
    owners_text = _read(owners)
    acts.append(
        _action(
            root,
            owners,
            owners_text if owners_text is not None else templates.load("owners.yaml"),
            tracked=False,
            note="ownership rules (kept once written)",
        )
    )
    acts.append(_launcher_action(root, opts))
    # 3. git hook
    acts.append(_hook_action(root, opts, plan))

    if env_path.exists() and git.is_tracked(root, str(clientenv.LOCAL_ENV_RELPATH)):
        plan.warnings.append(
            ".coordination/local.env is tracked by git: run `git rm --cached -r .coordination` and rotate the token"
        )
    return plan


def _write(path: Path, content: str, mode: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.coord-tmp")
    final_mode = mode if mode is not None else (_file_mode(path) or 0o644)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        os.chmod(tmp, final_mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def apply(plan: Plan) -> list[Action]:
    """Write every changed file; returns the actions that changed something."""
    coord_dir = plan.root / ".coordination"
    if not coord_dir.exists():
        coord_dir.mkdir(mode=0o700, parents=True)
    done = []
    for action in plan.actions:
        if not action.changes:
            continue
        if action.move_aside is not None and action.path.exists():
            os.replace(action.path, action.move_aside)
        _write(action.path, action.content, action.mode)
        done.append(action)
    return done
