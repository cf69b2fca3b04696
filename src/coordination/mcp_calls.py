"""One API call from an MCP tool: run it, and turn every failure into a tool error an agent can act on.

Also the local pre-check of symbol names (where the repo is on this machine), so a
typo fails fast with suggestions before anything is sent.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from coordination.client import CoordError, CoordUnreachable

__all__ = ["call", "format_error", "validate_symbols"]

log = logging.getLogger("coord.mcp")


def call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one API call; turn every failure into a readable ToolError."""
    try:
        return fn(*args, **kwargs)
    except CoordUnreachable as exc:
        raise ToolError(
            f"{what} failed: {exc.detail}. Is the coord service running (`coord start`, `coord doctor`)?"
        ) from None
    except CoordError as exc:
        raise ToolError(format_error(what, exc)) from None


def format_error(what: str, exc: CoordError) -> str:
    if exc.status == 409 and exc.error == "deadlock":
        lines = [f"{what}: DEADLOCK - nothing was claimed or queued. {exc.detail}"]
        if exc.suggestion:
            lines.append(f"Suggestion: {exc.suggestion}")
        lines.append("Do not edit the files you asked for; release what the suggestion names, then claim again.")
        return "\n".join(lines)
    if exc.status == 409:
        lines = [f"{what}: CONFLICT - nothing was claimed. {exc.detail}"]
        for c in exc.conflicts:
            symbols = c.get("symbols") or []
            sym = f" symbols {', '.join(map(str, symbols))}" if symbols else ""
            lines.append(
                f"- {c.get('requested_pattern') or c.get('pattern')}: held by "
                f"{c.get('engineer')} (claim #{c.get('claim_id')} on {c.get('pattern')}{sym}, "
                f"expires {c.get('expires_at')})"
            )
        if exc.suggestion:
            lines.append(f"Suggestion: {exc.suggestion}")
        lines.append(
            "Do not edit these files. Claim something else, wait for the claim to expire, "
            "or ask the holder to release it."
        )
        return "\n".join(lines)
    if exc.status == 401:
        return (
            f"{what}: 401 unauthorized ({exc.detail}). The token is missing or wrong: set "
            "COORD_AUTH_TOKEN in .coordination/local.env (see `coord doctor`)."
        )
    if exc.status == 400:
        return f"{what}: 400 invalid: {exc.detail}. Fix that argument and call again."
    return f"{what}: {exc.status} {exc.error}: {exc.detail}"


def validate_symbols(root: Path | None, symbols: dict[str, list[str]]) -> None:
    """Local pre-validation of symbol names against the file on disk (fails fast on typos).

    Only where the repo is on this machine (`root`); skipped for files that do not exist
    yet and unsupported languages. The service validates again.
    """
    if root is None or not symbols:
        return
    try:
        from coordination import parsers
    except Exception:  # noqa: BLE001 - validation is best effort
        return
    problems = []
    for path, wanted in symbols.items():
        file = root / path
        if not wanted or not file.is_file() or parsers.language_for(path) is None:
            continue
        try:
            known = parsers.symbols_for_file(path, file.read_bytes())
        except Exception as exc:  # noqa: BLE001 - unparsable file: let the service decide
            log.debug("symbol pre-validation skipped for %s: %s", path, exc)
            continue
        for name in wanted:
            if name not in known:
                close = parsers.closest_symbols(name, known, limit=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                problems.append(f"{path}: no symbol {name!r}{hint}")
    if problems:
        raise ToolError(
            "Unknown symbols, nothing was claimed:\n"
            + "\n".join(problems)
            + "\n(set COORD_DISABLE_CLIENT_VALIDATION=1 to skip this local check)"
        )
