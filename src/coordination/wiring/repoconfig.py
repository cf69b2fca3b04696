"""`.coordination/config.toml`: per-repo coord settings (gitignored)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from coordination.clientenv import CONFIG_RELPATH, DEFAULT_API_URL

ON_EDIT_MODES = ("claim", "warn", "off")
ENFORCE_MODES = ("standard", "strict")
DEFAULT_HOOK_TTL_HOURS = 4.0


@dataclass
class RepoConfig:
    mode: str = "local"
    service_url: str = DEFAULT_API_URL
    ownership_file: str = ".coordination/owners.yaml"
    tools: list[str] = field(default_factory=list)
    on_edit: str = "claim"
    hook_ttl_hours: float = DEFAULT_HOOK_TTL_HOURS
    enforce: str = "standard"
    problems: list[str] = field(default_factory=list)


def load(root: Path) -> RepoConfig:
    """Read `<root>/.coordination/config.toml`; defaults for anything missing or invalid
    (each invalid value is noted in `problems`)."""
    cfg = RepoConfig()
    path = root / CONFIG_RELPATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return cfg
    except (OSError, tomllib.TOMLDecodeError) as exc:
        cfg.problems.append(f"{CONFIG_RELPATH}: {exc}")
        return cfg
    if isinstance(data.get("mode"), str) and data["mode"] in ("local", "shared"):
        cfg.mode = data["mode"]
    if isinstance(data.get("service_url"), str) and data["service_url"]:
        cfg.service_url = data["service_url"]
    if isinstance(data.get("ownership_file"), str) and data["ownership_file"]:
        cfg.ownership_file = data["ownership_file"]
    tools = data.get("tools")
    if isinstance(tools, list):
        cfg.tools = [t for t in tools if isinstance(t, str)]
    hook = data.get("hook")
    if isinstance(hook, dict):
        on_edit = hook.get("on_edit")
        if on_edit in ON_EDIT_MODES:
            cfg.on_edit = str(on_edit)
        elif on_edit is not None:
            cfg.problems.append(f"[hook] on_edit = {on_edit!r} is not one of {', '.join(ON_EDIT_MODES)}")
        enforce = hook.get("enforce")
        if enforce in ENFORCE_MODES:
            cfg.enforce = str(enforce)
        elif enforce is not None:
            cfg.problems.append(f"[hook] enforce = {enforce!r} is not one of {', '.join(ENFORCE_MODES)}")
        ttl = hook.get("ttl_hours")
        if isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl > 0:
            cfg.hook_ttl_hours = float(ttl)
    return cfg
