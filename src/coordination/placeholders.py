"""The documented placeholder values: what public templates and examples carry instead of a real value.

One list, read by the client (a placeholder means "not configured": fill it from
`.coordination/local.env`, never send it), by the server (refuse to start with a
placeholder token) and by the tests that check every template only carries these.
"""

from __future__ import annotations

#: Tokens shown in templates and examples (`.mcp.json`, `.codex/config.toml`, `.env.example`, docs).
TOKENS: frozenset[str] = frozenset({"set-me", "change-me-to-a-long-random-string"})

#: The one `coord init` writes into tracked files and into local.env until a real token exists.
TOKEN = "set-me"  # noqa: S105 - the documented placeholder, not a secret


def is_placeholder_token(value: str) -> bool:
    """True for a documented placeholder token (surrounding blanks ignored)."""
    return value.strip() in TOKENS
