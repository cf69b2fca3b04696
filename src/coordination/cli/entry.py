"""The `coord` console script: a fast path for editor hooks, the full CLI otherwise."""

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
    from coordination.cli.app import main as cli_main

    cli_main()
