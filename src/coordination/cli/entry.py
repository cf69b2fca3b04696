"""The `coord` console script: a fast path for editor hooks, the full CLI otherwise.

Both are started many times a minute, so what they import is what they cost: the
edit gate imports the standard library only, the CLI only the module of its command
(`coordination.cli.app`)."""

from __future__ import annotations

import sys

_EDITOR_HOOKS = {"claude-pre-tool-use": "claude", "codex-pre-tool-use": "codex"}


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "hook" and args[1] in _EDITOR_HOOKS:
        # Registrations written by older versions of `coord init`: run the edit gate.
        from coordination.gate import run

        sys.argv = [sys.argv[0], _EDITOR_HOOKS[args[1]], "pre-tool-use"]
        raise SystemExit(run.main())
    if "httpx._main" not in sys.modules:
        # `import httpx` also imports httpx's own command-line client when click, pygments and
        # rich are installed (they are: rich's progress bars and syntax highlighting, 15-35 ms);
        # `coord` never runs it, and a None entry makes that optional import fail as if absent.
        sys.modules["httpx._main"] = None  # type: ignore[assignment]
    from coordination.cli.app import main as cli_main

    cli_main()
